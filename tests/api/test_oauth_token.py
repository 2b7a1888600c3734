"""The token endpoint over HTTP (client credentials, RFC 6749 section 4.4), the JWKS and the
authorization server metadata (RFC 8414): each success and each refusal with OAuth's error
code and HTTP status, the issued token checked against the published keys."""

from __future__ import annotations

import base64
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet
from sqlalchemy import Engine, update
from sqlmodel import col

from api.app import create_app
from auth.access_tokens import verify_access_token
from auth.clients import register_client, revoke_client
from store.models import SfUser
from tests import factories as f
from tests.graphql_client import make_settings
from tests.secret_guard import HOOKS

pytestmark = [pytest.mark.anyio, pytest.mark.sqlite_only]  # the HTTP edge only
BASE = "https://dealpulse.test"
FORM = "application/x-www-form-urlencoded"


@asynccontextmanager
async def oauth_http(engine: Engine, **settings: Any) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(make_settings(oauth_issuer=BASE, **settings), engine=engine)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE, event_hooks=HOOKS) as http:
        yield http


def basic(client_id: str, secret: str) -> dict[str, str]:
    encoded = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"authorization": f"Basic {encoded}"}


@pytest.fixture
def partner(store_engine: Engine) -> tuple[str, str]:
    f.org(store_engine)
    client, secret = register_client(
        store_engine, org_id=f.ORG_A, name="BI tool", scopes=["pipeline:read", "alerts:read"]
    )
    assert secret is not None
    return client.client_id, secret


async def test_client_secret_basic_gets_a_jwt_the_published_keys_verify(
    store_engine: Engine, partner: tuple[str, str]
) -> None:
    client_id, _ = partner
    async with oauth_http(store_engine) as http:
        answer = await http.post(
            "/oauth/token", data={"grant_type": "client_credentials"}, headers=basic(*partner)
        )
        keys = (await http.get("/oauth/jwks")).json()
        metadata = (await http.get("/.well-known/oauth-authorization-server")).json()
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    body = answer.json()
    assert (body["token_type"], body["expires_in"]) == ("Bearer", 600)
    assert body["scope"] == "pipeline:read alerts:read"
    claims = verify_access_token(
        store_engine, make_settings(oauth_issuer=BASE), body["access_token"]
    )
    assert (claims.client_id, claims.org_id, claims.subject) == (client_id, f.ORG_A, client_id)
    assert set(claims.scopes) == {"pipeline:read", "alerts:read"}
    # the token verifies with the JWKS alone, as a partner's resource server would check it
    assert all("d" not in key for key in keys["keys"])
    decoded = jwt.decode(body["access_token"], KeySet.import_key_set(keys), algorithms=["ES256"])
    assert decoded.header["typ"] == "at+jwt"
    assert decoded.header["kid"] in {key["kid"] for key in keys["keys"]}
    assert metadata["issuer"] == BASE
    assert metadata["token_endpoint"] == f"{BASE}/oauth/token"
    assert metadata["jwks_uri"] == f"{BASE}/oauth/jwks"
    assert metadata["grant_types_supported"] == [
        "client_credentials", "authorization_code", "refresh_token"
    ]  # fmt: skip
    assert "client_secret_post" in metadata["token_endpoint_auth_methods_supported"]
    assert metadata["authorization_endpoint"] == f"{BASE}/oauth/authorize"
    assert metadata["response_types_supported"] == ["code"]
    assert metadata["code_challenge_methods_supported"] == ["S256"]


async def test_client_secret_post_may_ask_for_fewer_scopes_never_more(
    store_engine: Engine, partner: tuple[str, str]
) -> None:
    client_id, secret = partner
    form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    async with oauth_http(store_engine) as http:
        fewer = await http.post("/oauth/token", data={**form, "scope": "alerts:read"})
        more = await http.post("/oauth/token", data={**form, "scope": "alerts:read admin"})
        unknown = await http.post("/oauth/token", data={**form, "scope": "everything"})
    assert fewer.status_code == 200, fewer.text
    assert fewer.json()["scope"] == "alerts:read"
    assert (more.status_code, more.json()["error"]) == (400, "invalid_scope")
    assert "admin" in more.json()["error_description"]
    assert (unknown.status_code, unknown.json()["error"]) == (400, "invalid_scope")


