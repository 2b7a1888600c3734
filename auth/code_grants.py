"""The token endpoint's grants for users (RFC 6749 4.1 and 6): `authorization_code` with PKCE
and `refresh_token` with rotation, as Authlib grants over auth.grants. Registered on
auth.oauth_server.DealpulseAuthorizationServer beside client credentials.

- authorization_code: a public client authenticates with `none` (its client_id) and a
  confidential one with its secret (basic or post); both must send the PKCE `code_verifier`
  whose S256 matches the code's challenge (the authorize endpoint accepts no other method),
  and the exact redirect_uri of the authorization request. The code is used up by its first
  presentation whatever the outcome; a reused one is `invalid_grant` and revokes everything
  issued from it (auth.grants).
- refresh_token: each use answers a new refresh token and invalidates the one presented; a
  rotated token presented again is `invalid_grant` and revokes the whole family. `scope` may
  ask for fewer of the authorization's scopes, never more (`invalid_scope`, and the refresh
  token stays usable).

Both re-check the user: still an active mirrored user of the org, or `invalid_grant`; and
every access token carries only what the user's profile allows now (auth.principals'
profile_scopes), so an administrator who is no longer one loses `admin` at the next refresh.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from authlib.oauth2.rfc6749.errors import (
    InvalidGrantError,
    InvalidRequestError,
    InvalidScopeError,
)
from authlib.oauth2.rfc6749.grants import AuthorizationCodeGrant, RefreshTokenGrant
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oauth2.rfc7636.challenge import CODE_VERIFIER_PATTERN
from sqlalchemy import Engine

from auth.clients import RegisteredClient
from auth.grants import Authorization, CodeGrant, consume_code, use_refresh_token
from auth.principals import profile_scopes
from auth.visibility import access_level
from store import queries

USER_GRANT_AUTH_METHODS = ("none", "client_secret_basic", "client_secret_post")


class _GrantServer(Protocol):
    """What the grants need of the server (auth.oauth_server.DealpulseAuthorizationServer)."""

    @property
    def engine(self) -> Engine: ...


class _AuthenticatedClient(Protocol):
    @property
    def registered(self) -> RegisteredClient: ...


def user_scope_cap(engine: Engine, org_id: str, user_id: str) -> frozenset[str] | None:
    """The most a token of this user may carry now (profile_scopes: `admin` only for
    administrators), or None when it is not an active mirrored user of the org. One
    statement (profile_scopes depends on the profile alone, not on the role tree)."""
    found = queries.user_in_org(engine, org_id, user_id)
    if found is None or not found.user.is_active:
        return None
    return profile_scopes(access_level(found.user.profile_name, set()))


@dataclass(frozen=True)
class UserGrant:
    """The `user` Authlib hands to token generation: the authorization the tokens come from
    and the scopes they may carry now (the authorization's, capped by the profile)."""

    authorization: Authorization
    scopes: tuple[str, ...]


def _user_grant(engine: Engine, authorization: Authorization) -> UserGrant:
    cap = user_scope_cap(engine, authorization.org_id, authorization.user_id)
    if cap is None:
        raise InvalidGrantError(description="the user is no longer an active user of the org")
    return UserGrant(authorization, tuple(s for s in authorization.scopes if s in cap))


@dataclass(frozen=True)
class _Code:
    """A consumed code as Authlib's grant reads it."""

    grant: CodeGrant

    def get_redirect_uri(self) -> str:
        return self.grant.redirect_uri

    def get_scope(self) -> str:
        return " ".join(self.grant.authorization.scopes)


@dataclass(frozen=True)
class _Refresh:
    """A rotated refresh token as Authlib's grant reads it (already matched to its client)."""

    authorization: Authorization

    def check_client(self, client: object) -> bool:
        return True

    def get_scope(self) -> str:
        return " ".join(self.authorization.scopes)


class AuthorizationCode(AuthorizationCodeGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = list(USER_GRANT_AUTH_METHODS)

    @property
    def _engine(self) -> Engine:
        server: _GrantServer = self.server
        return server.engine

    def query_authorization_code(self, code: str, client: _AuthenticatedClient) -> _Code | None:
        grant = consume_code(self._engine, code, client.registered.client_id)
        return None if grant is None else _Code(grant)

    def validate_token_request(self) -> None:
        super().validate_token_request()  # client, grant type, code (consumed), redirect_uri
        verifier = self.request.form.get("code_verifier")
        if not verifier:
            raise InvalidRequestError(description="the 'code_verifier' parameter is required")
        if not CODE_VERIFIER_PATTERN.fullmatch(verifier):
            raise InvalidRequestError(description="the 'code_verifier' is malformed")
        challenge = self.request.authorization_code.grant.code_challenge
        if not hmac.compare_digest(create_s256_code_challenge(verifier), challenge):
            raise InvalidGrantError(description="the code_verifier does not match")

    def authenticate_user(self, code: _Code) -> UserGrant:
        return _user_grant(self._engine, code.grant.authorization)

    def delete_authorization_code(self, code: _Code) -> None:
        """Nothing to do: query_authorization_code used the code up already."""

    def save_authorization_code(self, code: str, request: Any) -> None:
        raise NotImplementedError("codes are issued by the authorize endpoint (auth.grants)")


class RefreshToken(RefreshTokenGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = list(USER_GRANT_AUTH_METHODS)
    INCLUDE_NEW_REFRESH_TOKEN = True

    @property
    def _engine(self) -> Engine:
        server: _GrantServer = self.server
        return server.engine

    def authenticate_refresh_token(self, refresh_token: str) -> _Refresh | None:
        client: _AuthenticatedClient = self.request.client
        asked = set((self.request.payload.scope or "").split())

        def within_scopes(authorization: Authorization) -> None:
            # Before the token is used up: a client asking too much keeps its refresh token.
            beyond = sorted(asked - set(authorization.scopes))
            if beyond:
                raise InvalidScopeError(
                    description=f"beyond what was authorized: {' '.join(beyond)}"
                )

        found = use_refresh_token(
            self._engine, refresh_token, client.registered.client_id, check=within_scopes
        )
        return None if found is None else _Refresh(found)

    def authenticate_user(self, refresh: _Refresh) -> UserGrant:
        return _user_grant(self._engine, refresh.authorization)

    def revoke_old_credential(self, refresh: _Refresh) -> None:
        """Nothing to do: authenticate_refresh_token rotated it already."""
