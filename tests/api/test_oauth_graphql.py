"""The GraphQL API takes OAuth access tokens (issue 10): a run-as client's token acts as its
user with its scopes, a revoked client's stops at once, a client without a run-as user reads
the whole org (CLIENT) and with read scopes writes nothing, a forged one is UNAUTHENTICATED."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from api.app import create_app
from auth.clients import register_client, revoke_client
from auth.dev_tokens import issue_dev_token
from tests import factories as f
from tests.graphql_client import make_settings
from tests.secret_guard import HOOKS

pytestmark = [pytest.mark.anyio, pytest.mark.sqlite_only]
BASE = "https://dealpulse.test"
GRAPHQL_RESPONSE = "application/graphql-response+json"


async def _token(http: httpx.AsyncClient, client_id: str, secret: str) -> str:
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    answer = await http.post(
        "/oauth/token", data={"grant_type": "client_credentials"},
        headers={"authorization": f"Basic {basic}"},
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["access_token"]
    return token


async def _graphql(http: httpx.AsyncClient, token: str, query: str) -> httpx.Response:
    return await http.post(
        "/graphql", json={"query": query},
        headers={"authorization": f"Bearer {token}", "accept": GRAPHQL_RESPONSE},
    )  # fmt: skip


def _errors(response: httpx.Response) -> list[dict[str, Any]]:
    errors: list[dict[str, Any]] = response.json()["errors"]
    return errors


async def test_a_run_as_clients_token_acts_as_its_user_until_the_client_is_revoked(
    store_engine: Engine,
) -> None:
    team = f.team(store_engine)
    rep = team.reps[0]
    f.opportunity(store_engine, rep)
    f.opportunity(store_engine, team.reps[2])  # another team's: not the rep's to see
    client, secret = register_client(
        store_engine, org_id=f.ORG_A, name="rep's BI", scopes=["pipeline:read"],
        run_as_user_id=rep.id,
    )  # fmt: skip
    assert secret is not None
    app = create_app(make_settings(oauth_issuer=BASE), engine=store_engine)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=BASE, event_hooks=HOOKS
    ) as http:
        token = await _token(http, client.client_id, secret)
        read = await _graphql(
            http, token, "{ me { scopes accessLevel user { id } } opportunities { totalCount } }"
        )
        todo = await _graphql(http, token, "{ todo { totalCount } }")
        revoke_client(store_engine, client.client_id)
        after = await _graphql(http, token, "{ me { scopes } }")
    assert read.status_code == 200, read.text
    assert read.json()["data"] == {
        "me": {"scopes": ["pipeline:read"], "accessLevel": "REP", "user": {"id": rep.id}},
        "opportunities": {"totalCount": 1},
    }
    assert [e["extensions"]["code"] for e in _errors(todo)] == ["INSUFFICIENT_SCOPE"]
    assert after.status_code == 401
    assert [e["extensions"]["code"] for e in _errors(after)] == ["UNAUTHENTICATED"]
    assert "revoked" in _errors(after)[0]["message"]


async def test_a_client_acting_as_no_user_with_read_scopes_reads_the_whole_org_and_writes_nothing(
    store_engine: Engine,
) -> None:
    team = f.team(store_engine)
    for rep in team.reps:
        f.opportunity(store_engine, rep)
    client, secret = register_client(
        store_engine, org_id=f.ORG_A, name="BI tool", scopes=["pipeline:read", "alerts:read"]
    )  # its writes with write scopes: tests/api/test_client_writes.py
    assert secret is not None
    snooze = """mutation { snoozeAlert(input: {alertId: "alert-1", until: "2030-01-01T00:00:00Z",
      reason: "x"}) { alert { id } errors { code } } }"""
    app = create_app(make_settings(oauth_issuer=BASE), engine=store_engine)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=BASE, event_hooks=HOOKS
    ) as http:
        token = await _token(http, client.client_id, secret)
        read = await _graphql(
            http, token, "{ me { accessLevel scopes user { id } } opportunities { totalCount } }"
        )
        write = await _graphql(http, token, snooze)
        own_todo = await _graphql(http, token, "{ todo { totalCount } }")
        reps_todo = await _graphql(
            http, token, f'{{ todo(ownerId: "{team.reps[0].id}") {{ totalCount }} }}'
        )
    assert read.json()["data"] == {
        "me": {"accessLevel": "CLIENT", "scopes": ["pipeline:read", "alerts:read"], "user": None},
        "opportunities": {"totalCount": len(team.reps)},
    }
    assert write.json()["data"]["snoozeAlert"]["errors"] == [{"code": "INSUFFICIENT_SCOPE"}]
    assert [e["extensions"]["code"] for e in _errors(own_todo)] == ["FORBIDDEN"]
    assert reps_todo.json()["data"] == {"todo": {"totalCount": 0}}


async def test_a_forged_access_token_is_unauthenticated(store_engine: Engine) -> None:
    f.team(store_engine)
    client, secret = register_client(
        store_engine, org_id=f.ORG_A, name="no user", scopes=["pipeline:read"]
    )
    assert secret is not None
    app = create_app(make_settings(oauth_issuer=BASE), engine=store_engine)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=BASE, event_hooks=HOOKS
    ) as http:
        token = await _token(http, client.client_id, secret)
        header, payload, signature = token.split(".")
        forged = f"{header}.{payload}.{signature[:-4]}AAAA"
        tampered = await _graphql(http, forged, "{ me { scopes } }")
    assert tampered.status_code == 401
    assert [e["extensions"]["code"] for e in _errors(tampered)] == ["UNAUTHENTICATED"]
    assert forged not in tampered.text
    assert token not in tampered.text


async def test_development_tokens_are_refused_unless_switched_on(store_engine: Engine) -> None:
    team = f.team(store_engine)
    settings = make_settings(dev_tokens=False)
    token = issue_dev_token(settings, f.ORG_A, team.reps[0].id)
    app = create_app(settings, engine=store_engine)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=BASE, event_hooks=HOOKS
    ) as http:
        refused = await _graphql(http, token, "{ me { scopes } }")
    assert refused.status_code == 401
    assert "development tokens are off" in _errors(refused)[0]["message"]
