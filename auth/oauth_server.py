"""dealpulse's OAuth 2 authorization server: Authlib's framework-agnostic core
(`authlib.oauth2.AuthorizationServer`) over the client registry (auth.clients) and the JWT
access tokens (auth.access_tokens), with no web framework in it: api.oauth_routes hands it a
`FormRequest` built from the Starlette request and turns its (status, body, headers) answer
into a response.

Grants: client credentials (RFC 6749 section 4.4) for partners and BI tools,
authenticated with `client_secret_basic` or `client_secret_post`; for users, authorization
code with PKCE and refresh tokens with rotation (auth.code_grants), for clients registered
with redirect URIs (public ones authenticate with `none`). A client may ask for fewer
scopes than it was registered with, never for more (`invalid_scope`); asking for none grants
all of its own. A run-as client's token has the run-as Salesforce user as `sub`; any other
client's, the client itself (RFC 9068 section 2.2).

Revocation (RFC 7009) and introspection (RFC 7662) are Authlib endpoints registered on the
same server (auth.token_endpoints), so they authenticate clients exactly as the token endpoint
(introspection: confidential clients only).

Blocking (database reads): async callers run `token_response`, `revocation_response` and
`introspection_response` in a worker thread.
"""

from __future__ import annotations

import logging
import secrets
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, Protocol

from authlib.oauth2 import AuthorizationServer, OAuth2Request
from authlib.oauth2.rfc6749 import ClientMixin, OAuth2Payload
from authlib.oauth2.rfc6749.errors import InvalidClientError, InvalidGrantError, InvalidScopeError
from authlib.oauth2.rfc6749.grants import ClientCredentialsGrant
from sqlalchemy import Engine

from auth.access_tokens import TokenSettings, issue_access_token
from auth.clients import RegisteredClient, authenticate_client, find_client
from auth.code_grants import AuthorizationCode, RefreshToken, UserGrant, user_scope_cap
from auth.grants import issue_refresh_token, record_access_token
from auth.principals import CLIENT_SCOPES
from auth.scopes import ALL_SCOPES
from auth.token_endpoints import AccessTokenIntrospection, TokenRevocation

# Authlib logs issued tokens and client ids at DEBUG ("Issue token {...}"): a deployment that
# turns on debug logging must still not write access tokens to its logs.
logging.getLogger("authlib").setLevel(logging.INFO)

CONFIDENTIAL_METHODS = ("client_secret_basic", "client_secret_post")
# A public client authenticates with its client_id alone: at the token and revocation endpoints.
CLIENT_AUTH_METHODS = (*CONFIDENTIAL_METHODS, "none")
USER_GRANTS = ("authorization_code", "refresh_token")


class ServerSettings(TokenSettings, Protocol):
    @property
    def refresh_token_ttl_seconds(self) -> int: ...


class _FormPayload(OAuth2Payload):  # type: ignore[misc]
    def __init__(self, form: Mapping[str, str]) -> None:
        self._form = dict(form)

    @property
    def data(self) -> dict[str, str]:
        return self._form

    @property
    def datalist(self) -> defaultdict[str, list[str]]:
        values: defaultdict[str, list[str]] = defaultdict(list)
        for key, value in self._form.items():
            values[key].append(value)
        return values


class FormRequest(OAuth2Request):  # type: ignore[misc]
    """A token endpoint request as Authlib reads it: the method, the URL, the headers as the
    framework gives them (a case-insensitive mapping: Basic auth is looked up as
    "Authorization") and the already-read form. Parameters in the query string are not read:
    client credentials must not travel in a URL."""

    def __init__(
        self, method: str, uri: str, headers: Mapping[str, str], form: Mapping[str, str]
    ) -> None:
        super().__init__(method, uri, headers=headers)
        self.payload = _FormPayload(form)

    @property
    def form(self) -> dict[str, str]:
        return self.payload.data

    @property
    def args(self) -> dict[str, str]:
        return {}


