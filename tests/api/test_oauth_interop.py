"""A real OAuth client library that is not Authlib (openid-client, npm, by panva: see
oauth_client/) against dealpulse served over HTTP by uvicorn: RFC 8414 discovery, the client
credentials grant with client_secret_basic and client_secret_post, introspection (RFC 7662),
revocation (RFC 7009) and introspection again, and a wrong secret reported by the library as
OAuth's invalid_client. A token the library obtained is then used at /graphql, before and
after the library revoked it."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import Engine

from api.app import create_app
from auth.clients import register_client
from tests import factories as f
from tests import node_packages
from tests.api.oauth_client import client
from tests.devorg_server import free_port
from tests.graphql_client import make_settings

pytestmark = [pytest.mark.sqlite_only]  # the HTTP edge only; about 1.5 s (2 s with npm ci)
GRAPHQL_RESPONSE = "application/graphql-response+json"  # a refused token is then a 401


@pytest.fixture(scope="session")
def openid_client(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return node_packages.installed(request, tmp_path_factory, client.HERE)


@contextmanager
def served(engine: Engine) -> Iterator[str]:
    """The app over HTTP on 127.0.0.1 (OAuth allows plain http on loopback only), its issuer
    the address it is served at, as discovery requires; yields that issuer."""
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    app = create_app(make_settings(oauth_issuer=issuer), engine=engine)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="dealpulse-oauth", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert thread.is_alive(), "the API did not start"
        assert time.monotonic() < deadline, "the API did not start in time"
        time.sleep(0.02)
    try:
        yield issuer
    finally:
        server.should_exit = True
        thread.join(10)


def ok(result: dict[str, Any]) -> Any:
    assert result["ok"], result
    return result["value"]


def me(issuer: str, token: str) -> httpx.Response:
    return httpx.post(
        f"{issuer}/graphql", json={"query": "{ me { scopes accessLevel user { id } } }"},
        headers={"authorization": f"Bearer {token}", "accept": GRAPHQL_RESPONSE}, timeout=10,
    )  # fmt: skip


def test_openid_client_discovers_gets_introspects_and_revokes_tokens(
    store_engine: Engine, openid_client: Path
) -> None:
    f.org(store_engine)
    rep = f.user(store_engine, "Interop Rep")
    partner, partner_secret = register_client(
        store_engine, org_id=f.ORG_A, name="BI tool", scopes=["pipeline:read", "alerts:read"]
    )
    run_as, run_as_secret = register_client(
        store_engine, org_id=f.ORG_A, name="rep's sheet", scopes=["pipeline:read", "alerts:read"],
        run_as_user_id=rep.id,
    )  # fmt: skip
    assert partner_secret is not None
    assert run_as_secret is not None
    clients = {
        "partner": (partner.client_id, partner_secret),
        "run_as": (run_as.client_id, run_as_secret),
        "wrong": (partner.client_id, partner_secret + "x"),
    }
    basic = {"client": "partner", "auth": "basic"}
    post = {"client": "run_as", "auth": "post"}
    steps = [
        {"op": "discover", **basic},
        {"op": "token", **basic, "as": "partner"},
        {"op": "token", **post, "scope": "pipeline:read", "as": "run_as"},
        {"op": "introspect", **basic, "token": "partner"},
        {"op": "introspect", **post, "token": "run_as"},
        {"op": "revoke", **basic, "token": "partner"},
        {"op": "introspect", **basic, "token": "partner"},
        {"op": "introspect", **post, "token": "run_as"},  # only the revoked one is inactive
        {"op": "token", "client": "wrong", "auth": "basic", "as": "never"},
        {"op": "token", "client": "wrong", "auth": "post", "as": "never"},
    ]
    with served(store_engine) as issuer:
        results = client.run(openid_client, issuer, clients, steps)
        run_as_token = ok(results[2])["access_token"]
        before = me(issuer, run_as_token)
        revoked = client.run(
            openid_client, issuer, clients,
            [{"op": "revoke", **post, "token": "t"}, {"op": "introspect", **post, "token": "t"}],
            tokens={"t": run_as_token},
        )  # fmt: skip
        after = me(issuer, run_as_token)
    metadata = ok(results[0])
    assert metadata["issuer"] == issuer
    assert metadata["token_endpoint"] == f"{issuer}/oauth/token"
    assert metadata["introspection_endpoint"] == f"{issuer}/oauth/introspect"
    assert metadata["revocation_endpoint"] == f"{issuer}/oauth/revoke"
    assert metadata["jwks_uri"] == f"{issuer}/oauth/jwks"

    partner_token, run_as_answer = ok(results[1]), ok(results[2])
    assert partner_token["token_type"].lower() == "bearer"
    assert (partner_token["expires_in"], partner_token["scope"]) == (
        600,
        "pipeline:read alerts:read",
    )
    assert run_as_answer["scope"] == "pipeline:read"  # asked for fewer

    active, active_run_as = ok(results[3]), ok(results[4])
    assert active["active"] is True
    assert (active["client_id"], active["sub"], active["org"]) == (
        partner.client_id, partner.client_id, f.ORG_A,
    )  # fmt: skip
    assert (active["scope"], active["iss"]) == ("pipeline:read alerts:read", issuer)
    assert active["exp"] - active["iat"] == 600
    assert (active_run_as["sub"], active_run_as["scope"]) == (rep.id, "pipeline:read")

    assert ok(results[5]) is None
    assert ok(results[6]) == {"active": False}
    assert ok(results[7])["active"] is True

    # A wrong secret, by either method: the 401 carries a Basic challenge (RFC 6749 section
    # 5.2), so the library raises its challenge error, with OAuth's error in it and the body.
    for wrong in results[8:]:
        assert not wrong["ok"]
        error = wrong["error"]
        assert (error["name"], error["status"]) == ("WWWAuthenticateChallengeError", 401)
        [challenge] = error["challenges"]
        assert challenge["scheme"] == "basic"
        assert challenge["parameters"]["error"] == "invalid_client"
        assert error["body"]["error"] == "invalid_client"
        assert partner_secret not in str(error)
        assert partner_secret not in str(error)

    assert before.status_code == 200, before.text
    assert before.json()["data"]["me"] == {
        "scopes": ["pipeline:read"], "accessLevel": "REP", "user": {"id": rep.id},
    }  # fmt: skip
    # revoked with client_secret_post by the library: inactive, and refused by the API at once
    assert [ok(result) for result in revoked] == [None, {"active": False}]
    assert after.status_code == 401
    assert [e["extensions"]["code"] for e in after.json()["errors"]] == ["UNAUTHENTICATED"]
    assert "revoked" in after.json()["errors"][0]["message"]
