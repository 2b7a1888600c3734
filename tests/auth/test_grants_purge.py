"""The OAuth purge keeps what reuse detection needs: expired codes, refresh tokens and
issued-token rows go; a rotated refresh token that has not expired stays (presented again, it
must still revoke its family); the authorization itself stays."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session, select

from auth.clients import register_client
from auth.grants import (
    create_authorization,
    issue_refresh_token,
    purge_expired_grants,
    record_access_token,
    revoke_authorization,
    use_refresh_token,
)
from store.oauth_grant_models import (
    OAuthAuthorization,
    OAuthAuthorizationCode,
    OAuthIssuedAccessToken,
    OAuthRefreshToken,
)
from tests import factories as f

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def _count(engine: Engine, model: type) -> int:
    with Session(engine) as session:
        return len(session.exec(select(model)).all())


def test_the_purge_deletes_only_what_expired(store_engine: Engine) -> None:
    f.org(store_engine)
    rep = f.user(store_engine, "Purge Rep")
    client, _ = register_client(
        store_engine, org_id=f.ORG_A, name="app", scopes=["pipeline:read"], public=True,
        redirect_uris=["https://app.example/cb"],
    )  # fmt: skip
    create_authorization(
        store_engine, client_id=client.client_id, org_id=f.ORG_A, user_id=rep.id,
        scopes=["pipeline:read"], redirect_uri="https://app.example/cb",
        code_challenge="c" * 43, now=T0,
    )  # fmt: skip
    with Session(store_engine) as session:
        authorization_id = session.exec(select(OAuthAuthorization.id)).one()
    short = issue_refresh_token(store_engine, authorization_id, 60, now=T0)
    rotated = issue_refresh_token(store_engine, authorization_id, 86_400, now=T0)
    assert use_refresh_token(store_engine, rotated, client.client_id, now=T0) is not None
    record_access_token(store_engine, authorization_id, "jti-old", T0 + timedelta(minutes=10))
    assert short  # issued, never used
    # a day later minus a minute: the code (minutes), the short refresh token and the access
    # token's row have expired; the rotated refresh token has not
    deleted = purge_expired_grants(store_engine, T0 + timedelta(hours=23))
    assert deleted == 3
    assert _count(store_engine, OAuthAuthorizationCode) == 0
    assert _count(store_engine, OAuthIssuedAccessToken) == 0
    assert _count(store_engine, OAuthRefreshToken) == 1
    assert _count(store_engine, OAuthAuthorization) == 1


def test_an_access_token_is_not_recorded_as_live_once_its_authorization_is_revoked(
    store_engine: Engine,
) -> None:
    """The race a reused refresh token opens: the family is revoked between the refresh and
    the new access token's recording. The recording says so, and the token is not issued."""
    f.org(store_engine)
    rep = f.user(store_engine, "Race Rep")
    client, _ = register_client(
        store_engine, org_id=f.ORG_A, name="app", scopes=["pipeline:read"], public=True,
        redirect_uris=["https://app.example/cb"],
    )  # fmt: skip
    create_authorization(
        store_engine, client_id=client.client_id, org_id=f.ORG_A, user_id=rep.id,
        scopes=["pipeline:read"], redirect_uri="https://app.example/cb",
        code_challenge="c" * 43, now=T0,
    )  # fmt: skip
    with Session(store_engine) as session:
        authorization_id = session.exec(select(OAuthAuthorization.id)).one()
    assert record_access_token(store_engine, authorization_id, "jti-1", T0 + timedelta(hours=1))
    revoke_authorization(store_engine, authorization_id, T0)
    assert not record_access_token(store_engine, authorization_id, "jti-2", T0 + timedelta(hours=1))
