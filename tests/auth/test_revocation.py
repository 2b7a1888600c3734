"""The deny list of revoked access tokens (auth.revocation) on both databases: revoking is
idempotent, a revoked client's tokens count as revoked with no row of theirs, the check is one
statement, and the purge removes only rows of tokens that have expired."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import Engine, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from auth.access_tokens import AccessTokenClaims, AccessTokenError, issue_access_token
from auth.clients import register_client, revoke_client
from auth.revocation import (
    purge_expired_revocations,
    revoke_access_token,
    token_revoked,
    verify_unrevoked_access_token,
)
from store.engine import session_scope
from store.oauth_models import OAuthRevokedToken
from tests import factories as f
from tests.graphql_client import make_settings
from tests.store_backends import counting

T0 = f.NOW


def claims_of(client_id: str, org_id: str = f.ORG_A, jti: str = "jti-1") -> AccessTokenClaims:
    return AccessTokenClaims(
        subject=client_id,
        client_id=client_id,
        org_id=org_id,
        scopes=("pipeline:read",),
        issued_at=T0,
        expires_at=T0 + timedelta(minutes=10),
        jti=jti,
    )


def a_client(engine: Engine, org_id: str = f.ORG_A) -> str:
    client, _ = register_client(engine, org_id=org_id, name="BI", scopes=["pipeline:read"])
    return client.client_id


def stored(engine: Engine) -> list[OAuthRevokedToken]:
    with session_scope(engine) as session:
        return list(session.exec(select(OAuthRevokedToken).order_by(OAuthRevokedToken.jti)))


def test_a_revoked_token_is_revoked_and_revoking_again_changes_nothing(
    store_engine: Engine,
) -> None:
    f.org(store_engine)
    claims = claims_of(a_client(store_engine))
    other = replace(claims, jti="jti-2")
    assert not token_revoked(store_engine, claims)
    revoke_access_token(store_engine, claims, T0)
    revoke_access_token(store_engine, claims, T0 + timedelta(minutes=1))
    assert token_revoked(store_engine, claims)
    assert not token_revoked(store_engine, other)  # only that token
    [row] = stored(store_engine)
    assert (row.jti, row.client_id, row.org_id) == ("jti-1", claims.client_id, f.ORG_A)
    assert (row.expires_at, row.revoked_at) == (claims.expires_at, T0)  # the first revocation


def test_a_revoked_unknown_or_foreign_client_s_tokens_are_revoked(store_engine: Engine) -> None:
    f.org(store_engine)
    f.org(store_engine, f.ORG_B, with_stages=False)
    client_id = a_client(store_engine)
    claims = claims_of(client_id)
    assert token_revoked(store_engine, claims_of("dp_nobody"))
    assert token_revoked(store_engine, claims_of(client_id, org_id=f.ORG_B))  # not its org
    assert not token_revoked(store_engine, claims)
    revoke_client(store_engine, client_id, T0)
    assert token_revoked(store_engine, claims)
    assert stored(store_engine) == []  # no row per token: the client's own row says it


def test_the_check_is_one_statement(store_engine: Engine) -> None:
    f.org(store_engine)
    claims = claims_of(a_client(store_engine))
    revoke_access_token(store_engine, claims, T0)
    with counting(store_engine) as statements:
        assert token_revoked(store_engine, claims)
        assert not token_revoked(store_engine, replace(claims, jti="jti-2"))
    assert len(statements) == 2, statements


def test_the_purge_removes_only_expired_tokens_rows(store_engine: Engine) -> None:
    f.org(store_engine)
    client_id = a_client(store_engine)
    short = replace(claims_of(client_id, jti="short"), expires_at=T0 + timedelta(minutes=1))
    long = replace(claims_of(client_id, jti="long"), expires_at=T0 + timedelta(minutes=10))
    revoke_access_token(store_engine, short, T0)
    revoke_access_token(store_engine, long, T0)
    assert purge_expired_revocations(store_engine, T0) == 0
    assert purge_expired_revocations(store_engine, T0 + timedelta(minutes=1)) == 1
    assert [row.jti for row in stored(store_engine)] == ["long"]
    assert token_revoked(store_engine, long)
    assert purge_expired_revocations(store_engine, T0 + timedelta(hours=1)) == 1
    with session_scope(store_engine) as session:
        assert session.exec(select(func.count()).select_from(OAuthRevokedToken)).one() == 0


def test_verify_unrevoked_refuses_a_revoked_token_or_a_revoked_client_s(
    store_engine: Engine,
) -> None:
    settings = make_settings()
    f.org(store_engine)
    client_id = a_client(store_engine)

    def issue() -> str:
        return issue_access_token(
            store_engine, settings, subject=client_id, client_id=client_id, org_id=f.ORG_A,
            scopes=["pipeline:read"], now=T0,
        )  # fmt: skip

    def reason(token: str) -> str | None:
        try:
            verify_unrevoked_access_token(store_engine, settings, token, now=T0)
        except AccessTokenError as error:
            return error.reason
        return None

    revoked, kept = issue(), issue()
    claims = verify_unrevoked_access_token(store_engine, settings, revoked, now=T0)
    revoke_access_token(store_engine, claims, T0)
    assert (reason(revoked), reason(kept), reason("garbage")) == ("revoked", None, "malformed")
    revoke_client(store_engine, client_id, T0)
    assert reason(kept) == "revoked"


def test_a_token_whose_client_is_unregistered_cannot_be_put_on_the_list(
    store_engine: Engine,
) -> None:
    # The deny list holds tokens of registered clients only (a foreign key): the endpoint
    # revokes tokens of the client it authenticated, never a stranger's.
    f.org(store_engine)
    with pytest.raises(IntegrityError):
        revoke_access_token(store_engine, claims_of("dp_nobody"), T0)
