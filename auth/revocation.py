"""The deny list of revoked access tokens (repository over store.oauth_models.OAuthRevokedToken).

Access tokens are self-contained JWTs, checked without the database; revocation is what the
signature cannot say. A token is revoked when its jti is on the deny list (RFC 7009, by
/oauth/revoke) or when its client is unknown in the token's org or revoked: revoking a client
stops every token it already holds at once, with no row per token. `token_revoked` answers
both in one SQL statement, as it runs on every authenticated request.

Blocking (synchronous sessions): async callers use `run_in_threadpool`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import Engine, delete, or_
from sqlalchemy.sql.dml import Insert
from sqlmodel import col, select

from auth.access_tokens import (
    AccessTokenClaims,
    AccessTokenError,
    TokenSettings,
    verify_access_token,
)
from store.engine import conflict_insert, session_scope
from store.oauth_models import OAuthClient, OAuthRevokedToken
from store.tenancy import OrgScope, table_of


def _insert_if_absent(engine: Engine) -> Insert:
    table = table_of(OAuthRevokedToken)
    statement: Insert = conflict_insert(engine.dialect, table).on_conflict_do_nothing()
    return statement


def revoke_access_token(
    engine: Engine, claims: AccessTokenClaims, now: datetime | None = None
) -> None:
    """Put the (verified) token on the deny list. Idempotent: revoking it again, or twice at
    once, keeps the first revocation and raises nothing. The token's client must be
    registered (the caller revokes a token of the client it authenticated)."""
    row = {
        "jti": claims.jti,
        "client_id": claims.client_id,
        "org_id": claims.org_id,
        "expires_at": claims.expires_at,
        "revoked_at": now or datetime.now(UTC),
    }
    with session_scope(engine) as session:
        session.execute(_insert_if_absent(engine).values(row))


def revoke_token_ids(
    engine: Engine,
    *,
    client_id: str,
    org_id: str,
    tokens: Sequence[tuple[str, datetime]],
    now: datetime | None = None,
) -> None:
    """Put tokens of one client, known by (jti, expiry) rather than verified (auth.grants
    revoking an authorization's access tokens), on the deny list; idempotent as
    revoke_access_token."""
    if not tokens:
        return
    moment = now or datetime.now(UTC)
    rows = [
        {"jti": jti, "client_id": client_id, "org_id": org_id, "expires_at": expires_at,
         "revoked_at": moment}
        for jti, expires_at in tokens
    ]  # fmt: skip
    with session_scope(engine) as session:
        session.execute(_insert_if_absent(engine).values(rows))


def token_revoked(engine: Engine, claims: AccessTokenClaims) -> bool:
    """True when the token's jti is on the deny list, or its client is not an active client
    of the token's org (unknown, of another org, or revoked). One SELECT of two EXISTS."""
    denied = select(col(OAuthRevokedToken.jti)).where(col(OAuthRevokedToken.jti) == claims.jti)
    client_active = (
        select(col(OAuthClient.client_id))
        .where(OrgScope(claims.org_id).owns(OAuthClient))
        .where(col(OAuthClient.client_id) == claims.client_id)
        .where(col(OAuthClient.revoked_at).is_(None))
    )
    statement = select(or_(denied.exists(), ~client_active.exists()))
    with engine.connect() as connection:
        return bool(connection.execute(statement).scalar_one())


def verify_unrevoked_access_token(
    engine: Engine, settings: TokenSettings, token: str | None, *, now: datetime | None = None
) -> AccessTokenClaims:
    """auth.access_tokens.verify_access_token, then token_revoked: the claims of a valid token
    that is neither revoked nor held by a revoked client, else AccessTokenError (reason
    "revoked" for those two). Its `is_revoked(jti)` hook cannot see the client, hence this."""
    claims = verify_access_token(engine, settings, token, now=now)
    if token_revoked(engine, claims):
        raise AccessTokenError("revoked", "revoked")
    return claims


def purge_expired_revocations(engine: Engine, now: datetime | None = None) -> int:
    """Delete the rows of tokens that have expired anyway (a verifier refuses them on `exp`
    alone); answers how many. Deployment-wide maintenance, across every org on purpose."""
    statement = delete(table_of(OAuthRevokedToken)).where(
        col(OAuthRevokedToken.expires_at) <= (now or datetime.now(UTC))
    )
    with session_scope(engine) as session:
        # RETURNING rather than rowcount: typed, and the same on SQLite and PostgreSQL.
        return len(session.execute(statement.returning(col(OAuthRevokedToken.jti))).all())
