"""Helpers of the authorization code flow tests: dealpulse in process (https://dealpulse.test)
with devorg (a real HTTP server) as the users' Salesforce, and a browser driven by httpx."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from api.app import create_app
from api.cli_demo_login import login_form_fields, pkce_pair
from api.settings import Settings
from auth.at_rest import Purpose, decrypt
from auth.clients import register_client
from store.mirror import Mirror
from store.models import SfUser
from store.oauth_grant_models import SalesforceUserToken
from tests import factories as f
from tests.devorg_server import RunningDevorg
from tests.graphql_client import make_settings
from tests.secret_guard import HOOKS, register_secret

BASE = "https://dealpulse.test"
pkce = pkce_pair  # the demo's own: a verifier and its S256 challenge
APP_REDIRECT = "https://app.example/cb"
# A connected app of devorg's whose callback is dealpulse's (added to the session devorg once).
SF_APP_ID = "3MVG9dealpulseWebServerFlowTestApp"
SF_APP_SECRET = "WEBSERVERFLOWTESTSECRET0123456789"


def settings() -> Settings:
    return make_settings(oauth_issuer=BASE, sf_client_secret=SF_APP_SECRET)


def connect_devorg(engine: Engine, devorg: RunningDevorg) -> None:
    """The session devorg registered as an org whose connected app sends users back to
    dealpulse, and its demo rep and admin mirrored (no sync needed for logging in)."""
    with sqlite3.connect(devorg.database) as db:
        db.execute(
            "INSERT OR IGNORE INTO _connected_app (client_id, client_secret, name, callback_url)"
            " VALUES (?, ?, ?, ?)",
            [SF_APP_ID, SF_APP_SECRET, "dealpulse login", f"{BASE}/oauth/salesforce/callback"],
        )
    org_id = devorg.seed.org_id
    Mirror(engine, org_id).ensure_org(
        name="devorg", instance_url=devorg.url, auth_flow="jwt", client_id=SF_APP_ID,
        is_devorg=True,
    )  # fmt: skip
    for role, profile in (("rep", "Standard User"), ("admin", "System Administrator")):
        user = devorg.seed.users[role]
        f.add(engine, SfUser(
            org_id=org_id, id=user.user_id, name=role, username=user.username,
            is_active=True, profile_name=profile,
        ))  # fmt: skip


def public_client(engine: Engine, org_id: str, scopes: str = "pipeline:read admin") -> str:
    client, _ = register_client(
        engine, org_id=org_id, name="browser app", scopes=scopes,
        redirect_uris=[APP_REDIRECT], public=True,
    )  # fmt: skip
    return client.client_id


@asynccontextmanager
async def browser(engine: Engine) -> AsyncIterator[httpx.AsyncClient]:
    """dealpulse in process at BASE, anything else (devorg) over the network."""
    app = create_app(settings(), engine=engine)
    mounts = {f"{BASE}": httpx.ASGITransport(app=app)}
    async with httpx.AsyncClient(
        mounts=mounts, base_url=BASE, timeout=30, event_hooks=HOOKS
    ) as http:
        yield http
    # The Salesforce refresh tokens devorg issued during the test (dealpulse keeps them
    # encrypted; devorg only their hashes): the secret guard must know them.
    with Session(engine) as session:
        rows = session.scalars(select(SalesforceUserToken)).all()
        purpose = Purpose.SALESFORCE_REFRESH_TOKENS
        held = [decrypt(settings(), row.encrypted_refresh_token, purpose=purpose) for row in rows]
    register_secret(*held)


@dataclass
class Login:
    response: httpx.Response  # dealpulse's answer that goes to the app's redirect URI

    @property
    def query(self) -> dict[str, str]:
        location = self.response.headers["location"]
        return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


async def log_in(
    http: httpx.AsyncClient, devorg: RunningDevorg, params: dict[str, str], role: str = "rep"
) -> Login:
    """The browser: /oauth/authorize, devorg's login form posted, back through dealpulse's
    callback; stops at the redirect to the app."""
    started = await http.get("/oauth/authorize", params=params)
    assert started.status_code == 302, started.text
    location = started.headers["location"]
    if location.startswith(APP_REDIRECT):
        return Login(started)  # refused before the login
    form = await http.get(location)
    assert form.status_code == 200, form.text
    fields = login_form_fields(form.text)
    user = devorg.seed.users[role]
    posted = await http.post(
        f"{devorg.url}/services/oauth2/authorize",
        data={**fields, "username": user.username, "password": user.password},
    )
    assert posted.status_code == 302, posted.text
    back = await http.get(posted.headers["location"])
    assert back.status_code == 302, back.text
    assert back.headers["location"].startswith(APP_REDIRECT)
    return Login(back)


def authorize_params(client: str, challenge: str, **extra: str) -> dict[str, str]:
    params = {
        "response_type": "code", "client_id": client, "redirect_uri": APP_REDIRECT,
        "state": "xyz-state", "code_challenge": challenge, "code_challenge_method": "S256",
    }  # fmt: skip
    return params | extra


async def exchange(
    http: httpx.AsyncClient, client_id: str, code: str, verifier: str | None
) -> httpx.Response:
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": APP_REDIRECT,
            "client_id": client_id}  # fmt: skip
    if verifier is not None:
        form["code_verifier"] = verifier
    return await http.post("/oauth/token", data=form)


async def refresh(http: httpx.AsyncClient, client_id: str, token: str) -> httpx.Response:
    return await http.post(
        "/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": token, "client_id": client_id},
    )


async def me(http: httpx.AsyncClient, token: str) -> dict[str, Any]:
    answer = await http.post(
        "/graphql", json={"query": "{ me { scopes user { id } } }"},
        headers={"authorization": f"Bearer {token}"},
    )  # fmt: skip
    body: dict[str, Any] = answer.json()
    return body
