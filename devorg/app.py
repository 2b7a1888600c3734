"""The devorg Starlette application: Salesforce's REST paths over one org database."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from devorg import composite, control, oauth, query_api, rest
from devorg.catalog import SUPPORTED_VERSIONS
from devorg.db import OrgDatabase
from devorg.errors import SalesforceApiError, render_api_error
from devorg.faults import Faults
from devorg.guard import ApiGuard
from devorg.organization import ensure_organization
from devorg.settings import DevorgSettings
from devorg.state import DevorgState

log = logging.getLogger("devorg")


async def versions(request: Request) -> Response:
    return JSONResponse(
        [
            {"label": f"Release {v}", "url": f"/services/data/v{v}", "version": v}
            for v in SUPPORTED_VERSIONS
        ]
    )


async def unexpected_error(request: Request, exc: Exception) -> Response:
    # A bug in devorg still answers like Salesforce does, and is logged for whoever runs it.
    log.exception("devorg bug while serving %s %s", request.method, request.url.path)
    return JSONResponse(
        [{"message": "An unexpected error occurred.", "errorCode": "UNKNOWN_EXCEPTION"}],
        status_code=500,
    )


async def not_found(request: Request, exc: Exception) -> Response:
    return JSONResponse(
        [{"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}],
        status_code=404,
    )


async def method_not_allowed(request: Request, exc: Exception) -> Response:
    return JSONResponse(
        [
            {
                "message": f"HTTP Method '{request.method}' not allowed.",
                "errorCode": "METHOD_NOT_ALLOWED",
            }
        ],
        status_code=405,
    )


def create_app(settings: DevorgSettings, db: OrgDatabase | None = None) -> Starlette:
    database = db or OrgDatabase(settings.database)
    ensure_organization(database)  # a file seeded before devorg had the Organization object
    faults = Faults(
        latency_ms=settings.latency_ms,
        error_rate=settings.error_rate,
        error_status=settings.error_status,
    )
    state = DevorgState(db=database, settings=settings, faults=faults)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        if db is None:
            database.close()

    route_list: list[BaseRoute] = [
        Route("/services/data", versions),
        Route("/services/data/", versions),
        *oauth.routes(),
        *query_api.routes(),
        *rest.routes(),
        *composite.routes(),
        *control.routes(),
    ]
    app = Starlette(
        routes=route_list,
        middleware=[Middleware(ApiGuard)],
        exception_handlers={
            SalesforceApiError: render_api_error,
            404: not_found,
            405: method_not_allowed,
            Exception: unexpected_error,
        },
        lifespan=lifespan,
    )
    app.router.redirect_slashes = False
    app.state.devorg = state
    return app
