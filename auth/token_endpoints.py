"""Token revocation (RFC 7009) and introspection (RFC 7662): Authlib's endpoints, subclassed
over our JWT access tokens and the deny list of auth.revocation.

Why Authlib's endpoints rather than our own: they run on the authorization server's own client
authentication (the same `query_client` and secret check as the token endpoint, with
`client_secret_basic` and `client_secret_post`), so a revoked client, a public client, a wrong
secret or no credentials are an `invalid_client` 401 exactly as at /oauth/token. What we
override is what a JWT server needs: finding an access token is verifying it, and revoking
one is putting its jti on the deny list; a refresh token (auth.grants) is found by its hash,
and revoking it revokes its whole authorization, the access tokens issued from it included
(RFC 7009 section 2.1: "SHOULD also invalidate all access tokens based on the same
authorization grant"). A public client (a browser app) revokes with its `client_id` alone
(auth method `none`), as it logs out; introspection stays for confidential clients.

Both endpoints answer 200 whatever the token (RFC 7009 section 2.2; RFC 7662 section 2.2): a
client learns nothing of tokens that are not its own (revocation) or its org's (introspection).
`token_type_hint` is ignored, as RFC 7009 allows ("a hint"): a refresh token is told apart by
its prefix.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from authlib.oauth2 import OAuth2Request
from authlib.oauth2.rfc6749 import InvalidRequestError
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from sqlalchemy import Engine

from auth.access_tokens import (
    AccessTokenClaims,
    AccessTokenError,
    TokenSettings,
    verify_access_token,
)
from auth.clients import RegisteredClient
from auth.grants import REFRESH_TOKEN_PREFIX, refresh_token_authorization, revoke_authorization
from auth.revocation import revoke_access_token, verify_unrevoked_access_token


class AuthenticatedClient(Protocol):
    """The client the server authenticated (auth.oauth_server's Authlib client)."""

    @property
    def registered(self) -> RegisteredClient: ...


def _require_token(request: OAuth2Request) -> str:
    token = request.form.get("token")
    if token is None:
        raise InvalidRequestError(description="the 'token' parameter is required")
    return str(token)


@dataclass(frozen=True)
class _RefreshTokenGrant:
    """A refresh token found for revocation: the authorization it belongs to."""

    authorization_id: str


class TokenRevocation(RevocationEndpoint):  # type: ignore[misc]
    """POST /oauth/revoke: a valid access token of the authenticating client goes on the deny
    list; a refresh token of the client revokes its authorization (the whole family).
    Anything else (invalid, expired, already revoked, another client's) changes nothing and
    gets the same 200, so a client cannot revoke another's token nor probe for one."""

    def __init__(self, engine: Engine, settings: TokenSettings, methods: Sequence[str]) -> None:
        super().__init__()
        self.CLIENT_AUTH_METHODS = list(methods)
        self._engine = engine
        self._settings = settings

    def check_params(self, request: OAuth2Request, client: AuthenticatedClient) -> None:
        _require_token(request)  # an unknown token_type_hint is ignored (RFC 7009 2.1)

    def authenticate_token(
        self, request: OAuth2Request, client: AuthenticatedClient
    ) -> AccessTokenClaims | _RefreshTokenGrant | None:
        token = _require_token(request)
        client_id = client.registered.client_id
        if token.startswith(REFRESH_TOKEN_PREFIX):
            authorization_id = refresh_token_authorization(self._engine, token, client_id)
            return None if authorization_id is None else _RefreshTokenGrant(authorization_id)
        try:
            # No deny-list read: revoking a revoked token again is a harmless no-op, and the
            # token's client is the caller, whom the server just found active.
            claims = verify_access_token(self._engine, self._settings, token)
        except AccessTokenError:
            return None
        return claims if claims.client_id == client_id else None

    def revoke_token(
        self, token: AccessTokenClaims | _RefreshTokenGrant, request: OAuth2Request
    ) -> None:
        if isinstance(token, _RefreshTokenGrant):
            revoke_authorization(self._engine, token.authorization_id)
        else:
            revoke_access_token(self._engine, token)


class AccessTokenIntrospection(IntrospectionEndpoint):  # type: ignore[misc]
    """POST /oauth/introspect: any authenticated client may introspect its org's tokens (a
    partner's resource server holds a client of its own). A valid, unrevoked token of the
    caller's org is described; anything else is exactly {"active": false}."""

    def __init__(self, engine: Engine, settings: TokenSettings, methods: Sequence[str]) -> None:
        super().__init__()
        self.CLIENT_AUTH_METHODS = list(methods)
        self._engine = engine
        self._settings = settings

    def check_params(self, request: OAuth2Request, client: AuthenticatedClient) -> None:
        _require_token(request)

    def authenticate_token(
        self, request: OAuth2Request, client: AuthenticatedClient
    ) -> AccessTokenClaims | None:
        token = _require_token(request)
        try:
            claims = verify_unrevoked_access_token(self._engine, self._settings, token)
        except AccessTokenError:
            return None
        return claims if claims.org_id == client.registered.org_id else None

    def create_introspection_payload(self, token: AccessTokenClaims | None) -> dict[str, Any]:
        if token is None:
            return {"active": False}
        return {
            "active": True,
            "scope": " ".join(token.scopes),
            "client_id": token.client_id,
            "sub": token.subject,
            "exp": int(token.expires_at.timestamp()),
            "iat": int(token.issued_at.timestamp()),
            "iss": self._settings.oauth_issuer,
            "aud": self._settings.oauth_audience,
            "token_type": "Bearer",
            "org": token.org_id,
        }
