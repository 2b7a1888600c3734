"""How `dealpulse demo` gets its tokens: through dealpulse's own OAuth server, as a user
would. Its rep, manager and admin log in with Salesforce (the authorization code flow with
PKCE, devorg playing Salesforce: dealpulse's /oauth/authorize, devorg's login form posted
with the user's password, back through dealpulse's callback), and a partner client gets a
token with client credentials. The app runs in process (httpx's ASGI transport at the
issuer's URL); devorg is reached over HTTP, as dealpulse reaches it.

Each run revokes the demo clients of the run before and registers them anew (a client secret
is shown once).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
import secrets
from dataclasses import dataclass
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from sqlalchemy import Engine

from api.app import create_app
from api.settings import Settings
from auth.clients import list_clients, register_client, revoke_client

LOGIN_CLIENT = "dealpulse demo login"
PARTNER_CLIENT = "dealpulse demo partner"
PARTNER_SCOPES = "pipeline:read alerts:read"
# The login client's redirect URI: the demo reads the code off the redirect, nothing serves it.
REDIRECT_URI = "http://127.0.0.1/dealpulse-demo-login"
_HIDDEN = re.compile(r'<input type=hidden name="(\w+)" value="([^"]*)">')


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str


@dataclass(frozen=True)
class DemoCredentials:
    tokens: dict[str, str]  # role -> access token
    partner_id: str
    partner_secret: str


def pkce_pair() -> tuple[str, str]:
    """A PKCE code verifier and its S256 challenge."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def login_form_fields(page: str) -> dict[str, str]:
    """The hidden fields of devorg's login page, to post back with the user's password."""
    return {name: unescape(value) for name, value in _HIDDEN.findall(page)}


def _expect(response: httpx.Response, status: int, step: str) -> httpx.Response:
    if response.status_code != status:
        raise RuntimeError(f"demo login: {step} answered {response.status_code}")
    return response


async def _log_in(http: httpx.AsyncClient, client_id: str, user: DemoUser) -> str:
    verifier, challenge = pkce_pair()
    params = {
        "response_type": "code", "client_id": client_id, "redirect_uri": REDIRECT_URI,
        "state": secrets.token_urlsafe(8), "code_challenge": challenge,
        "code_challenge_method": "S256",
    }  # fmt: skip
    started = _expect(await http.get("/oauth/authorize", params=params), 302, "authorize")
    login = _expect(await http.get(started.headers["location"]), 200, "devorg's login page")
    fields = login_form_fields(login.text)
    action = f"{urlsplit(started.headers['location'])._replace(query='').geturl()}"
    posted = await http.post(
        action, data={**fields, "username": user.username, "password": user.password}
    )
    _expect(posted, 302, "devorg's login")
    back = _expect(await http.get(posted.headers["location"]), 302, "the callback")
    query = parse_qs(urlsplit(back.headers["location"]).query)
    if "code" not in query:
        raise RuntimeError(f"demo login refused: {query.get('error', ['?'])[0]}")
    form = {
        "grant_type": "authorization_code", "code": query["code"][0],
        "redirect_uri": REDIRECT_URI, "client_id": client_id, "code_verifier": verifier,
    }  # fmt: skip
    answer = _expect(await http.post("/oauth/token", data=form), 200, "the code exchange")
    token: str = answer.json()["access_token"]
    return token


async def _partner_token(http: httpx.AsyncClient, client_id: str, secret: str) -> str:
    answer = await http.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret)
    )
    token: str = _expect(answer, 200, "client credentials").json()["access_token"]
    return token


def _fresh_clients(engine: Engine, org_id: str) -> tuple[str, str, str]:
    """The demo's login client (public, PKCE) and partner (id, secret), registered anew."""
    for client in list_clients(engine, org_id):
        if client.active and client.name in {LOGIN_CLIENT, PARTNER_CLIENT}:
            revoke_client(engine, client.client_id)
    login, _ = register_client(
        engine, org_id=org_id, name=LOGIN_CLIENT, public=True, redirect_uris=[REDIRECT_URI],
        scopes="pipeline:read alerts:read alerts:write opportunities:write admin",
    )  # fmt: skip
    partner, secret = register_client(
        engine, org_id=org_id, name=PARTNER_CLIENT, scopes=PARTNER_SCOPES
    )
    assert secret is not None  # a confidential client's
    return login.client_id, partner.client_id, secret


def demo_credentials(
    settings: Settings, engine: Engine, org_id: str, users: dict[str, DemoUser]
) -> DemoCredentials:
    """Tokens for each of `users` (role -> its devorg login) and the partner's, through the
    OAuth flows of the app on `settings` (its issuer is where the demo serves it)."""
    login_id, partner_id, partner_secret = _fresh_clients(engine, org_id)
    app = create_app(settings, engine=engine)

    async def run() -> DemoCredentials:
        mounts: dict[str, Any] = {settings.oauth_issuer: httpx.ASGITransport(app=app)}
        async with httpx.AsyncClient(
            mounts=mounts, base_url=settings.oauth_issuer, timeout=60
        ) as http:
            tokens = {role: await _log_in(http, login_id, user) for role, user in users.items()}
            tokens["partner"] = await _partner_token(http, partner_id, partner_secret)
        return DemoCredentials(tokens, partner_id, partner_secret)

    return asyncio.run(run())
