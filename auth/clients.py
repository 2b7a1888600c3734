"""The registry of OAuth clients (store.oauth_models.OAuthClient) and its rules.

A client belongs to one org, holds the most scopes it may ever be granted, may be bound to a
run-as Salesforce user of that org, and lists the redirect URIs its authorization requests
must match exactly. A confidential client has a secret, shown once at registration and kept
only as its hash; a public client (a browser or native app using PKCE) has none.

Blocking (synchronous sessions): async callers use `run_in_threadpool`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from sqlalchemy import Engine, func, update
from sqlmodel import col, select

from auth.scopes import ScopeError, canonical_scopes, parse_scopes
from store.engine import session_scope
from store.models import Org, SfUser
from store.oauth_models import OAuthClient
from store.tenancy import OrgScope

CLIENT_ID_PREFIX = "dp_"
MAX_NAME_CHARS = 200
MAX_REDIRECT_URI_CHARS = 2_000
# RFC 8252 section 7.3: a native app may listen on a loopback interface over plain http.
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
_HASH_SCHEME = "sha256$"


class ClientRegistrationError(ValueError):
    """A registration refused: `field` names the argument at fault (org_id, name, scopes,
    redirect_uris, run_as_user_id); the message is safe to show (it holds no secret)."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


@dataclass(frozen=True)
class RegisteredClient:
    """A registered client as the rest of dealpulse sees it: never its secret or hash."""

    client_id: str
    org_id: str
    name: str
    scopes: tuple[str, ...]
    run_as_user_id: str | None
    redirect_uris: tuple[str, ...]
    public: bool
    created_at: datetime
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def _record(row: OAuthClient) -> RegisteredClient:
    return RegisteredClient(
        client_id=row.client_id,
        org_id=row.org_id,
        name=row.name,
        scopes=tuple(row.scopes),
        run_as_user_id=row.run_as_user_id,
        redirect_uris=tuple(row.redirect_uris),
        public=row.secret_hash is None,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )


# A secret is 32 random bytes (secrets.token_urlsafe(32)): 256 bits that cannot be guessed or
# looked up in a dictionary, so a slow password KDF (bcrypt, scrypt) would add cost and no
# safety; one SHA-256 is preimage-resistant enough. The scheme prefix leaves room for another.
def _hash_secret(secret: str) -> str:
    # surrogatepass: any str a caller sends hashes (to a value that matches nothing) rather
    # than raising on the way.
    digest = hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()
    return _HASH_SCHEME + digest


# Compared against when there is no stored hash (unknown or public client), so that every
# authentication hashes and compares once, whatever the client id.
_NO_MATCH = _hash_secret(secrets.token_urlsafe(32))


def _check_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise ClientRegistrationError("name", "a client needs a name")
    if not name.isprintable():  # it is printed by `dealpulse clients list`
        raise ClientRegistrationError("name", "a name holds no control characters")
    if len(name) > MAX_NAME_CHARS:
        raise ClientRegistrationError("name", f"a name has at most {MAX_NAME_CHARS} characters")
    return name


def _check_scopes(scopes: str | Iterable[str]) -> tuple[str, ...]:
    try:
        names = parse_scopes(scopes) if isinstance(scopes, str) else canonical_scopes(scopes)
    except ScopeError as error:
        raise ClientRegistrationError("scopes", str(error)) from None
    if not names:
        raise ClientRegistrationError("scopes", "a client needs at least one scope")
    return names


def check_redirect_uri(uri: str) -> str:
    """`uri` if it may be registered, else ClientRegistrationError (field redirect_uris).

    Absolute `https://` with a host; plain `http://` only to a loopback host (RFC 8252); no
    fragment (RFC 6749 section 3.1.2); no whitespace or control characters (the URI is
    matched exactly, so it must be unambiguous); at most MAX_REDIRECT_URI_CHARS characters.
    """
    field = "redirect_uris"
    if len(uri) > MAX_REDIRECT_URI_CHARS:
        raise ClientRegistrationError(
            field, f"a redirect URI has at most {MAX_REDIRECT_URI_CHARS} characters"
        )
    shown = repr(uri[:100] + ("..." if len(uri) > 100 else ""))
    if any(char.isspace() or not char.isprintable() for char in uri):
        raise ClientRegistrationError(field, f"{shown} holds whitespace or control characters")
    try:
        parts = urlsplit(uri)
        host = parts.hostname
        _ = parts.port  # raises on a port that is not a number in range
    except ValueError:
        raise ClientRegistrationError(field, f"{shown} is not a valid URI") from None
    if parts.scheme not in ("https", "http") or not host:
        raise ClientRegistrationError(field, f"{shown} is not an absolute https:// URI with a host")
    if parts.scheme == "http" and host not in LOOPBACK_HOSTS:
        raise ClientRegistrationError(
            field, f"{shown}: plain http:// is allowed only to 127.0.0.1, localhost or [::1]"
        )
    if parts.fragment or "#" in uri:
        raise ClientRegistrationError(field, f"{shown} has a fragment (#...)")
    return uri


def _check_redirect_uris(uris: Iterable[str]) -> tuple[str, ...]:
    # A URI given twice is registered once: matching is exact, a copy would change nothing.
    return tuple(dict.fromkeys(check_redirect_uri(uri) for uri in uris))