async def test_a_run_as_client_s_token_names_its_user(store_engine: Engine) -> None:
    f.org(store_engine)
    rep = f.user(store_engine, "Run As Rep")
    client, secret = register_client(
        store_engine, org_id=f.ORG_A, name="run as", scopes=["alerts:read"],
        run_as_user_id=rep.id,
    )  # fmt: skip
    assert secret is not None
    async with oauth_http(store_engine) as http:
        answer = await http.post(
            "/oauth/token", data={"grant_type": "client_credentials"},
            headers=basic(client.client_id, secret),
        )  # fmt: skip
    token = answer.json()["access_token"]
    claims = verify_access_token(store_engine, make_settings(oauth_issuer=BASE), token)
    assert (claims.subject, claims.client_id) == (rep.id, client.client_id)


async def test_a_token_carries_only_the_scopes_the_api_will_honour(
    store_engine: Engine,
) -> None:
    """`admin` is never granted to a client acting as no user, nor to a run-as client whose
    user is no administrator, whatever it was registered with: the token's `scope` says what
    the API honours. A client left with nothing is invalid_scope; one whose run-as user was
    deactivated since, invalid_grant."""
    f.org(store_engine)
    rep = f.user(store_engine, "Rep")
    admin = f.user(store_engine, "Admin", profile="System Administrator")
    everything = ["pipeline:read", "alerts:write", "admin"]
    registered = {
        "no user": ([*everything], None), "run as rep": ([*everything], rep.id),
        "run as admin": ([*everything], admin.id), "admin only": (["admin"], None),
        "run as gone": (["pipeline:read"], rep.id),
    }  # fmt: skip
    clients = {}
    for name, (scopes, user_id) in registered.items():
        client, secret = register_client(
            store_engine, org_id=f.ORG_A, name=name, scopes=scopes, run_as_user_id=user_id
        )
        assert secret is not None
        clients[name] = basic(client.client_id, secret)
    grant = {"grant_type": "client_credentials"}
    async with oauth_http(store_engine) as http:
        granted = {}
        for name, headers in clients.items():
            if name == "run as gone":  # deactivated in Salesforce since it was registered
                with store_engine.begin() as connection:
                    connection.execute(update(SfUser).values(is_active=False).where(
                        col(SfUser.id) == rep.id))  # fmt: skip
            granted[name] = await http.post("/oauth/token", data=grant, headers=headers)
    assert {name: r.json().get("scope") or r.json()["error"] for name, r in granted.items()} == {
        "no user": "pipeline:read alerts:write",
        "run as rep": "pipeline:read alerts:write",
        "run as admin": "pipeline:read alerts:write admin",
        "admin only": "invalid_scope",
        "run as gone": "invalid_grant",
    }