@dataclass(frozen=True)
class _Client(ClientMixin):  # type: ignore[misc]
    """A registered client as Authlib asks about it."""

    engine: Engine
    registered: RegisteredClient

    def get_client_id(self) -> str:
        return self.registered.client_id

    def get_default_redirect_uri(self) -> str | None:
        uris = self.registered.redirect_uris
        return uris[0] if uris else None

    def get_allowed_scope(self, scope: str | None) -> str:
        """The scopes granted for a request of `scope`: all of the client's for none asked."""
        own = self.registered.scopes
        if not scope:
            return " ".join(own)
        return " ".join(s for s in own if s in set(scope.split()))

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.registered.redirect_uris  # exactly, as registered

    def check_client_secret(self, client_secret: str) -> bool:
        found = authenticate_client(self.engine, self.registered.client_id, client_secret)
        return found is not None

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if self.registered.public:
            return method == "none"
        return method in CONFIDENTIAL_METHODS

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code" and bool(self.registered.redirect_uris)

    def check_grant_type(self, grant_type: str) -> bool:
        if grant_type in USER_GRANTS:  # a client that can receive codes
            return bool(self.registered.redirect_uris)
        return grant_type == "client_credentials" and not self.registered.public


class _ClientCredentials(ClientCredentialsGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = list(CONFIDENTIAL_METHODS)

    def validate_token_request(self) -> None:
        super().validate_token_request()
        asked = set((self.request.payload.scope or "").split())
        beyond = sorted(asked - set(self.request.client.registered.scopes))
        if beyond:
            raise InvalidScopeError(
                description=f"the client may not be granted: {' '.join(beyond)}"
            )


class DealpulseAuthorizationServer(AuthorizationServer):  # type: ignore[misc]
    """The server of one deployment (one issuer), over one database."""

    def __init__(self, engine: Engine, settings: ServerSettings) -> None:
        super().__init__(scopes_supported=[scope.value for scope in ALL_SCOPES])
        self._engine = engine
        self._settings = settings
        self.register_grant(_ClientCredentials)
        self.register_grant(AuthorizationCode)
        self.register_grant(RefreshToken)
        self.register_token_generator("default", self._generate_token)
        self.register_endpoint(TokenRevocation(engine, settings, CLIENT_AUTH_METHODS))
        self.register_endpoint(AccessTokenIntrospection(engine, settings, CONFIDENTIAL_METHODS))

    @property
    def engine(self) -> Engine:
        return self._engine

    def query_client(self, client_id: str) -> _Client | None:
        registered = find_client(self._engine, client_id)
        if registered is None or not registered.active:
            return None
        return _Client(self._engine, registered)

    def authenticate_client(
        self, request: OAuth2Request, methods: list[str] | tuple[str, ...], endpoint: str = "token"
    ) -> _Client:
        """The authenticated client, or `invalid_client`, always 401 with a readable reason.
        Authlib answers 400 "The client does not exist on this server." for an unknown
        client_id sent in the body but 401 for one in a Basic header, and prints the methods as
        a Python list: one answer, that says neither whether the client exists nor which check
        failed, is clearer to a client developer and tells a prober nothing."""
        try:
            client: _Client = super().authenticate_client(request, methods, endpoint)
        except InvalidClientError:
            allowed = ", ".join(methods)
            raise InvalidClientError(
                status_code=401,
                description="client authentication failed: an unknown or revoked client, a "
                f"wrong secret, or another method than this endpoint takes ({allowed})",
            ) from None
        return client

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        """Access tokens are self-contained JWTs: nothing to store (revocation keeps its own
        list of revoked token ids)."""

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        """No signal receivers: audit of token issuance is not kept here."""

    def create_oauth2_request(self, request: FormRequest) -> FormRequest:
        return request

    def handle_response(
        self, status: int, body: Any, headers: list[tuple[str, str]]
    ) -> tuple[int, Any, list[tuple[str, str]]]:
        return status, body, headers

    def _generate_token(
        self,
        grant_type: str,
        client: _Client,
        user: Any = None,
        scope: str | None = None,
        expires_in: int | None = None,
        include_refresh_token: bool = True,
    ) -> dict[str, Any]:
        if isinstance(user, UserGrant):
            return self._user_token(client, user, scope, include_refresh_token)
        registered = client.registered
        cap = self._cap(registered)
        scopes = [s for s in client.get_allowed_scope(scope).split() if s in cap]
        if not scopes:
            raise InvalidScopeError(description="none of the client's scopes can be granted")
        ttl = self._settings.access_token_ttl_seconds
        token = issue_access_token(
            self._engine,
            self._settings,
            subject=registered.run_as_user_id or registered.client_id,
            client_id=registered.client_id,
            org_id=registered.org_id,
            scopes=scopes,
            ttl_seconds=ttl,
        )
        return {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": ttl,
            "scope": " ".join(scopes),
        }

    def _cap(self, registered: RegisteredClient) -> frozenset[str]:
        """The most a client credentials token may carry, so that its `scope` says what the
        API will honour: a run-as client's, what its user's profile allows (`admin` only for
        an administrator); any other's, CLIENT_SCOPES (never `admin`)."""
        if registered.run_as_user_id is None:
            return CLIENT_SCOPES
        cap = user_scope_cap(self._engine, registered.org_id, registered.run_as_user_id)
        if cap is None:
            raise InvalidGrantError(
                description="the client's run-as user is no longer an active user of its org"
            )
        return cap

    def _user_token(
        self, client: _Client, user: UserGrant, scope: str | None, with_refresh: bool
    ) -> dict[str, Any]:
        """A user's tokens: the access token (its jti recorded with its authorization, so
        that revoking the family stops it) and, for a client that may refresh, a new
        refresh token. `scope` (a refresh asking for fewer) narrows the grant's scopes."""
        asked = set(scope.split()) if scope else None
        scopes = [s for s in user.scopes if asked is None or s in asked]
        authorization = user.authorization
        ttl = self._settings.access_token_ttl_seconds
        now, jti = datetime.now(UTC), secrets.token_urlsafe(16)
        if not record_access_token(
            self._engine, authorization.id, jti, now + timedelta(seconds=ttl)
        ):  # revoked meanwhile (a reused refresh token or code revoked the family)
            raise InvalidGrantError(description="the authorization has been revoked")
        token = issue_access_token(
            self._engine, self._settings, subject=authorization.user_id,
            client_id=client.registered.client_id, org_id=authorization.org_id, scopes=scopes,
            now=now, ttl_seconds=ttl, jti=jti,
        )  # fmt: skip
        answer = {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": ttl,
            "scope": " ".join(scopes),
        }
        if with_refresh:
            answer["refresh_token"] = issue_refresh_token(
                self._engine, authorization.id, self._settings.refresh_token_ttl_seconds, now
            )
        return answer

    def token_response(self, request: FormRequest) -> tuple[int, Any, list[tuple[str, str]]]:
        """The token endpoint's answer: (status, JSON body, headers)."""
        return self.create_token_response(request)  # type: ignore[no-any-return]

    def revocation_response(self, request: FormRequest) -> tuple[int, Any, list[tuple[str, str]]]:
        """The revocation endpoint's answer: (status, JSON body, headers)."""
        return self.create_endpoint_response(  # type: ignore[no-any-return]
            TokenRevocation.ENDPOINT_NAME, request
        )

    def introspection_response(
        self, request: FormRequest
    ) -> tuple[int, Any, list[tuple[str, str]]]:
        """The introspection endpoint's answer: (status, JSON body, headers)."""
        return self.create_endpoint_response(  # type: ignore[no-any-return]
            AccessTokenIntrospection.ENDPOINT_NAME, request
        )