def register_client(
    engine: Engine,
    *,
    org_id: str,
    name: str,
    scopes: str | Iterable[str],
    run_as_user_id: str | None = None,
    redirect_uris: Iterable[str] = (),
    public: bool = False,
    now: datetime | None = None,
) -> tuple[RegisteredClient, str | None]:
    """Register a client of `org_id`; answers it and its secret (None for a public client).
    The secret is not kept (only its hash): this is the one time anyone sees it.

    `scopes` is a space-separated list or names. Refused with ClientRegistrationError: an org
    that is not registered, a blank or overlong name, no or an unknown or repeated scope, a
    redirect URI check_redirect_uri refuses, a public client without a redirect URI or with a
    run-as user (it cannot use the client credentials grant, the only one that acts as the
    run-as user), a run-as user that is not an active mirrored user of the org.
    """
    name = _check_name(name)
    names = _check_scopes(scopes)
    uris = _check_redirect_uris(redirect_uris)
    if public and not uris:
        raise ClientRegistrationError(
            "redirect_uris", "a public client needs at least one redirect URI"
        )
    if public and run_as_user_id is not None:
        raise ClientRegistrationError(
            "run_as_user_id",
            "a public client cannot have a run-as user: it has no secret for the client "
            "credentials grant",
        )
    secret = None if public else secrets.token_urlsafe(32)
    with session_scope(engine) as session:
        if session.get(Org, org_id) is None:
            raise ClientRegistrationError("org_id", f"no org {org_id!r} is registered")
        if run_as_user_id is not None:
            user = OrgScope(org_id).get(session, SfUser, run_as_user_id)
            if user is None or not user.is_active:
                raise ClientRegistrationError(
                    "run_as_user_id",
                    f"{run_as_user_id!r} is not an active mirrored user of org {org_id!r}",
                )
        row = OAuthClient(
            client_id=CLIENT_ID_PREFIX + secrets.token_urlsafe(16),
            org_id=org_id,
            name=name,
            secret_hash=None if secret is None else _hash_secret(secret),
            scopes=list(names),
            run_as_user_id=run_as_user_id,
            redirect_uris=list(uris),
            created_at=now or datetime.now(UTC),
        )
        session.add(row)
    return _record(row), secret


def user_id_by_username(engine: Engine, org_id: str, username: str) -> str | None:
    """The id of the org's mirrored user with this Salesforce username (compared without
    regard to case, as Salesforce does), active or not; None if there is none."""
    statement = (
        OrgScope(org_id)
        .select(SfUser)
        .where(func.lower(col(SfUser.username)) == username.strip().lower())
        .order_by(col(SfUser.id))
    )
    with session_scope(engine) as session:
        user = session.exec(statement).first()
    return None if user is None else user.id


def find_client(
    engine: Engine, client_id: str, *, org_id: str | None = None
) -> RegisteredClient | None:
    """The client (revoked or not), or None; with `org_id`, None unless it is that org's."""
    with session_scope(engine) as session:
        row = session.get(OAuthClient, client_id)
    if row is None or (org_id is not None and row.org_id != org_id):
        return None
    return _record(row)


def authenticate_client(engine: Engine, client_id: str, secret: str) -> RegisteredClient | None:
    """The client if `secret` is its secret and it is active; None for an unknown, revoked or
    public client or a wrong secret, which callers must not tell apart (the token endpoint
    answers invalid_client to all). The secret is hashed and compared in constant time in
    every case, so the time taken does not reveal how much of a secret was right."""
    with session_scope(engine) as session:
        row = session.get(OAuthClient, client_id)
    stored = row.secret_hash if row is not None and row.secret_hash else _NO_MATCH
    matches = hmac.compare_digest(_hash_secret(secret), stored)
    if row is None or row.secret_hash is None or row.revoked_at is not None or not matches:
        return None
    return _record(row)


def list_clients(engine: Engine, org_id: str | None = None) -> list[RegisteredClient]:
    """Every client (of `org_id` only, when given), revoked ones too, oldest first."""
    statement = select(OAuthClient) if org_id is None else OrgScope(org_id).select(OAuthClient)
    statement = statement.order_by(col(OAuthClient.created_at), col(OAuthClient.client_id))
    with session_scope(engine) as session:
        return [_record(row) for row in session.exec(statement).all()]


def revoke_client(
    engine: Engine, client_id: str, now: datetime | None = None, *, org_id: str | None = None
) -> bool:
    """Revoke the client for good: it authenticates no more. False if there is no such
    client (of `org_id`, when given) or it is already revoked. One conditional UPDATE, so two
    revocations at once cannot both answer True."""
    statement = update(OAuthClient) if org_id is None else OrgScope(org_id).update(OAuthClient)
    statement = statement.where(
        col(OAuthClient.client_id) == client_id, col(OAuthClient.revoked_at).is_(None)
    ).values(revoked_at=now or datetime.now(UTC))
    with session_scope(engine) as session:
        # RETURNING rather than rowcount: typed, and the same on SQLite and PostgreSQL.
        revoked = session.execute(statement.returning(col(OAuthClient.client_id))).first()
    return revoked is not None
