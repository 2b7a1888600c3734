"""The authorization endpoint (`GET /oauth/authorize`) and its Salesforce login
(`GET /oauth/salesforce/callback`): the authorization code flow with PKCE for users.

1. /oauth/authorize checks the client's request (auth.authorize_requests), keeps it in the
   browser's session and sends the browser to the Salesforce org of the client (the client
   belongs to one org) for Salesforce's web server flow, with PKCE S256 toward Salesforce too
   (Authlib's Starlette client).
2. Salesforce sends the browser back to /oauth/salesforce/callback: dealpulse exchanges the
   code, reads userinfo, and maps the Salesforce user to a principal: the org must be the
   client's and the user an active mirrored user of it. The user's Salesforce refresh token
   is kept encrypted (auth.salesforce_tokens). Then dealpulse issues its own authorization
   code (auth.grants) to the client's redirect URI with the client's `state`.

Where Salesforce is: the org's connection (store.models.Org: `instance_url`, and `client_id`,
the connected app's consumer key); the connected app's consumer secret is
`DEALPULSE_SF_CLIENT_SECRET` (settings, never the database, as for the other flows: one org's
connected app per deployment). The connected app must list
`{DEALPULSE_OAUTH_ISSUER}/oauth/salesforce/callback` as a callback URL.

The session (Starlette's SessionMiddleware on these two routes only) is a cookie signed with a
key derived from the secret key, `Secure` when the issuer is https, SameSite=Lax (the callback
is a top-level navigation from Salesforce), living 10 minutes. It holds the pending request
and Authlib's state for Salesforce, never a token: one sign-in per browser at a time (a newer
one supersedes it, as Authlib keeps only the newest state).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
import warnings
from html import escape
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
from authlib.deprecate import AuthlibDeprecationWarning
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from api.settings import Settings
from auth.authorize_requests import AuthorizeError, AuthorizeRequest, check_authorize_request
from auth.clients import find_client
from auth.code_grants import user_scope_cap
from auth.grants import create_authorization
from auth.salesforce_tokens import keep_salesforce_refresh_token
from store import queries
from store.models import Org

with warnings.catch_warnings():
    # Authlib 1.9 warns on import that its httpx integration should move to the `httpx2` fork;
    # httpx is what this stack uses (and what Authlib still supports): not our warning to fix.
    warnings.simplefilter("ignore", AuthlibDeprecationWarning)
    from authlib.integrations.starlette_client import OAuth, OAuthError, StarletteOAuth2App

logger = logging.getLogger(__name__)
CALLBACK_PATH = "/oauth/salesforce/callback"
SALESFORCE_SCOPE = "api refresh_token"  # act as the user; keep a refresh token to do so later
LOGIN_SECONDS = 600  # how long a login may take, start to callback
_PENDING = "dealpulse_authorize_"
_PAGE_HEADERS = {
    "cache-control": "no-store",
    "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}


def _error_page(error: str, description: str, status: int = 400) -> HTMLResponse:
    html = (
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>Sign-in error</title>"
        f"</head><body><h1>Sign-in error</h1><p>error={escape(error)}</p>"
        f"<p>{escape(description)}</p></body></html>"
    )
    return HTMLResponse(html, status_code=status, headers=_PAGE_HEADERS)


def _redirect(redirect_uri: str, values: dict[str, str | None]) -> RedirectResponse:
    """To the client's registered redirect URI, `values` added to the query it has."""
    parts = urlsplit(redirect_uri)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query += [(name, value) for name, value in values.items() if value is not None]
    target = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))
    return RedirectResponse(target, status_code=302, headers={"cache-control": "no-store"})


def _refusal(error: AuthorizeError) -> Response:
    if error.redirect_uri is None:
        return _error_page(error.error, error.description)
    return _redirect(
        error.redirect_uri,
        {"error": error.error, "error_description": error.description, "state": error.state},
    )


def _salesforce(org: Org, settings: Settings) -> StarletteOAuth2App:
    """Authlib's client of the org's Salesforce, built per request (the org's connection may
    change; building it costs nothing)."""
    base = org.instance_url.rstrip("/")
    oauth = OAuth()
    client: StarletteOAuth2App = oauth.register(
        name="salesforce",
        client_id=org.client_id,
        client_secret=settings.sf_client_secret.get_secret_value(),
        authorize_url=f"{base}/services/oauth2/authorize",
        access_token_url=f"{base}/services/oauth2/token",
        userinfo_endpoint=f"{base}/services/oauth2/userinfo",
        client_kwargs={
            "scope": SALESFORCE_SCOPE,
            "code_challenge_method": "S256",
            "token_endpoint_auth_method": "client_secret_post",
            "timeout": settings.salesforce_timeout_seconds,
        },
    )
    return client


def _forget_pending(session: dict[str, Any]) -> None:
    """Drop the sign-ins this browser started and never finished. Authlib's Starlette client
    keeps the Salesforce state of the newest sign-in only, so an older one could not finish
    anyway; and the cookie would otherwise grow with every abandoned sign-in until, past
    4 KB, browsers drop it and no sign-in works for LOGIN_SECONDS."""
    for key in [key for key in session if key.startswith(_PENDING)]:
        del session[key]


