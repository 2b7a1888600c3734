"""POST /services/oauth2/token: Salesforce's grant types over devorg's users and sessions.

- `password`: client id + secret, username, password. No refresh token (as Salesforce).
- `refresh_token`: client id + secret (Salesforce requires the secret for confidential
  clients); a new access token, the same refresh token (not repeated in the response).
- `client_credentials`: client id + secret (form or HTTP Basic); a token for the connected app's
  run-as user; no refresh token.
- `urn:ietf:params:oauth:grant-type:jwt-bearer`: an RS256 assertion (see oauth_jwt); no refresh
  token.
- `authorization_code`: code + exact redirect_uri + client id + secret (devorg always requires
  the secret, like a connected app with "Require Secret for Web Server Flow" on), plus the PKCE
  code_verifier when the code was issued with a code_challenge. A code is single-use: the first
  presentation by its client consumes it whatever the outcome, and a reused code fails without
  revoking anything else.
"""

from __future__ import annotations

import time

from starlette.requests import Request
from starlette.responses import Response

from devorg import sessions
from devorg.oauth_authorize import consume_code
from devorg.oauth_common import (
    ConnectedApp,
    LoginUser,
    OAuthError,
    authenticate_client,
    authentication_failure,
    check_login,
    find_app,
    find_user_by_id,
    find_user_by_username,
    read_form,
    state_of,
    token_response,
    unknown_client,
    wants_refresh_token,
)
from devorg.oauth_jwt import peek_issuer, verify_assertion
from devorg.state import DevorgState

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
# The scope granted to the flows without an approval step (the connected app's scopes, less
# refresh_token: those flows never issue one).
SERVER_SCOPE = "api id"


def _required(params: dict[str, str], name: str) -> str:
    value = params.get(name, "")
    if not value:
        raise OAuthError("invalid_request", f"missing required parameter: {name}")
    return value


def _grant(
    state: DevorgState,
    app: ConnectedApp,
    user: LoginUser | None,
    scope: str,
    *,
    with_refresh: bool = False,
    refresh_token: str | None = None,
) -> Response:
    """The token response for `user`, who must exist and be active.

    With `refresh_token`, the new access token joins that refresh token's session, and the
    response does not repeat the refresh token (Salesforce's clients keep the one they have).
    """
    if user is None or not user.active:
        raise authentication_failure()
    issued = sessions.issue_tokens(
        state.db,
        user_id=user.user_id,
        client_id=app.client_id,
        scope=scope,
        ttl_seconds=state.settings.session_ttl_seconds,
        with_refresh=with_refresh,
        refresh_token=refresh_token,
    )
    return token_response(state, app, user.user_id, scope, issued)


async def _password(request: Request, params: dict[str, str]) -> Response:
    state = state_of(request)
    app = authenticate_client(request, params)
    user = await check_login(state.db, params.get("username", ""), params.get("password", ""))
    return _grant(state, app, user, SERVER_SCOPE)


async def _refresh(request: Request, params: dict[str, str]) -> Response:
    state = state_of(request)
    app = authenticate_client(request, params)
    refresh_token = _required(params, "refresh_token")
    session = sessions.lookup(state.db, refresh_token, kind="refresh")
    if session is None or session.client_id != app.client_id:
        raise OAuthError("invalid_grant", "expired access/refresh token")
    user = find_user_by_id(state.db, session.user_id)
    return _grant(state, app, user, session.scope, refresh_token=refresh_token)


async def _client_credentials(request: Request, params: dict[str, str]) -> Response:
    state = state_of(request)
    app = authenticate_client(request, params)
    if not app.run_as_user_id:
        raise OAuthError("invalid_grant", "no client credentials user enabled")
    return _grant(state, app, find_user_by_id(state.db, app.run_as_user_id), SERVER_SCOPE)


async def _jwt_bearer(request: Request, params: dict[str, str]) -> Response:
    state = state_of(request)
    assertion = _required(params, "assertion")
    app = find_app(state.db, peek_issuer(assertion))
    if app is None:
        raise unknown_client()
    claims = verify_assertion(
        assertion, app.jwt_public_key_pem, app.client_id, state.settings.instance_url
    )
    return _grant(state, app, find_user_by_username(state.db, claims.username), SERVER_SCOPE)


async def _authorization_code(request: Request, params: dict[str, str]) -> Response:
    state = state_of(request)
    app = authenticate_client(request, params)
    code = _required(params, "code")
    grant = consume_code(
        state.db,
        code=code,
        client_id=app.client_id,
        redirect_uri=params.get("redirect_uri", ""),
        code_verifier=params.get("code_verifier"),
        now=time.time(),
    )
    user = find_user_by_id(state.db, grant.user_id)
    return _grant(state, app, user, grant.scope, with_refresh=wants_refresh_token(grant.scope))


_GRANTS = {
    "password": _password,
    "refresh_token": _refresh,
    "client_credentials": _client_credentials,
    JWT_BEARER: _jwt_bearer,
    "authorization_code": _authorization_code,
}


async def token(request: Request) -> Response:
    try:
        params = await read_form(request)
        handler = _GRANTS.get(params.get("grant_type", ""))
        if handler is None:
            raise OAuthError("unsupported_grant_type", "grant type not supported")
        return await handler(request, params)
    except OAuthError as exc:
        return exc.response()
