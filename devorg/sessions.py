"""Access and refresh tokens (Salesforce calls an access token a session id).

Tokens are random, shown once, and stored only as SHA-256 hashes. An access token looks like
Salesforce's: the 15-character org id, `!`, then random characters.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass

from devorg.db import OrgDatabase


@dataclass(frozen=True)
class Session:
    user_id: str
    client_id: str
    scope: str
    issued_at: float


@dataclass(frozen=True)
class IssuedTokens:
    access_token: str
    refresh_token: str | None
    issued_at: float


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token(db: OrgDatabase) -> str:
    org_id = db.meta("org_id") or "00D000000000000"
    return f"{org_id[:15]}!{secrets.token_urlsafe(72)}"


def issue_tokens(
    db: OrgDatabase,
    *,
    user_id: str,
    client_id: str,
    scope: str,
    ttl_seconds: int,
    with_refresh: bool,
    refresh_token: str | None = None,
) -> IssuedTokens:
    """Store and return a new access token (and a new refresh token unless one is reused)."""
    now = time.time()
    access = _new_token(db)
    new_refresh = _new_token(db) if with_refresh and refresh_token is None else None
    refresh = refresh_token or new_refresh
    db.conn.execute(
        "INSERT INTO _oauth_token (token_hash, kind, user_id, client_id, scope, issued_at, "
        "expires_at, refresh_hash) VALUES (?, 'access', ?, ?, ?, ?, ?, ?)",
        [token_hash(access), user_id, client_id, scope, now, now + ttl_seconds,
         token_hash(refresh) if refresh else None],
    )  # fmt: skip
    if new_refresh is not None:
        db.conn.execute(
            "INSERT INTO _oauth_token (token_hash, kind, user_id, client_id, scope, issued_at, "
            "expires_at) VALUES (?, 'refresh', ?, ?, ?, ?, NULL)",
            [token_hash(new_refresh), user_id, client_id, scope, now],
        )
    return IssuedTokens(access, new_refresh, now)


def lookup(db: OrgDatabase, token: str, kind: str = "access") -> Session | None:
    """The live session a token belongs to, or None if unknown, revoked or expired."""
    row = db.conn.execute(
        "SELECT user_id, client_id, scope, issued_at, expires_at FROM _oauth_token "
        "WHERE token_hash = ? AND kind = ? AND revoked = 0",
        [token_hash(token), kind],
    ).fetchone()
    if row is None or (row[4] is not None and row[4] <= time.time()):
        return None
    return Session(user_id=row[0], client_id=row[1], scope=row[2], issued_at=row[3])


def revoke(db: OrgDatabase, token: str) -> bool:
    """Revoke a token; revoking a refresh token also ends the access tokens issued from it."""
    digest = token_hash(token)
    cursor = db.conn.execute(
        "UPDATE _oauth_token SET revoked = 1 WHERE token_hash = ? AND revoked = 0", [digest]
    )
    db.conn.execute("UPDATE _oauth_token SET revoked = 1 WHERE refresh_hash = ?", [digest])
    return cursor.rowcount > 0


def expire_all_access_tokens(db: OrgDatabase) -> None:
    """End every live session now (fault injection: 'session expired' for every client)."""
    db.conn.execute("UPDATE _oauth_token SET expires_at = ? WHERE kind = 'access'", [time.time()])
