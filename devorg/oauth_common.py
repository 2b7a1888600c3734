"""What devorg's OAuth endpoints share: Salesforce's token-endpoint errors, bounded form parsing,
connected-app (client) authentication, user login checks and the token response.

Salesforce answers token-endpoint failures with HTTP 400 and `{"error", "error_description"}`
(not the list-shaped REST error), worded as below. A failed login never says whether the
username exists, and secrets are compared in constant time and never echoed or logged.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse

from devorg import passwords
from devorg.db import OrgDatabase
from devorg.ids import normalize_id
from devorg.sessions import IssuedTokens
from devorg.state import DevorgState

# Bounds on what a client may send, far above any legitimate value.
MAX_BODY_BYTES = 64 * 1024
MAX_FIELDS = 32
FIELD_LIMITS: Mapping[str, int] = {
    "assertion": 16 * 1024,
    "password": 1024,
    "username": 256,
    "client_id": 256,
    "client_secret": 256,
    "code": 512,
    "code_verifier": 128,
    "code_challenge": 128,
    "refresh_token": 512,
    "token": 512,
    "redirect_uri": 2048,
    "state": 2048,
    "scope": 1024,
}
DEFAULT_FIELD_LIMIT = 256

# The scopes a Salesforce connected app can be granted (devorg does not restrict them further).
KNOWN_SCOPES = frozenset(
    {
        "api", "chatter_api", "content", "custom_permissions", "email", "address", "phone",
        "full", "id", "lightning", "offline_access", "openid", "profile", "refresh_token",
        "visualforce", "wave_api", "web", "eclair_api", "pardot_api",
    }
)  # fmt: skip
DEFAULT_SCOPE = "api id refresh_token"
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class OAuthError(Exception):
    """A token-endpoint failure, rendered exactly as Salesforce words it."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status

    def response(self) -> JSONResponse:
        return JSONResponse(
            {"error": self.error, "error_description": self.description},
            status_code=self.status,
            headers=NO_STORE,
        )


def authentication_failure() -> OAuthError:
    return OAuthError("invalid_grant", "authentication failure")


def unknown_client() -> OAuthError:
    return OAuthError("invalid_client_id", "client identifier invalid")


def bad_client_secret() -> OAuthError:
    return OAuthError("invalid_client", "invalid client credentials")


def state_of(request: Request) -> DevorgState:
    state: DevorgState = request.app.state.devorg
    return state


# -- request parsing ----------------------------------------------------------------------------
async def read_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The request body, refusing (before buffering it all) one larger than `limit`."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise OAuthError("invalid_request", "request too large")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise OAuthError("invalid_request", "request too large")
        chunks.append(chunk)
    return b"".join(chunks)


