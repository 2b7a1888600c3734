"""What every HTTP answer of the API carries, and who may call it from a browser.

Security headers (on each HTTP response that does not set its own): no MIME sniffing, no
framing (`X-Frame-Options` and CSP `frame-ancestors`, which GraphiQL's page allows), no
referrer, no caching of answers that hold an org's data, and HSTS when the deployment is
served over https (its OAuth issuer). CORS (Starlette's middleware) only for the origins of
`DEALPULSE_CORS_ORIGINS`: bearer tokens, not cookies, so no credentials mode.
"""

from __future__ import annotations

from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.settings import Settings

_ALWAYS = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", b"frame-ancestors 'none'"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
)
_HSTS = (b"strict-transport-security", b"max-age=31536000")
CORS_MAX_AGE_SECONDS = 600


class SecurityHeaders:
    """Pure ASGI (a WebSocket passes untouched; a streamed answer is not buffered)."""

    def __init__(self, app: ASGIApp, *, https: bool) -> None:
        self.app = app
        self.headers = (*_ALWAYS, _HSTS) if https else _ALWAYS

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(name, value) for name, value in self.headers if name not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


def http_middleware(settings: Settings) -> list[Middleware]:
    """The app's middleware, outermost first: CORS answers a preflight before anything else."""
    middleware = []
    if settings.allowed_origins:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=list(settings.allowed_origins),
                allow_methods=["GET", "POST"],
                allow_headers=["authorization", "content-type", "accept", "x-request-id"],
                expose_headers=["x-request-id", "retry-after"],
                max_age=CORS_MAX_AGE_SECONDS,
            )
        )
    https = settings.oauth_issuer.startswith("https://")
    middleware.append(Middleware(SecurityHeaders, https=https))
    return middleware
