"""`dealpulse demo` gets its tokens through dealpulse's OAuth server (api.cli_demo_login): its
rep, manager and admin log in with Salesforce through devorg (authorization code with PKCE),
its partner with client credentials; each token acts as it should over GraphQL, and a second
run revokes the first run's clients."""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import closing
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from api.app import create_app
from api.cli_demo_login import LOGIN_CLIENT, PARTNER_CLIENT, DemoUser, demo_credentials
from api.cli_devorg import add_callback_url
from auth.clients import list_clients
from services.orgs import OrgRefresher
from tests.devorg_server import RunningDevorg
from tests.graphql_client import make_settings

pytestmark = pytest.mark.sqlite_only
BASE = "https://dealpulse.test"


def _me(engine: Engine, settings: Any, token: str) -> dict[str, Any]:
    app = create_app(settings, engine=engine)

    async def ask() -> dict[str, Any]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE) as http:
            answer = await http.post(
                "/graphql", json={"query": "{ me { accessLevel scopes user { id } } }"},
                headers={"authorization": f"Bearer {token}"},
            )  # fmt: skip
        body: dict[str, Any] = answer.json()
        return body

    return asyncio.run(ask())


def test_the_demo_logs_its_users_in_and_its_partner_gets_a_token(
    store_engine: Engine, refresher: OrgRefresher, devorg: RunningDevorg
) -> None:
    seed = devorg.seed
    add_callback_url(devorg.database, seed.client_id, f"{BASE}/oauth/salesforce/callback")
    add_callback_url(devorg.database, seed.client_id, f"{BASE}/oauth/salesforce/callback")
    settings = make_settings(
        oauth_issuer=BASE, sf_client_secret=seed.client_secret, dev_tokens=False
    )
    users = {role: DemoUser(u.username, u.password) for role, u in seed.users.items()}
    first = demo_credentials(settings, store_engine, seed.org_id, users)
    second = demo_credentials(settings, store_engine, seed.org_id, users)
    for role, level in (("rep", "REP"), ("manager", "MANAGER"), ("admin", "ADMIN")):
        me = _me(store_engine, settings, second.tokens[role])["data"]["me"]
        assert (me["accessLevel"], me["user"]["id"]) == (level, seed.users[role].user_id)
        assert ("admin" in me["scopes"]) == (role == "admin")
    partner = _me(store_engine, settings, second.tokens["partner"])["data"]["me"]
    assert partner == {"accessLevel": "CLIENT", "scopes": ["pipeline:read", "alerts:read"],
                       "user": None}  # fmt: skip
    # the first run's clients are revoked: its partner's token stops at once
    refused = _me(store_engine, settings, first.tokens["partner"])
    assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    active = [c.name for c in list_clients(store_engine, seed.org_id) if c.active]
    assert sorted(active) == sorted([LOGIN_CLIENT, PARTNER_CLIENT])
    with closing(sqlite3.connect(devorg.database)) as db:
        [(callbacks,)] = db.execute(
            "SELECT callback_url FROM _connected_app WHERE client_id = ?", [seed.client_id]
        ).fetchall()
    assert callbacks.split().count(f"{BASE}/oauth/salesforce/callback") == 1
    assert seed.callback_url in callbacks.split()  # the app's own callback stays
