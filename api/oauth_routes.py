"""The OAuth 2 endpoints over HTTP: the token endpoint (`/oauth/token`), revocation (RFC 7009,
`/oauth/revoke`), introspection (RFC 7662, `/oauth/introspect`), the access tokens' public keys
(`/oauth/jwks`) and the authorization server metadata (RFC 8414,
`/.well-known/oauth-authorization-server`).

The form endpoints (token, revoke, introspect) read their form themselves, before Authlib
sees it: a body over settings.max_body_bytes, a content type other than
application/x-www-form-urlencoded, text that is not UTF-8, more than MAX_FIELDS parameters or
a parameter given twice (RFC 6749 section 3.2) is an `invalid_request` with status 400 (413 for
the size), in OAuth's JSON error shape, never a 500. Every answer of theirs carries
`Cache-Control: no-store` (an introspection answer describes a token, RFC 7662 section 2.2).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from authlib.oauth2 import OAuth2Error
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from api.oauth_authorize import authorize_routes
from api.rate_limits import Buckets, address_key, retry_after_seconds
from api.settings import Settings
from auth.oauth_server import (
    CLIENT_AUTH_METHODS,
    CONFIDENTIAL_METHODS,
    DealpulseAuthorizationServer,
    FormRequest,
)
from auth.scopes import ALL_SCOPES
from auth.signing_keys import jwks

FORM = "application/x-www-form-urlencoded"
MAX_FIELDS = 20  # a token request has a handful
NO_STORE = {"cache-control": "no-store", "pragma": "no-cache"}


class _BadRequest(Exception):
    def __init__(self, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.description = description
        self.status = status


def _error(error: _BadRequest) -> JSONResponse:
    body = {"error": "invalid_request", "error_description": error.description}
    return JSONResponse(body, status_code=error.status, headers=NO_STORE)


def _media_type(header: str | None) -> str:
    """The type/subtype of a Content-Type header, without its parameters, lower-cased."""
    return (header or "").split(";", 1)[0].strip().lower()


async def _read_form(request: Request, limit: int) -> dict[str, str]:
    if _media_type(request.headers.get("content-type")) != FORM:
        raise _BadRequest(f"this endpoint takes {FORM}")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise _BadRequest(f"the request body is larger than {limit} bytes", 413)
    try:
        text = body.decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except UnicodeDecodeError:
        raise _BadRequest("the request body is not UTF-8") from None
    except ValueError:
        raise _BadRequest(f"more than {MAX_FIELDS} parameters") from None
    form: dict[str, str] = {}
    for name, value in pairs:
        if name in form:
            raise _BadRequest(f"the parameter {name!r} is given more than once")
        form[name] = value
    return form


def metadata(settings: Settings) -> dict[str, Any]:
    """RFC 8414 authorization server metadata of this deployment."""
    issuer = settings.oauth_issuer.rstrip("/")
    return {
        "issuer": issuer,
        "token_endpoint": f"{issuer}/oauth/token",
        "jwks_uri": f"{issuer}/oauth/jwks",
        "authorization_endpoint": f"{issuer}/oauth/authorize",
        "grant_types_supported": ["client_credentials", "authorization_code", "refresh_token"],
        "token_endpoint_auth_methods_supported": list(CLIENT_AUTH_METHODS),
        "revocation_endpoint": f"{issuer}/oauth/revoke",
        "revocation_endpoint_auth_methods_supported": list(CLIENT_AUTH_METHODS),
        "introspection_endpoint": f"{issuer}/oauth/introspect",
        "introspection_endpoint_auth_methods_supported": list(CONFIDENTIAL_METHODS),
        "scopes_supported": [scope.value for scope in ALL_SCOPES],
        "response_types_supported": ["code"],
        "code_challenge_methods_supported": ["S256"],
        "authorization_response_iss_parameter_supported": True,
    }


_Answer = tuple[int, Any, list[tuple[str, str]]]


def _form_endpoint(
    respond: Callable[[FormRequest], _Answer], max_body_bytes: int, rate_limits: Buckets | None
) -> Callable[[Request], Any]:
    """A Starlette endpoint that reads and checks the form, then has `respond` (one of the
    server's blocking *_response methods) answer it in a worker thread. Its callers are counted
    against their address (api.rate_limits): nobody is authenticated yet."""

    async def endpoint(request: Request) -> JSONResponse:
        if rate_limits is not None:
            host = request.client.host if request.client else None
            wait = await rate_limits.take(address_key(host))
            if wait > 0:
                seconds = retry_after_seconds(wait)
                return JSONResponse(
                    {"error": "temporarily_unavailable",
                     "error_description": f"too many requests: retry in {seconds} s"},
                    status_code=429, headers={"retry-after": str(seconds), **NO_STORE},
                )  # fmt: skip
        try:
            form = await _read_form(request, max_body_bytes)
        except _BadRequest as error:
            return _error(error)
        try:  # a plain-http URL off loopback is refused here (insecure_transport)
            oauth_request = FormRequest(request.method, str(request.url), request.headers, form)
        except OAuth2Error as error:
            status, body, headers = error()
        else:
            status, body, headers = await run_in_threadpool(respond, oauth_request)
        merged = {name.lower(): value for name, value in headers} | NO_STORE  # Authlib's casing
        return JSONResponse(body, status_code=status, headers=merged)

    return endpoint


def oauth_routes(
    engine: Engine, settings: Settings, rate_limits: Buckets | None = None
) -> list[BaseRoute]:
    server = DealpulseAuthorizationServer(engine, settings)
    limit = settings.max_body_bytes
    token = _form_endpoint(server.token_response, limit, rate_limits)
    revoke = _form_endpoint(server.revocation_response, limit, rate_limits)
    introspect = _form_endpoint(server.introspection_response, limit, rate_limits)

    async def keys(_: Request) -> JSONResponse:
        key_set = await run_in_threadpool(jwks, engine, settings, datetime.now(UTC))
        return JSONResponse(key_set, headers={"cache-control": "max-age=300"})

    async def server_metadata(_: Request) -> JSONResponse:
        return JSONResponse(metadata(settings))

    return [
        Route("/oauth/token", token, methods=["POST"]),
        Route("/oauth/revoke", revoke, methods=["POST"]),
        Route("/oauth/introspect", introspect, methods=["POST"]),
        Route("/oauth/jwks", keys, methods=["GET"]),
        Route("/.well-known/oauth-authorization-server", server_metadata, methods=["GET"]),
        *authorize_routes(engine, settings),
    ]
