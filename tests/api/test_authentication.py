"""Authentication: every failure is an AuthenticationError, answered as one top-level
UNAUTHENTICATED error before anything reads the store or calls Salesforce."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from auth.dev_tokens import DevTokenError, issue_dev_token, verify_dev_token
from auth.errors import AuthenticationError
from auth.principals import resolve_principal
from tests import factories as f
from tests.graphql_client import GRAPHQL_RESPONSE, graphql_client, make_settings
from tests.store_backends import counting

pytestmark = [pytest.mark.anyio, pytest.mark.sqlite_only]


@pytest.mark.parametrize("query", ["{ me { accessLevel } }", "{ stages { name }", "mutation { x }"])
@pytest.mark.parametrize("token", ["", "forged.token.value", "expired"])
async def test_an_unauthenticated_request_reaches_neither_the_store_nor_salesforce(
    store_engine: Engine, query: str, token: str
) -> None:
    team = f.team(store_engine)
    syncs: list[str] = []
    async with graphql_client(store_engine, sync_org=syncs.append, staleness_seconds=0) as client:
        if token == "expired":
            token = issue_dev_token(client.settings, f.ORG_A, team.reps[0].id, ttl_seconds=-5)
        with counting(store_engine) as statements:
            refused = await client.post(query, token=token, accept=GRAPHQL_RESPONSE)
        # The control: the same client with a valid token syncs and reads.
        with counting(store_engine) as control:
            served = await client.post("{ me { accessLevel } }", as_user=team.reps[0])
    assert (statements, refused.status_code) == ([], 401)
    # a request error (nothing executed): no `data` entry at all (GraphQL over HTTP)
    assert refused.json() == {"errors": [refused.json()["errors"][0]]}
    assert refused.json()["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}
    assert refused.headers["www-authenticate"] == "Bearer"
    assert served.json()["data"] == {"me": {"accessLevel": "REP"}}
    assert control
    assert syncs == [f.ORG_A]


async def test_an_unknown_user_is_unauthenticated_with_its_reason(store_engine: Engine) -> None:
    f.team(store_engine)
    async with graphql_client(store_engine) as client:
        token = issue_dev_token(client.settings, f.ORG_A, "005000000000999AAA")
        response = await client.post("{ me { accessLevel } }", token=token, accept=GRAPHQL_RESPONSE)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    [error] = response.json()["errors"]
    assert error["message"] == "unknown or inactive user for this org"
    assert error["extensions"] == {"code": "UNAUTHENTICATED"}


def test_token_and_principal_failures_share_one_error_type(store_engine: Engine) -> None:
    team = f.team(store_engine)
    settings = make_settings()
    with pytest.raises(AuthenticationError, match="authentication required"):
        verify_dev_token(settings, None)
    assert issubclass(DevTokenError, AuthenticationError)
    ghost = verify_dev_token(settings, issue_dev_token(settings, f.ORG_B, team.reps[0].id))
    with pytest.raises(AuthenticationError, match="unknown or inactive user") as refused:
        resolve_principal(store_engine, ghost)
    assert refused.value.extensions == {"code": "UNAUTHENTICATED"}
