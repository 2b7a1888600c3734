"""Authorizations of the authorization code flow (repository over store.oauth_grant_models):
the codes a login issues, the refresh tokens rotated from them, the access tokens issued from
them, and revoking all of it at once.

An authorization is one user's login through one client; everything issued from it is its
"family". Two presentations of one credential mean that someone else holds it too, so:

- a code is single-use: the first presentation by its client consumes it whatever the outcome
  (a failed PKCE check too); presenting it again revokes its authorization (RFC 6749 10.5);
- a refresh token rotates on each use; presenting an already rotated one revokes the
  authorization (OAuth 2.0 Security BCP, RFC 9700 4.14.2).

Revoking an authorization refuses its codes and refresh tokens from then on and puts the jtis
of its unexpired access tokens on the deny list (auth.revocation), so they stop at once. Each
consumption is one conditional UPDATE, so two presentations at once cannot both succeed.

Codes and refresh tokens are 256-bit random values kept as SHA-256 hashes. Like client ids
and jtis, they are unique across the deployment and are all a token request knows before it
finds the org, so these tables are read by key, not through store.tenancy.

Blocking (synchronous sessions): async callers use `run_in_threadpool`.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, delete, update
from sqlmodel import col, select

from auth.revocation import revoke_token_ids
from store.engine import session_scope
from store.oauth_grant_models import (
    OAuthAuthorization,
    OAuthAuthorizationCode,
    OAuthIssuedAccessToken,
    OAuthRefreshToken,
)

# RFC 6749 4.1.2 recommends at most 10 minutes; a client exchanges its code at once.
CODE_TTL_SECONDS = 60
CODE_PREFIX = "dpc_"
REFRESH_TOKEN_PREFIX = "dpr_"  # noqa: S105 - a prefix, not a secret


@dataclass(frozen=True)
class Authorization:
    id: str
    client_id: str
    org_id: str
    user_id: str
    scopes: tuple[str, ...]


@dataclass(frozen=True)
class CodeGrant:
    """What a consumed code grants, and what its token request must match."""

    authorization: Authorization
    redirect_uri: str
    code_challenge: str


def _hash(value: str) -> str:
    # surrogatepass: whatever str a client sends hashes (to a value that matches nothing).
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def _record(row: OAuthAuthorization) -> Authorization:
    return Authorization(
        id=row.id,
        client_id=row.client_id,
        org_id=row.org_id,
        user_id=row.user_id,
        scopes=tuple(row.scopes),
    )


def create_authorization(
    engine: Engine,
    *,
    client_id: str,
    org_id: str,
    user_id: str,
    scopes: Sequence[str],
    redirect_uri: str,
    code_challenge: str,
    now: datetime | None = None,
) -> str:
    """Record a user's authorization of a client and answer its authorization code (the one
    time it exists in clear). The code expires after CODE_TTL_SECONDS."""
    moment = _now(now)
    code = CODE_PREFIX + secrets.token_urlsafe(32)
    authorization = OAuthAuthorization(
        id=secrets.token_urlsafe(16),
        client_id=client_id,
        org_id=org_id,
        user_id=user_id,
        scopes=list(scopes),
        created_at=moment,
    )
    with session_scope(engine) as session:
        session.add(authorization)
        session.flush()  # the code's foreign key needs the authorization first
        session.add(
            OAuthAuthorizationCode(
                code_hash=_hash(code),
                authorization_id=authorization.id,
                redirect_uri=redirect_uri,
                code_challenge=code_challenge,
                expires_at=moment + timedelta(seconds=CODE_TTL_SECONDS),
            )
        )
    return code


def consume_code(
    engine: Engine, code: str, client_id: str, now: datetime | None = None
) -> CodeGrant | None:
    """Use up `code`, presented by `client_id`: what it grants, or None for an unknown code,
    another client's (left unused), an expired one, one of a revoked authorization, or one
    used before, which also revokes its authorization."""
    moment = _now(now)
    digest = _hash(code)
    with session_scope(engine) as session:
        row = session.get(OAuthAuthorizationCode, digest)
        if row is None:
            return None
        authorization = session.get(OAuthAuthorization, row.authorization_id)
        if authorization is None or authorization.client_id != client_id:
            return None
        claimed = session.execute(
            update(OAuthAuthorizationCode)
            .where(col(OAuthAuthorizationCode.code_hash) == digest)
            .where(col(OAuthAuthorizationCode.used_at).is_(None))
            .values(used_at=moment)
            .returning(col(OAuthAuthorizationCode.code_hash))
        ).first()
        granted = CodeGrant(_record(authorization), row.redirect_uri, row.code_challenge)
        live = row.expires_at > moment and authorization.revoked_at is None
    if claimed is None:
        revoke_authorization(engine, granted.authorization.id, moment)
        return None
    return granted if live else None


def record_access_token(
    engine: Engine, authorization_id: str, jti: str, expires_at: datetime
) -> bool:
    """Remember an access token about to be issued from the authorization (to revoke it with
    it); False when the authorization is revoked by then, and the token must not be issued.
    Checked after the row is committed: a revocation that read the issued tokens before this
    row existed has set revoked_at already, so one of the two always sees the other."""
    with session_scope(engine) as session:
        session.add(
            OAuthIssuedAccessToken(
                jti=jti, authorization_id=authorization_id, expires_at=expires_at
            )
        )
    return not authorization_revoked(engine, authorization_id)


def issue_refresh_token(
    engine: Engine, authorization_id: str, ttl_seconds: int, now: datetime | None = None
) -> str:
    """A new refresh token of the authorization (the one time it exists in clear)."""
    moment = _now(now)
    token = REFRESH_TOKEN_PREFIX + secrets.token_urlsafe(32)
    with session_scope(engine) as session:
        session.add(
            OAuthRefreshToken(
                token_hash=_hash(token),
                authorization_id=authorization_id,
                created_at=moment,
                expires_at=moment + timedelta(seconds=ttl_seconds),
            )
        )
    return token


def use_refresh_token(
    engine: Engine,
    token: str,
    client_id: str,
    now: datetime | None = None,
    *,
    check: Callable[[Authorization], None] | None = None,
) -> Authorization | None:
    """Rotate `token`, presented by `client_id`: its authorization (the caller issues the new
    refresh token), or None for an unknown token, another client's (left as it is), an
    expired one, one of a revoked authorization, or one rotated before, which also revokes
    its authorization (the whole family). `check(authorization)` runs first and may raise to
    refuse the request with the token left usable."""
    moment = _now(now)
    digest = _hash(token)
    with session_scope(engine) as session:
        row = session.get(OAuthRefreshToken, digest)
        if row is None:
            return None
        authorization = session.get(OAuthAuthorization, row.authorization_id)
        if authorization is None or authorization.client_id != client_id:
            return None
        if check is not None and row.rotated_at is None:
            check(_record(authorization))
        claimed = session.execute(
            update(OAuthRefreshToken)
            .where(col(OAuthRefreshToken.token_hash) == digest)
            .where(col(OAuthRefreshToken.rotated_at).is_(None))
            .values(rotated_at=moment)
            .returning(col(OAuthRefreshToken.token_hash))
        ).first()
        found = _record(authorization)
        live = row.expires_at > moment and authorization.revoked_at is None
    if claimed is None:
        revoke_authorization(engine, found.id, moment)
        return None
    return found if live else None


def refresh_token_authorization(engine: Engine, token: str, client_id: str) -> str | None:
    """The id of the authorization `token` (a refresh token, rotated or not, expired or not)
    belongs to, when `client_id` holds it; None otherwise. Nothing is used up: this is what
    revoking a refresh token (RFC 7009) looks up."""
    with session_scope(engine) as session:
        row = session.get(OAuthRefreshToken, _hash(token))
        if row is None:
            return None
        authorization = session.get(OAuthAuthorization, row.authorization_id)
    if authorization is None or authorization.client_id != client_id:
        return None
    return authorization.id


def revoke_authorization(
    engine: Engine, authorization_id: str, now: datetime | None = None
) -> None:
    """Revoke the authorization and everything issued from it: its codes and refresh tokens
    are refused from now on, its unexpired access tokens go on the deny list. Idempotent."""
    moment = _now(now)
    with session_scope(engine) as session:
        authorization = session.get(OAuthAuthorization, authorization_id)
        if authorization is None:
            return
        if authorization.revoked_at is None:
            authorization.revoked_at = moment
        issued = session.exec(
            select(OAuthIssuedAccessToken)
            .where(col(OAuthIssuedAccessToken.authorization_id) == authorization_id)
            .where(col(OAuthIssuedAccessToken.expires_at) > moment)
        ).all()
        tokens = [(row.jti, row.expires_at) for row in issued]
        client_id, org_id = authorization.client_id, authorization.org_id
    revoke_token_ids(engine, client_id=client_id, org_id=org_id, tokens=tokens, now=moment)


def authorization_revoked(engine: Engine, authorization_id: str) -> bool:
    """Whether the authorization is revoked (or unknown)."""
    with session_scope(engine) as session:
        row = session.get(OAuthAuthorization, authorization_id)
    return row is None or row.revoked_at is not None


def purge_expired_grants(engine: Engine, now: datetime | None = None) -> int:
    """Delete what can no longer be used or checked: authorization codes and refresh tokens
    past their expiry (a rotated refresh token is kept until then: presented again, it must
    still revoke its family) and the rows of issued access tokens past their `exp`. The
    authorizations stay (who logged in through which client, when). How many rows."""
    moment = _now(now)
    deleted = 0
    with session_scope(engine) as session:
        for model in (OAuthAuthorizationCode, OAuthRefreshToken, OAuthIssuedAccessToken):
            result = session.execute(delete(model).where(col(model.expires_at) <= moment))
            deleted += int(getattr(result, "rowcount", 0) or 0)
    return deleted
