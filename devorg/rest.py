"""The REST API's resource routes: versions' resource map, limits, describe, sObject rows,
sObject Collections and the replication resources. Handlers only wire: the behaviour lives in
describe.py, records.py, writes.py and replication.py.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from devorg import catalog, describe, replication, usage
from devorg.catalog import SUPPORTED_VERSIONS, SObject
from devorg.conditional import NotModified, check_conditions
from devorg.db import OrgDatabase
from devorg.records import record_json, select_fields
from devorg.state import DevorgState
from devorg.write_body import ErrorItem, JsonObject, WriteError, parse_body, require_object
from devorg.writes import Writer, delete_collection, locate, save_collection

Handler = Callable[[Request], Awaitable[Response]]
_NOT_FOUND = ErrorItem("NOT_FOUND", "The requested resource does not exist")
_BASE = "/services/data/v{version}"


def _error_response(exc: WriteError) -> Response:
    return JSONResponse([item.as_rest() for item in exc.items], status_code=exc.status)


def api(handler: Handler) -> Handler:
    """Checks the version in the path and renders WriteError as Salesforce's error list."""

    @wraps(handler)
    async def wrapper(request: Request) -> Response:
        try:
            if request.path_params.get("version") not in SUPPORTED_VERSIONS:
                raise WriteError(_NOT_FOUND, status=404)
            return await handler(request)
        except WriteError as exc:
            return _error_response(exc)

    return wrapper


def _state(request: Request) -> DevorgState:
    state: DevorgState = request.app.state.devorg
    return state


def _version(request: Request) -> str:
    return str(request.path_params["version"])


def _sobject(request: Request) -> SObject:
    """The data-API object named in the path (Tooling objects are not reachable here)."""
    sobj = catalog.sobject(str(request.path_params["sobject"]))
    if sobj is None:
        raise WriteError(_NOT_FOUND, status=404)
    return sobj


def _writer(request: Request) -> Writer:
    return Writer(_state(request).db, request.state.session.user_id)


def _record_id(request: Request, sobj: SObject) -> str:
    raw = str(request.path_params["record_id"])
    if not raw.isalnum() or len(raw) not in (15, 18):
        # Anything not id-shaped is read as an external id value, as Salesforce does.
        raise WriteError(
            ErrorItem(
                "NOT_FOUND",
                f"Provided external ID field does not exist or is not accessible: {raw}",
            ),
            status=404,
        )
    return locate(_state(request).db, sobj, raw)


async def _json_body(request: Request) -> Any:
    content_type = request.headers.get("content-type", "application/json")
    if "json" not in content_type.lower():
        raise WriteError(
            ErrorItem(
                "UNSUPPORTED_MEDIA_TYPE",
                f"Content-Type header specified in HTTP request is not supported: {content_type}",
            ),
            status=415,
        )
    return parse_body(await request.body())


# -- resources ---------------------------------------------------------------------------------
@api
async def resources(request: Request) -> Response:
    base = f"/services/data/v{_version(request)}"
    names = ("sobjects", "query", "queryAll", "composite", "limits", "tooling", "jobs")
    return JSONResponse({name: f"{base}/{name}" for name in names})


@api
async def limits(request: Request) -> Response:
    state = _state(request)
    daily = state.settings.api_daily_limit
    used = usage.used_today(state.db)

    def limit(maximum: int, remaining: int | None = None) -> dict[str, int]:
        return {"Max": maximum, "Remaining": maximum if remaining is None else remaining}

    return JSONResponse(
        {
            "ConcurrentAsyncGetReportInstances": limit(200),
            "ConcurrentSyncReportRuns": limit(20),
            "DailyApiRequests": limit(daily, max(0, daily - used)),
            "DailyAsyncApexExecutions": limit(250000),
            "DailyBulkApiBatches": limit(15000),
            "DailyBulkV2QueryFileStorageMB": limit(976562),
            "DailyBulkV2QueryJobs": limit(10000),
            "DataStorageMB": limit(5),
            "FileStorageMB": limit(20),
            "HourlyAsyncReportRuns": limit(1200),
            "HourlySyncReportRuns": limit(500),
            "MassEmail": limit(10),
            "SingleEmail": limit(15),
        }
    )


@api
async def global_describe(request: Request) -> Response:
    return JSONResponse(describe.global_describe(_version(request)))


@api
async def sobject_root(request: Request) -> Response:
    """GET: basic information (objectDescribe + recentItems); POST: create a record."""
    sobj = _sobject(request)
    if request.method == "POST":
        body = require_object(await _json_body(request), sobj.name)
        record_id = _writer(request).create(sobj, body)
        return JSONResponse({"id": record_id, "success": True, "errors": []}, status_code=201)
    return JSONResponse(
        {
            "objectDescribe": describe.global_entry(_version(request), sobj),
            "recentItems": _recent_items(request, sobj),
        }
    )