def parse_params(raw: str) -> dict[str, str]:
    """Parse url-encoded parameters, bounding their number and sizes and refusing repeats
    (RFC 6749 section 3.1: a parameter must not be included more than once)."""
    try:
        pairs = parse_qsl(raw, keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except ValueError as exc:
        raise OAuthError("invalid_request", "too many parameters") from exc
    params: dict[str, str] = {}
    for name, value in pairs:
        if name in params:
            raise OAuthError("invalid_request", f"duplicate parameter: {name[:40]}")
        if len(value) > FIELD_LIMITS.get(name, DEFAULT_FIELD_LIMIT):
            raise OAuthError("invalid_request", f"parameter too long: {name[:40]}")
        params[name] = value
    return params


async def read_form(request: Request) -> dict[str, str]:
    """A url-encoded POST body. Parameters in the query string are deliberately not read for
    POSTs, so that passwords and secrets never end up in access logs."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await read_body(request)
    if body and content_type != "application/x-www-form-urlencoded":
        raise OAuthError(
            "invalid_request", "content type must be application/x-www-form-urlencoded"
        )
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise OAuthError("invalid_request", "request body is not UTF-8") from exc
    return parse_params(text)


def basic_credentials(request: Request) -> tuple[str, str] | None:
    """The client id and secret of an `Authorization: Basic` header, if there is one."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    if len(value) > 1024:
        raise OAuthError("invalid_request", "authorization header too long")
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise bad_client_secret() from exc
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise bad_client_secret()
    return client_id, secret


# -- connected apps -----------------------------------------------------------------------------
@dataclass(frozen=True)
class ConnectedApp:
    client_id: str
    client_secret: str
    name: str
    callback_urls: tuple[str, ...]
    jwt_public_key_pem: str | None
    run_as_user_id: str | None

    def allows_redirect(self, redirect_uri: str) -> bool:
        """Salesforce compares the redirect URI with the registered callback URLs exactly."""
        given = redirect_uri.encode()
        return any(hmac.compare_digest(given, url.encode()) for url in self.callback_urls)

    def secret_matches(self, secret: str) -> bool:
        return hmac.compare_digest(secret.encode(), self.client_secret.encode())


def find_app(db: OrgDatabase, client_id: str) -> ConnectedApp | None:
    if not client_id:
        return None
    row = db.conn.execute(
        "SELECT client_id, client_secret, name, callback_url, jwt_public_key_pem, run_as_user_id "
        "FROM _connected_app WHERE client_id = ?",
        [client_id],
    ).fetchone()
    if row is None:
        return None
    # A connected app may list several callback URLs, one per line (as Salesforce's setup does).
    urls = tuple(str(row[3]).split())
    return ConnectedApp(row[0], row[1], row[2], urls, row[4], row[5])


def authenticate_client(request: Request, params: Mapping[str, str]) -> ConnectedApp:
    """The connected app a token request comes from, authenticated by its secret (in the form
    as client_secret_post, or in an HTTP Basic header as client_secret_basic)."""
    basic = basic_credentials(request)
    if basic is not None and "client_secret" in params:
        raise OAuthError("invalid_request", "use one client authentication method")
    client_id, secret = basic if basic is not None else (
        params.get("client_id", ""), params.get("client_secret")
    )  # fmt: skip
    if basic is not None and params.get("client_id", client_id) != client_id:
        raise bad_client_secret()
    app = find_app(state_of(request).db, client_id)
    if app is None:
        raise unknown_client()
    if secret is None or not app.secret_matches(secret):
        raise bad_client_secret()
    return app


# -- users --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LoginUser:
    user_id: str
    username: str
    active: bool
    password_hash: str | None


def _login_user(row: Any) -> LoginUser:
    return LoginUser(row[0], row[1], bool(row[2]), row[3])


def find_user_by_username(db: OrgDatabase, username: str) -> LoginUser | None:
    """Salesforce usernames are case-insensitive at login."""
    row = db.conn.execute(
        'SELECT "Id", "Username", "IsActive", "_PasswordHash" FROM "User" '
        'WHERE "Username" = ? COLLATE NOCASE',
        [username],
    ).fetchone()
    return None if row is None else _login_user(row)


def find_user_by_id(db: OrgDatabase, user_id: str) -> LoginUser | None:
    row = db.conn.execute(
        'SELECT "Id", "Username", "IsActive", "_PasswordHash" FROM "User" WHERE "Id" = ?',
        [user_id],
    ).fetchone()
    return None if row is None else _login_user(row)


_DUMMY_HASHES: dict[int, str] = {}


async def _dummy_hash(db: OrgDatabase) -> str:
    """A real hash, as costly to check as the org's own, to check against when the username is
    unknown: an unknown user then takes as long to refuse as a wrong password."""
    row = db.conn.execute(
        'SELECT "_PasswordHash" FROM "User" WHERE "_PasswordHash" IS NOT NULL LIMIT 1'
    ).fetchone()
    parts = str(row[0]).split("$") if row is not None else []
    cost = int(parts[1]) if len(parts) == 4 and parts[1].isdigit() else 0
    iterations = cost if 0 < cost <= passwords.DEFAULT_ITERATIONS else passwords.DEFAULT_ITERATIONS
    if iterations not in _DUMMY_HASHES:
        _DUMMY_HASHES[iterations] = await run_in_threadpool(
            passwords.hash_password, secrets.token_urlsafe(16), iterations=iterations
        )
    return _DUMMY_HASHES[iterations]


async def check_login(db: OrgDatabase, username: str, password: str) -> LoginUser | None:
    """The active user these credentials log in, or None (unknown user, wrong password or
    inactive user all look the same to the caller). devorg treats every IP as trusted, so the
    password is the password alone: no security token is appended."""
    user = find_user_by_username(db, username) if username else None
    stored = user.password_hash if user is not None else None
    if stored is None:
        await run_in_threadpool(passwords.verify_password, password, await _dummy_hash(db))
        return None
    if not await run_in_threadpool(passwords.verify_password, password, stored):
        return None
    if user is None or not user.active:
        return None
    return user


# -- responses ----------------------------------------------------------------------------------
def org_id(db: OrgDatabase) -> str:
    raw = db.meta("org_id") or "00D000000000000"
    return normalize_id(raw) or raw


def identity_url(state: DevorgState, user_id: str) -> str:
    return f"{state.settings.instance_url}/id/{org_id(state.db)}/{user_id}"


def token_signature(client_secret: str, id_url: str, issued_at: str) -> str:
    """Salesforce's `signature`: base64 HMAC-SHA256 of id + issued_at, keyed by the secret."""
    digest = hmac.new(
        client_secret.encode(), (id_url + issued_at).encode(), hashlib.sha256
    ).digest()
    return base64.b64encode(digest).decode()


def token_response(
    state: DevorgState, app: ConnectedApp, user_id: str, scope: str, issued: IssuedTokens
) -> JSONResponse:
    id_url = identity_url(state, user_id)
    issued_at = str(int(issued.issued_at * 1000))
    body: dict[str, str] = {
        "access_token": issued.access_token,
        "signature": token_signature(app.client_secret, id_url, issued_at),
        "scope": scope,
        "instance_url": state.settings.instance_url,
        "id": id_url,
        "token_type": "Bearer",
        "issued_at": issued_at,
    }
    if issued.refresh_token is not None:
        body["refresh_token"] = issued.refresh_token
    return JSONResponse(body, headers=NO_STORE)


def normalise_scope(requested: str | None) -> str:
    """The scope to grant: the requested known scopes, or the default when none is asked."""
    if requested is None or not requested.strip():
        return DEFAULT_SCOPE
    names = requested.split()
    unknown = [n for n in names if n not in KNOWN_SCOPES]
    if unknown:
        raise OAuthError("invalid_scope", "the requested scope is not allowed")
    return " ".join(dict.fromkeys(names))


def wants_refresh_token(scope: str) -> bool:
    names = scope.split()
    return "refresh_token" in names or "offline_access" in names
