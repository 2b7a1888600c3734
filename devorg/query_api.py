"""Salesforce's query resources over HTTP: /query, /queryAll, /tooling/query and their locators.

Authentication, API usage counting and fault injection happen in the app's middleware; these
handlers only run SOQL against the org database (from the event loop thread, as devorg does).
"""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from devorg.db import OrgDatabase
from devorg.errors import SalesforceApiError, not_found
from devorg.soql import SoqlError, execute_soql, fetch_page

_VERSION_RE = re.compile(r"^\d+\.\d$")
_BATCH_SIZE_RE = re.compile(r"^\s*batchSize\s*=\s*(-?)0*(\d+)\s*$", re.IGNORECASE)


def batch_size_option(header: str | None) -> int | None:
    """`batchSize` from a `Sforce-Query-Options` header ("batchSize=500"); None if absent."""
    for option in (header or "").split(","):
        match = _BATCH_SIZE_RE.match(option)
        if match:
            sign, digits = match.groups()
            # Ten digits are out of range already (and clamped alike); int() refuses thousands.
            return int(sign + digits[:10])
    return None


def _database(request: Request) -> OrgDatabase:
    db: OrgDatabase = request.app.state.devorg.db
    return db


def _version(request: Request) -> str:
    version = str(request.path_params["version"])
    if not _VERSION_RE.match(version):
        raise not_found()
    return version


def _api_error(error: SoqlError) -> SalesforceApiError:
    return SalesforceApiError(error.status, error.error_code, error.message)


async def _run_query(request: Request, *, tooling: bool, include_deleted: bool) -> Response:
    version = _version(request)
    soql = request.query_params.get("q")
    if not soql:
        raise SalesforceApiError(400, "MALFORMED_QUERY", "A query string has to be specified")
    try:
        result: dict[str, Any] = execute_soql(
            _database(request),
            soql,
            tooling=tooling,
            include_deleted=include_deleted,
            batch_size=batch_size_option(request.headers.get("sforce-query-options")),
            api_version=version,
        )
    except SoqlError as error:
        raise _api_error(error) from None
    return JSONResponse(result)


async def _next_page(request: Request, *, tooling: bool) -> Response:
    _version(request)
    try:
        result = fetch_page(
            _database(request),
            str(request.path_params["locator"]),
            tooling=tooling,
            batch_size=batch_size_option(request.headers.get("sforce-query-options")),
        )
    except SoqlError as error:
        raise _api_error(error) from None
    return JSONResponse(result)


async def query(request: Request) -> Response:
    return await _run_query(request, tooling=False, include_deleted=False)


async def query_all(request: Request) -> Response:
    return await _run_query(request, tooling=False, include_deleted=True)


async def tooling_query(request: Request) -> Response:
    return await _run_query(request, tooling=True, include_deleted=False)


async def query_more(request: Request) -> Response:
    return await _next_page(request, tooling=False)


async def tooling_query_more(request: Request) -> Response:
    return await _next_page(request, tooling=True)


def routes() -> list[BaseRoute]:
    base = "/services/data/v{version}"
    found: list[BaseRoute] = []
    for path, endpoint in (
        ("/query", query),
        ("/queryAll", query_all),
        ("/tooling/query", tooling_query),
    ):
        found += [
            Route(f"{base}{path}", endpoint, methods=["GET"]),
            Route(f"{base}{path}/", endpoint, methods=["GET"]),
        ]
    found += [
        Route(base + "/query/{locator}", query_more, methods=["GET"]),
        Route(base + "/queryAll/{locator}", query_more, methods=["GET"]),
        Route(base + "/tooling/query/{locator}", tooling_query_more, methods=["GET"]),
    ]
    return found