def session_key(settings: Settings) -> str:
    """The session cookie's signing key: derived from the secret key, used for nothing else."""
    secret = settings.secret_key.get_secret_value().encode()
    return hmac.new(secret, b"dealpulse oauth login session", hashlib.sha256).hexdigest()


def authorize_routes(engine: Engine, settings: Settings) -> list[BaseRoute]:
    issuer = settings.oauth_issuer.rstrip("/")
    callback_url = issuer + CALLBACK_PATH
    middleware = [
        Middleware(
            SessionMiddleware,
            secret_key=session_key(settings),
            session_cookie="dealpulse_login",
            max_age=LOGIN_SECONDS,
            path="/oauth",
            same_site="lax",
            https_only=issuer.startswith("https://"),
        )
    ]

    async def authorize(request: Request) -> Response:
        params: dict[str, list[str]] = {}
        for name, value in request.query_params.multi_items():
            params.setdefault(name, []).append(value)
        try:
            asked = await run_in_threadpool(check_authorize_request, engine, params)
        except AuthorizeError as error:
            return _refusal(error)
        org = await run_in_threadpool(queries.org, engine, asked.client.org_id)
        if org is None:  # pragma: no cover - a client's org is a foreign key
            return _error_page("server_error", "the client's org is not registered", 500)
        nonce = secrets.token_urlsafe(24)
        _forget_pending(request.session)
        request.session[_PENDING + nonce] = {
            "client_id": asked.client.client_id, "redirect_uri": asked.redirect_uri,
            "state": asked.state, "scopes": list(asked.scopes),
            "code_challenge": asked.code_challenge, "at": time.time(),
        }  # fmt: skip
        response: Response = await _salesforce(org, settings).authorize_redirect(
            request, callback_url, state=nonce
        )
        return response

    async def callback(request: Request) -> Response:
        nonce = request.query_params.get("state", "")
        pending: dict[str, Any] | None = request.session.pop(_PENDING + nonce, None)
        if pending is None or time.time() - float(pending["at"]) > LOGIN_SECONDS:
            return _error_page(
                "invalid_request", "no sign-in is in progress in this browser (or it expired)"
            )
        redirect_uri, state = str(pending["redirect_uri"]), pending["state"]

        def deny(description: str) -> Response:
            return _redirect(
                redirect_uri,
                {"error": "access_denied", "error_description": description, "state": state},
            )

        asked = await run_in_threadpool(_still_asked, engine, pending)
        if asked is None:
            return _error_page("invalid_client", "the client is no longer registered")
        org = await run_in_threadpool(queries.org, engine, asked.client.org_id)
        if org is None:  # pragma: no cover - a client's org is a foreign key
            return _error_page("server_error", "the client's org is not registered", 500)
        salesforce = _salesforce(org, settings)
        try:
            token = await salesforce.authorize_access_token(request)
            info = await salesforce.userinfo(token=token)
        except (OAuthError, httpx.HTTPError, OSError, ValueError) as error:
            # The class only: Authlib's message may quote Salesforce's answer.
            logger.info("salesforce login failed (%s)", type(error).__name__)
            return deny("the Salesforce login did not complete")
        org_id, user_id = str(info.get("organization_id", "")), str(info.get("user_id", ""))
        if org_id != org.id:
            return deny("this client belongs to another Salesforce org")
        cap = await run_in_threadpool(user_scope_cap, engine, org.id, user_id)
        if cap is None:
            return deny("this Salesforce user is not an active user of the org in dealpulse")
        scopes = [scope for scope in asked.scopes if scope in cap]
        if not scopes:
            return deny("none of the requested scopes is allowed for this user")
        refresh_token = token.get("refresh_token")
        if isinstance(refresh_token, str) and refresh_token:
            await run_in_threadpool(
                lambda: keep_salesforce_refresh_token(
                    engine, settings, org_id=org.id, user_id=user_id, refresh_token=refresh_token
                )
            )
        code = await run_in_threadpool(
            lambda: create_authorization(
                engine,
                client_id=asked.client.client_id,
                org_id=org.id,
                user_id=user_id,
                scopes=scopes,
                redirect_uri=redirect_uri,
                code_challenge=asked.code_challenge,
            )
        )
        return _redirect(redirect_uri, {"code": code, "state": state, "iss": issuer})

    return [
        Route("/oauth/authorize", authorize, methods=["GET"], middleware=middleware),
        Route(CALLBACK_PATH, callback, methods=["GET"], middleware=middleware),
    ]


def _still_asked(engine: Engine, pending: dict[str, Any]) -> AuthorizeRequest | None:
    """The pending request again, its client re-read (it may have been revoked meanwhile)."""
    client = find_client(engine, str(pending["client_id"]))
    if client is None or not client.active:
        return None
    return AuthorizeRequest(
        client,
        str(pending["redirect_uri"]),
        pending["state"],
        tuple(pending["scopes"]),
        str(pending["code_challenge"]),
    )
