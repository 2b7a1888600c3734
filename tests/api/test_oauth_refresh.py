"""Refresh tokens of the authorization code flow (issue 10): each use rotates, a rotated one
presented again revokes the whole family (its refresh tokens and access tokens), a refresh
may narrow the scopes and never widen them, and tokens are stored only hashed."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from auth.clients import register_client
from tests.api import oauth_login as o
from tests.devorg_server import RunningDevorg

pytestmark = [pytest.mark.anyio, pytest.mark.sqlite_only]  # the HTTP edge only


@pytest.fixture
def org_id(store_engine: Engine, devorg: RunningDevorg) -> str:
    o.connect_devorg(store_engine, devorg)
    return devorg.seed.org_id


async def _tokens(http: httpx.AsyncClient, devorg: RunningDevorg, client_id: str) -> dict[str, Any]:
    verifier, challenge = o.pkce()
    login = await o.log_in(http, devorg, o.authorize_params(client_id, challenge))
    answer = await o.exchange(http, client_id, login.query["code"], verifier)
    assert answer.status_code == 200, answer.text
    tokens: dict[str, Any] = answer.json()
    return tokens


async def test_each_refresh_rotates_and_a_reused_token_revokes_the_family(
    store_engine: Engine, devorg: RunningDevorg, org_id: str
) -> None:
    client_id = o.public_client(store_engine, org_id, "pipeline:read alerts:read")
    async with o.browser(store_engine) as http:
        first = await _tokens(http, devorg, client_id)
        second = await o.refresh(http, client_id, first["refresh_token"])
        assert second.status_code == 200, second.text
        rotated = second.json()
        third = await o.refresh(http, client_id, rotated["refresh_token"])
        assert third.status_code == 200, third.text
        newest = third.json()
        assert len({first["refresh_token"], rotated["refresh_token"], newest["refresh_token"]}) == 3
        assert "errors" not in await o.me(http, newest["access_token"])
        # someone replays a rotated token: refused, and everything of the family stops
        replayed = await o.refresh(http, client_id, first["refresh_token"])
        newest_refresh = await o.refresh(http, client_id, newest["refresh_token"])
        access = [await o.me(http, t["access_token"]) for t in (first, rotated, newest)]
        # another login of the same user and client is another family: unharmed
        other = await _tokens(http, devorg, client_id)
        other_refresh = await o.refresh(http, client_id, other["refresh_token"])
    assert (replayed.status_code, replayed.json()["error"]) == (400, "invalid_grant")
    assert newest_refresh.json()["error"] == "invalid_grant"
    assert all(a["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED" for a in access)
    assert other_refresh.status_code == 200, other_refresh.text


async def test_a_refresh_may_narrow_the_scopes_never_widen_them(
    store_engine: Engine, devorg: RunningDevorg, org_id: str
) -> None:
    client_id = o.public_client(store_engine, org_id, "pipeline:read alerts:read admin")
    async with o.browser(store_engine) as http:
        tokens = await _tokens(http, devorg, client_id)
        assert tokens["scope"] == "pipeline:read alerts:read"  # a rep: no admin
        wider = await http.post("/oauth/token", data={
            "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"],
            "client_id": client_id, "scope": "pipeline:read admin",
        })  # fmt: skip
        narrower = await http.post("/oauth/token", data={
            "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"],
            "client_id": client_id, "scope": "alerts:read",
        })  # fmt: skip
    assert (wider.status_code, wider.json()["error"]) == (400, "invalid_scope")
    # the refused request did not use the token up
    assert narrower.status_code == 200, narrower.text
    assert narrower.json()["scope"] == "alerts:read"


async def test_a_refresh_token_is_bound_to_its_client(
    store_engine: Engine, devorg: RunningDevorg, org_id: str
) -> None:
    client_id = o.public_client(store_engine, org_id)
    thief = o.public_client(store_engine, org_id)
    async with o.browser(store_engine) as http:
        tokens = await _tokens(http, devorg, client_id)
        stolen = await o.refresh(http, thief, tokens["refresh_token"])
        own = await o.refresh(http, client_id, tokens["refresh_token"])
    assert (stolen.status_code, stolen.json()["error"]) == (400, "invalid_grant")
    assert own.status_code == 200, own.text  # the thief's attempt used nothing up


async def _revoke(http: httpx.AsyncClient, client_id: str, token: str) -> httpx.Response:
    # a public client authenticates with its client_id alone (auth method "none")
    return await http.post("/oauth/revoke", data={"token": token, "client_id": client_id})


async def test_revoking_a_refresh_token_revokes_its_family_and_only_its_own(
    store_engine: Engine, devorg: RunningDevorg, org_id: str
) -> None:
    client_id = o.public_client(store_engine, org_id)
    thief = o.public_client(store_engine, org_id)
    async with o.browser(store_engine) as http:
        tokens = await _tokens(http, devorg, client_id)
        other = await _tokens(http, devorg, client_id)  # another login: another family
        by_thief = await _revoke(http, thief, tokens["refresh_token"])
        still = await o.refresh(http, client_id, tokens["refresh_token"])
        assert still.status_code == 200, still.text  # the thief's revocation changed nothing
        rotated = still.json()
        logout = await _revoke(http, client_id, rotated["refresh_token"])
        refreshed = await o.refresh(http, client_id, rotated["refresh_token"])
        access = [await o.me(http, t["access_token"]) for t in (tokens, rotated)]
        other_refresh = await o.refresh(http, client_id, other["refresh_token"])
        other_access = await o.me(http, other["access_token"])
    assert (by_thief.status_code, logout.status_code) == (200, 200)
    assert (refreshed.status_code, refreshed.json()["error"]) == (400, "invalid_grant")
    assert all(a["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED" for a in access)
    assert other_refresh.status_code == 200, other_refresh.text
    assert "errors" not in other_access


async def test_a_confidential_client_cannot_revoke_with_its_client_id_alone(
    store_engine: Engine, devorg: RunningDevorg, org_id: str
) -> None:
    client_id = o.public_client(store_engine, org_id)
    confidential, _secret = register_client(
        store_engine, org_id=org_id, name="web app", scopes="pipeline:read",
        redirect_uris=[o.APP_REDIRECT],
    )  # fmt: skip
    async with o.browser(store_engine) as http:
        tokens = await _tokens(http, devorg, client_id)
        answer = await _revoke(http, confidential.client_id, tokens["refresh_token"])
        unknown = await _revoke(http, "dp_nobody", tokens["refresh_token"])
        refreshed = await o.refresh(http, client_id, tokens["refresh_token"])
    assert (answer.status_code, answer.json()["error"]) == (401, "invalid_client")
    assert unknown.json()["error"] == "invalid_client"
    assert refreshed.status_code == 200, refreshed.text
