"""Revocation (RFC 7009, /oauth/revoke) and introspection (RFC 7662, /oauth/introspect) over
HTTP: a revoked token, or any token of a revoked client, is inactive at once; a client revokes
only its own tokens and introspects only its org's; anything that is not a valid token is
exactly {"active": false}; bad client credentials are invalid_client, as at the token endpoint."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import ECKey
from sqlalchemy import Engine

from api.app import create_app
from api.settings import Settings
from auth.access_tokens import AccessTokenError, issue_access_token, verify_access_token
from auth.clients import register_client, revoke_client
from auth.revocation import token_revoked
from tests import factories as f
from tests.graphql_client import make_settings
from tests.secret_guard import HOOKS

pytestmark = [pytest.mark.anyio, pytest.mark.sqlite_only]  # the HTTP edge only
BASE = "https://dealpulse.test"
Client = tuple[str, str]  # client id, secret


def settings() -> Settings:
    return make_settings(oauth_issuer=BASE)


@asynccontextmanager
async def oauth_http(engine: Engine) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(settings(), engine=engine))
    async with httpx.AsyncClient(transport=transport, base_url=BASE, event_hooks=HOOKS) as http:
        yield http


def basic(client: Client) -> dict[str, str]:
    encoded = base64.b64encode(f"{client[0]}:{client[1]}".encode()).decode()
    return {"authorization": f"Basic {encoded}"}


def confidential(engine: Engine, org_id: str = f.ORG_A, name: str = "BI tool") -> Client:
    client, secret = register_client(
        engine, org_id=org_id, name=name, scopes=["pipeline:read", "alerts:read"]
    )
    assert secret is not None
    return client.client_id, secret


async def token_of(http: httpx.AsyncClient, client: Client) -> str:
    answer = await http.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, headers=basic(client)
    )
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["access_token"]
    return token


async def revoke(http: httpx.AsyncClient, client: Client, token: str, **form: str) -> Any:
    answer = await http.post("/oauth/revoke", data={"token": token, **form}, headers=basic(client))
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    return answer.json()


async def introspect(http: httpx.AsyncClient, client: Client, token: str) -> Any:
    answer = await http.post("/oauth/introspect", data={"token": token}, headers=basic(client))
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    return answer.json()


INACTIVE = {"active": False}


def claims_of(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return decoded


@pytest.fixture
def orgs(store_engine: Engine) -> None:
    f.org(store_engine)
    f.org(store_engine, f.ORG_B, with_stages=False)


@pytest.mark.usefixtures("orgs")
async def test_a_revoked_token_is_inactive_and_refused_by_verification(
    store_engine: Engine,
) -> None:
    partner = confidential(store_engine)
    async with oauth_http(store_engine) as http:
        token, kept = await token_of(http, partner), await token_of(http, partner)
        before = await introspect(http, partner, token)
        claims = verify_access_token(store_engine, settings(), token)
        assert await revoke(http, partner, token) == {}
        after = await introspect(http, partner, token)
        assert await revoke(http, partner, token) == {}  # again: still 200, nothing new
        other = await introspect(http, partner, kept)
    iat = int(claims.issued_at.timestamp())
    assert before == {
        "active": True, "scope": "pipeline:read alerts:read", "client_id": partner[0],
        "sub": partner[0], "exp": iat + 600, "iat": iat, "iss": BASE,
        "aud": settings().oauth_audience, "token_type": "Bearer", "org": f.ORG_A,
    }  # fmt: skip
    assert after == INACTIVE
    assert other["active"] is True  # only that token
    with pytest.raises(AccessTokenError) as refused:
        verify_access_token(
            store_engine,
            settings(),
            token,
            is_revoked=lambda _: token_revoked(store_engine, claims),
        )
    assert refused.value.reason == "revoked"


@pytest.mark.usefixtures("orgs")
async def test_the_hint_is_only_a_hint(store_engine: Engine) -> None:
    partner = confidential(store_engine)
    async with oauth_http(store_engine) as http:
        refresh_hinted, odd_hinted = await token_of(http, partner), await token_of(http, partner)
        await revoke(http, partner, refresh_hinted, token_type_hint="refresh_token")
        await revoke(http, partner, odd_hinted, token_type_hint="no_such_type")
        answers = [await introspect(http, partner, t) for t in (refresh_hinted, odd_hinted)]
    assert answers == [INACTIVE, INACTIVE]


@pytest.mark.usefixtures("orgs")
async def test_revoking_a_client_makes_its_tokens_inactive_at_once(store_engine: Engine) -> None:
    partner, resource_server = confidential(store_engine), confidential(store_engine, name="RS")
    async with oauth_http(store_engine) as http:
        token = await token_of(http, partner)
        before = await introspect(http, resource_server, token)
        revoke_client(store_engine, partner[0])
        after = await introspect(http, resource_server, token)
    assert (before["active"], before["client_id"]) == (True, partner[0])
    assert after == INACTIVE


@pytest.mark.usefixtures("orgs")
async def test_a_client_cannot_revoke_a_token_it_does_not_own(store_engine: Engine) -> None:
    owner = confidential(store_engine)
    same_org = confidential(store_engine, name="other tool")
    other_org = confidential(store_engine, f.ORG_B, name="stranger")
    async with oauth_http(store_engine) as http:
        token = await token_of(http, owner)
        assert await revoke(http, same_org, token) == {}  # 200, and nothing happens
        assert await revoke(http, other_org, token) == {}
        still = await introspect(http, owner, token)
    assert still["active"] is True


@pytest.mark.usefixtures("orgs")
async def test_another_org_s_token_is_inactive_to_an_introspecting_client(
    store_engine: Engine,
) -> None:
    ours, theirs = confidential(store_engine), confidential(store_engine, f.ORG_B, name="B")
    async with oauth_http(store_engine) as http:
        token = await token_of(http, theirs)
        assert await introspect(http, ours, token) == INACTIVE
        assert (await introspect(http, theirs, token))["org"] == f.ORG_B


@pytest.mark.usefixtures("orgs")
async def test_anything_but_a_valid_token_is_exactly_inactive(store_engine: Engine) -> None:
    partner = confidential(store_engine)
    past = datetime.now(UTC) - timedelta(hours=1)
    expired = issue_access_token(
        store_engine, settings(), subject=partner[0], client_id=partner[0], org_id=f.ORG_A,
        scopes=["pipeline:read"], now=past,
    )  # fmt: skip
    async with oauth_http(store_engine) as http:
        token = await token_of(http, partner)
        header, payload, signature = token.split(".")
        # the same claims, signed by a key that is not in our set
        unknown_kid = jwt.encode(
            {"alg": "ES256", "typ": "at+jwt", "kid": "not-ours"}, claims_of(token),
            ECKey.generate_key("P-256"),
        )  # fmt: skip
        flipped = "A" if signature[5] != "A" else "B"
        cases = {
            "expired": expired,
            "tampered": f"{header}.{payload}.{signature[:5]}{flipped}{signature[6:]}",
            "unknown kid": unknown_kid,
            "garbage": "not a token",
            "empty": "",
            "too long": "a." * 3000 + "b",
        }
        answers = {name: await introspect(http, partner, value) for name, value in cases.items()}
        revocations = {name: await revoke(http, partner, value) for name, value in cases.items()}
        still = await introspect(http, partner, token)
    assert answers == dict.fromkeys(cases, INACTIVE)
    assert all(answer == {} for answer in revocations.values())
    assert still["active"] is True


@pytest.mark.usefixtures("orgs")
async def test_bad_client_credentials_are_invalid_client(store_engine: Engine) -> None:
    partner = confidential(store_engine)
    revoked = confidential(store_engine, name="gone")
    public, _ = register_client(
        store_engine, org_id=f.ORG_A, name="browser", scopes=["alerts:read"], public=True,
        redirect_uris=["https://app.example.com/callback"],
    )  # fmt: skip
    async with oauth_http(store_engine) as http:
        token = await token_of(http, partner)
        revoke_client(store_engine, revoked[0])
        credentials: dict[str, dict[str, Any]] = {
            "wrong secret": {"headers": basic((partner[0], partner[1] + "x"))},
            "unknown client": {"headers": basic(("dp_nobody", partner[1]))},
            "revoked client": {"headers": basic(revoked)},
            "no credentials": {},
        }
        # a public client revokes with its client_id (it logs out); it may not introspect
        credentials_of = {
            "/oauth/revoke": credentials,
            "/oauth/introspect": {
                **credentials,
                "public": {"data": {"client_id": public.client_id}},
            },
        }
        answers = {
            (path, name): await http.post(
                path, **{**how, "data": {"token": token, **how.get("data", {})}}
            )
            for path, by_name in credentials_of.items()
            for name, how in by_name.items()
        }
        public_revoke = await http.post(
            "/oauth/revoke", data={"token": token, "client_id": public.client_id}
        )
        post = await http.post(  # client_secret_post works as well as Basic
            "/oauth/introspect",
            data={"token": token, "client_id": partner[0], "client_secret": partner[1]},
        )
        no_token = await http.post("/oauth/revoke", data={}, headers=basic(partner))
        still = await introspect(http, partner, token)
    errors = {key: (r.status_code, r.json()["error"]) for key, r in answers.items()}
    assert errors == dict.fromkeys(answers, (401, "invalid_client"))
    assert all(r.headers["cache-control"] == "no-store" for r in answers.values())
    assert all(token not in r.text for r in answers.values())
    assert (post.status_code, post.json()["active"]) == (200, True)
    assert (no_token.status_code, no_token.json()["error"]) == (400, "invalid_request")
    assert public_revoke.status_code == 200  # not its token: nothing revoked, nothing told
    assert still["active"] is True  # no refused request revoked it


@pytest.mark.usefixtures("orgs")
async def test_the_metadata_names_both_endpoints_and_nothing_is_logged(
    store_engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    partner = confidential(store_engine)
    async with oauth_http(store_engine) as http:
        metadata = (await http.get("/.well-known/oauth-authorization-server")).json()
        token = await token_of(http, partner)
        await introspect(http, partner, token)
        await revoke(http, partner, token)
        await http.post("/oauth/revoke", data={"token": token}, headers=basic((partner[0], "x")))
    assert metadata["revocation_endpoint"] == f"{BASE}/oauth/revoke"
    assert metadata["introspection_endpoint"] == f"{BASE}/oauth/introspect"
    confidential_methods = ["client_secret_basic", "client_secret_post"]
    # a public client revokes (logs out) with its client_id; only confidential ones introspect
    assert metadata["revocation_endpoint_auth_methods_supported"] == [*confidential_methods, "none"]
    assert metadata["introspection_endpoint_auth_methods_supported"] == confidential_methods
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert token not in logged
    assert partner[1] not in logged