async def test_bad_credentials_and_grants_get_oauth_errors(
    store_engine: Engine, partner: tuple[str, str]
) -> None:
    client_id, secret = partner
    public, _ = register_client(
        store_engine, org_id=f.ORG_A, name="browser", scopes=["alerts:read"], public=True,
        redirect_uris=["https://app.example.com/callback"],
    )  # fmt: skip
    grant = {"grant_type": "client_credentials"}
    async with oauth_http(store_engine) as http:
        cases = {
            "wrong secret": await http.post(
                "/oauth/token", data=grant, headers=basic(client_id, secret + "x")
            ),
            "unknown client": await http.post(
                "/oauth/token", data=grant, headers=basic("dp_nobody", secret)
            ),
            "unknown client (post)": await http.post(
                "/oauth/token", data={**grant, "client_id": "dp_nobody", "client_secret": secret}
            ),
            "no credentials": await http.post("/oauth/token", data=grant),
            "public client": await http.post(
                "/oauth/token", data={**grant, "client_id": public.client_id}
            ),
            "password grant": await http.post(
                "/oauth/token", data={"grant_type": "password", "username": "u", "password": "p"},
                headers=basic(*partner),
            ),
        }  # fmt: skip
        revoke_client(store_engine, client_id)
        cases["revoked"] = await http.post("/oauth/token", data=grant, headers=basic(*partner))
    errors = {name: (r.status_code, r.json()["error"]) for name, r in cases.items()}
    assert errors == {
        "wrong secret": (401, "invalid_client"),
        "unknown client": (401, "invalid_client"),
        "unknown client (post)": (401, "invalid_client"),  # Authlib's own answer is a 400
        "no credentials": (401, "invalid_client"),
        "public client": (401, "invalid_client"),
        "password grant": (400, "unsupported_grant_type"),
        "revoked": (401, "invalid_client"),
    }
    assert all(r.headers["cache-control"] == "no-store" for r in cases.values())
    # One reason for every authentication failure: it says neither whether the client exists
    # nor which check failed, in words (Authlib's names the methods as a Python list).
    described = {r.json()["error_description"] for r in cases.values() if r.status_code == 401}
    assert described == {
        "client authentication failed: an unknown or revoked client, a wrong secret, or "
        "another method than this endpoint takes (client_secret_basic, client_secret_post)"
    }


async def test_malformed_token_requests_are_invalid_requests_not_500s(
    store_engine: Engine, partner: tuple[str, str]
) -> None:
    auth = basic(*partner)
    async with oauth_http(store_engine, max_body_bytes=2048) as http:
        cases = {
            "json body": await http.post(
                "/oauth/token", json={"grant_type": "client_credentials"}, headers=auth
            ),
            "no content type": await http.post("/oauth/token", content=b"x", headers=auth),
            "not utf-8": await http.post(
                "/oauth/token", content=b"grant_type=\xff\xfe",
                headers={**auth, "content-type": FORM},
            ),
            "twice": await http.post(
                "/oauth/token",
                content=b"grant_type=client_credentials&grant_type=client_credentials",
                headers={**auth, "content-type": FORM},
            ),
            "many fields": await http.post(
                "/oauth/token", content="&".join(f"f{n}=1" for n in range(50)).encode(),
                headers={**auth, "content-type": FORM},
            ),
            "too large": await http.post(
                "/oauth/token", content=b"grant_type=client_credentials&pad=" + b"x" * 4096,
                headers={**auth, "content-type": FORM},
            ),
            "substring type": await http.post(
                "/oauth/token", content=b"grant_type=client_credentials",
                headers={**auth, "content-type": "text/plain; x=application/x-www-form-urlencoded"},
            ),
        }  # fmt: skip
        get = await http.get("/oauth/token")
    statuses = {name: (r.status_code, r.json()["error"]) for name, r in cases.items()}
    assert statuses == {
        "json body": (400, "invalid_request"),
        "no content type": (400, "invalid_request"),
        "not utf-8": (400, "invalid_request"),
        "twice": (400, "invalid_request"),
        "many fields": (400, "invalid_request"),
        "too large": (413, "invalid_request"),
        "substring type": (400, "invalid_request"),
    }
    assert get.status_code == 405


async def test_plain_http_off_loopback_is_refused(
    store_engine: Engine, partner: tuple[str, str]
) -> None:
    app = create_app(make_settings(), engine=store_engine)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://dealpulse.test", event_hooks=HOOKS
    ) as http:
        answer = await http.post(
            "/oauth/token", data={"grant_type": "client_credentials"}, headers=basic(*partner)
        )
    assert (answer.status_code, answer.json()["error"]) == (400, "insecure_transport")


async def test_no_token_or_secret_reaches_the_logs(
    store_engine: Engine, partner: tuple[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    _, secret = partner
    async with oauth_http(store_engine) as http:
        answer = await http.post(
            "/oauth/token", data={"grant_type": "client_credentials"}, headers=basic(*partner)
        )
        await http.post("/oauth/token", data={"grant_type": "client_credentials"},
                        headers=basic(partner[0], "wrong" + secret))  # fmt: skip
    token = answer.json()["access_token"]
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert token not in logged
    assert secret not in logged
