"""Fixtures and helpers for devorg's OAuth tests (imported by the test_oauth_* modules).

Each test arranges its own users and connected apps by writing them straight into the running
devorg's SQLite file, so no test depends on, or changes, what another one uses.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc import jwt
from joserfc.jwk import RSAKey

from devorg import catalog
from devorg.db import OrgDatabase
from devorg.passwords import hash_password
from tests.devorg_server import RunningDevorg

CALLBACK = "https://client.example/oauth/callback"
LIMITS = "/services/data/v59.0/limits/"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"


@dataclass(frozen=True)
class OAuthUser:
    username: str
    password: str
    user_id: str


@dataclass(frozen=True)
class OAuthApp:
    client_id: str
    client_secret: str
    callback_url: str
    private_key_pem: str


@dataclass
class OAuthOrg:
    """The running devorg plus direct access to its database, to arrange test data."""

    devorg: RunningDevorg
    db: OrgDatabase
    private_key_pem: str
    public_key_pem: str
    other_private_key_pem: str
    created_users: list[str] = field(default_factory=list)
    created_apps: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.devorg.url

    def user(self, *, active: bool = True) -> OAuthUser:
        """A new user, copied from a seeded one, with its own username and password."""
        template = self.db.get(catalog.USER, self.devorg.seed.users["rep"].user_id)
        assert template is not None
        user_id = self.db.new_id(catalog.USER)
        password = "Pw-" + secrets.token_urlsafe(12)
        username = f"oauth.{secrets.token_hex(4)}@devorg.test"
        row = dict(template)
        row.update(
            Id=user_id,
            Username=username,
            Email=username,
            IsActive=1 if active else 0,
            _PasswordHash=hash_password(password, iterations=1_000),
        )
        self.db.insert(catalog.USER, row)
        self.created_users.append(user_id)
        return OAuthUser(username, password, user_id)

    def app(
        self,
        *,
        run_as: str | None = None,
        public_key_pem: str | None = None,
        callback_url: str = CALLBACK,
    ) -> OAuthApp:
        client_id = "3MVG9" + secrets.token_urlsafe(24)
        secret = secrets.token_hex(32)
        self.db.conn.execute(
            "INSERT INTO _connected_app (client_id, client_secret, name, callback_url, "
            "jwt_public_key_pem, run_as_user_id) VALUES (?, ?, ?, ?, ?, ?)",
            [client_id, secret, "OAuth test app", callback_url,
             public_key_pem or self.public_key_pem, run_as],
        )  # fmt: skip
        self.created_apps.append(client_id)
        return OAuthApp(client_id, secret, callback_url, self.private_key_pem)

    def remove_created(self) -> None:
        """Take out what the tests added, so the shared org looks as seeded to other tests."""
        for table, column, values in (
            ("_oauth_token", "client_id", self.created_apps),
            ("_auth_code", "client_id", self.created_apps),
            ("_connected_app", "client_id", self.created_apps),
            ('"User"', '"Id"', self.created_users),
        ):
            for value in values:
                self.db.conn.execute(f"DELETE FROM {table} WHERE {column} = ?", [value])

    def token(self, data: dict[str, str], **kwargs: Any) -> requests.Response:
        return requests.post(f"{self.url}/services/oauth2/token", data=data, timeout=30, **kwargs)

    def password_login(self, app: OAuthApp, user: OAuthUser) -> dict[str, Any]:
        response = self.token(
            {"grant_type": "password", "client_id": app.client_id,
             "client_secret": app.client_secret, "username": user.username,
             "password": user.password}
        )  # fmt: skip
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def limits(self, access_token: str) -> requests.Response:
        return requests.get(
            f"{self.url}{LIMITS}", headers={"Authorization": f"Bearer {access_token}"}, timeout=30
        )

    def userinfo(self, access_token: str) -> requests.Response:
        return requests.get(
            f"{self.url}/services/oauth2/userinfo",
            headers={"Authorization": f"Bearer {access_token}"},
            timeout=30,
        )

    def expire_code(self, code: str) -> None:
        self.db.conn.execute(
            "UPDATE _auth_code SET expires_at = ? WHERE code_hash = ?",
            [time.time() - 1, hashlib.sha256(code.encode()).hexdigest()],
        )


def _pem_pair() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


@pytest.fixture(scope="module")
def oauth_org(devorg: RunningDevorg) -> Iterator[OAuthOrg]:
    db = OrgDatabase(devorg.database)
    private, public = _pem_pair()
    other_private, _ = _pem_pair()
    org = OAuthOrg(devorg, db, private, public, other_private)
    try:
        yield org
    finally:
        org.remove_created()
        db.close()


def assertion(
    private_key_pem: str,
    *,
    iss: str,
    sub: str,
    aud: str = "https://login.salesforce.com",
    exp: float | str | None = None,
    alg: str = "RS256",
) -> str:
    claims: dict[str, Any] = {
        "iss": iss,
        "sub": sub,
        "aud": aud,
        "exp": int(time.time()) + 120 if exp is None else exp,
    }
    key = RSAKey.import_key(private_key_pem)
    return jwt.encode({"alg": alg}, claims, key)


def expected_signature(secret: str, body: dict[str, Any]) -> str:
    digest = hmac.new(
        secret.encode(), (body["id"] + body["issued_at"]).encode(), hashlib.sha256
    ).digest()
    return base64.b64encode(digest).decode()


def oauth_error(response: requests.Response) -> tuple[int, str, str]:
    body = response.json()
    return response.status_code, body["error"], body["error_description"]


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def authorize_params(app: OAuthApp, challenge: str | None, **extra: str) -> dict[str, str]:
    params = {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": app.callback_url,
        "state": "st-" + secrets.token_hex(4),
    }
    if challenge is not None:
        params.update(code_challenge=challenge, code_challenge_method="S256")
    params.update(extra)
    return params


def log_in(org: OAuthOrg, params: dict[str, str], user: OAuthUser) -> requests.Response:
    """Submit the authorize page's login form, as a browser would."""
    return requests.post(
        f"{org.url}/services/oauth2/authorize",
        data={**params, "username": user.username, "password": user.password},
        allow_redirects=False,
        timeout=30,
    )


def authorization_code(
    org: OAuthOrg, app: OAuthApp, user: OAuthUser, challenge: str | None, **extra: str
) -> str:
    params = authorize_params(app, challenge, **extra)
    response = log_in(org, params, user)
    assert response.status_code == 302, response.text
    location = urlsplit(response.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == app.callback_url
    query = dict(parse_qsl(location.query))
    assert query["state"] == params["state"]
    return query["code"]


def exchange_code(
    org: OAuthOrg, app: OAuthApp, code: str, verifier: str | None, **extra: str
) -> requests.Response:
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": app.client_id,
        "client_secret": app.client_secret,
        "redirect_uri": app.callback_url,
    }
    if verifier is not None:
        data["code_verifier"] = verifier
    data.update(extra)
    return org.token(data)


def code_flow_tokens(org: OAuthOrg, app: OAuthApp, user: OAuthUser) -> dict[str, Any]:
    """Tokens (with a refresh token) from the web server flow with PKCE."""
    verifier, challenge = pkce_pair()
    code = authorization_code(org, app, user, challenge)
    response = exchange_code(org, app, code, verifier)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body