def _recent_items(request: Request, sobj: SObject) -> list[dict[str, Any]]:
    if not sobj.field("LastModifiedDate"):
        return []
    name_field = "Name" if sobj.field("Name") else "Subject" if sobj.field("Subject") else None
    columns = '"Id"' + (f', "{name_field}"' if name_field else "")
    live = ' WHERE "IsDeleted" = 0' if sobj.field("IsDeleted") else ""
    rows = _state(request).db.conn.execute(
        f'SELECT {columns} FROM "{sobj.name}"{live} ORDER BY "LastModifiedDate" DESC LIMIT 10'
    )
    items = []
    for row in rows:
        url = f"/services/data/v{_version(request)}/sobjects/{sobj.name}/{row[0]}"
        item: dict[str, Any] = {"attributes": {"type": sobj.name, "url": url}, "Id": row[0]}
        if name_field:
            item[name_field] = row[1]
        items.append(item)
    return items


@api
async def sobject_describe(request: Request) -> Response:
    return JSONResponse(describe.describe_sobject(_version(request), _sobject(request)))


def _replication(window: Callable[[OrgDatabase, SObject, str | None, str | None], Any]) -> Handler:
    """A Get Updated / Get Deleted handler: the window is `?start=` to `?end=`."""

    @api
    async def handler(request: Request) -> Response:
        sobj = _sobject(request)
        params = request.query_params
        return JSONResponse(
            window(_state(request).db, sobj, params.get("start"), params.get("end"))
        )

    return handler


sobject_updated = _replication(replication.updated)
sobject_deleted = _replication(replication.deleted)


@api
async def sobject_row(request: Request) -> Response:
    """GET (read, `?fields=`), PATCH (update → 204) and DELETE (soft delete → 204) of one record."""
    sobj = _sobject(request)
    if request.method == "GET":
        record_id = _get_record_id(request, sobj)
        row = _state(request).db.get(sobj, record_id)
        assert row is not None
        try:
            check_conditions(request.headers, row, reading=True)
        except NotModified:
            return Response(status_code=304)
        fields = select_fields(sobj, request.query_params.get("fields"))
        return JSONResponse(record_json(_version(request), sobj, row, fields))
    record_id = _record_id(request, sobj)
    if request.method == "PATCH":
        body = require_object(await _json_body(request), sobj.name)
        row = _state(request).db.get(sobj, record_id)
        assert row is not None  # located above
        # Checked and written in one step: handlers run one at a time on the event loop.
        check_conditions(request.headers, row, reading=False)
        _writer(request).update(sobj, record_id, body)
    else:
        _writer(request).delete(sobj, record_id)
    return Response(status_code=204)


def _get_record_id(request: Request, sobj: SObject) -> str:
    """Reading a deleted record answers like reading one that never existed."""
    try:
        return _record_id(request, sobj)
    except WriteError as exc:
        if exc.items[0].error_code == "ENTITY_IS_DELETED":
            raise WriteError(_NOT_FOUND, status=404) from exc
        raise


@api
async def collections(request: Request) -> Response:
    """sObject Collections: POST creates, PATCH updates, DELETE ?ids= deletes (≤ 200 each)."""
    writer = _writer(request)
    if request.method == "DELETE":
        ids = [i for i in request.query_params.get("ids", "").split(",") if i.strip()]
        all_or_none = request.query_params.get("allOrNone", "false").lower() == "true"
        results = delete_collection(writer, [i.strip() for i in ids], all_or_none=all_or_none)
    else:
        body = await _json_body(request)
        if not isinstance(body, JsonObject):
            body = require_object(body, "SObjectCollection")
        results = save_collection(writer, body, creating=request.method == "POST")
    return JSONResponse([r.as_json() for r in results])


def _both(path: str, endpoint: Handler, methods: list[str]) -> list[BaseRoute]:
    """The path with and without a trailing slash (simple-salesforce uses both forms)."""
    return [
        Route(_BASE + path, endpoint, methods=methods),
        Route(_BASE + path + "/", endpoint, methods=methods),
    ]


def routes() -> list[BaseRoute]:
    sobject = "/sobjects/{sobject}"
    return [
        *_both("", resources, ["GET"]),
        *_both("/limits", limits, ["GET"]),
        *_both("/sobjects", global_describe, ["GET"]),
        *_both("/composite/sobjects", collections, ["POST", "PATCH", "DELETE"]),
        *_both(sobject, sobject_root, ["GET", "POST"]),
        *_both(sobject + "/describe", sobject_describe, ["GET"]),
        *_both(sobject + "/updated", sobject_updated, ["GET"]),
        *_both(sobject + "/deleted", sobject_deleted, ["GET"]),
        *_both(sobject + "/{record_id}", sobject_row, ["GET", "PATCH", "DELETE"]),
    ]
