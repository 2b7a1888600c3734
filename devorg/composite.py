"""The Composite resource (`POST /services/data/vXX.X/composite`): up to 25 subrequests in one
call, which counts as ONE request against the daily API budget, as in Salesforce. Up to 5 of
them may be queries (query, queryAll or a next page). `@{referenceId.path}` references to
earlier responses are resolved in later subrequests' url and body. With `allOrNone`, a failing
subrequest rolls every write back and the rest answer PROCESSING_HALTED.

Subrequests are dispatched in process to the same routes, behind the guard (one session check,
one counted request for the whole call), and answer as a standalone request would (404 for no
such resource, 405, 500 for a bug). A subrequest cannot be another composite request.
"""

from __future__ import annotations

import inspect
import json
import re
from typing import Any
from urllib.parse import unquote

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import Message, Scope

from devorg.errors import SalesforceApiError
from devorg.rest import api
from devorg.state import DevorgState
from devorg.write_body import parse_body, plain
from devorg.writes import savepoint

MAX_SUBREQUESTS = 25
MAX_QUERIES = 5
_METHODS = {"GET", "POST", "PATCH", "PUT", "DELETE"}
_REFERENCE_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,79}$")
_QUERY_PATH = re.compile(r"^/services/data/v\d+\.\d+/(query|queryAll)(/|$|\?)")
_REFERENCE = re.compile(r"@\{([A-Za-z][A-Za-z0-9_]*)((?:\.[A-Za-z0-9_]+|\[\d+\])+)\}")
_PATH_STEP = re.compile(r"\.([A-Za-z0-9_]+)|\[(\d+)\]")
# The request headers a subrequest may carry in `httpHeaders` (Salesforce's list, less those
# devorg has no use for).
_SUBREQUEST_HEADERS = frozenset(
    {"if-match", "if-none-match", "if-modified-since", "if-unmodified-since", "sforce-auto-assign"}
)
# Marks the scope of a subrequest, so that a composite request cannot nest another.
_SUBREQUEST = "devorg.composite_subrequest"


def _invalid(message: str) -> SalesforceApiError:
    return SalesforceApiError(400, "INVALID_INPUT", message)


def _validated(body: Any) -> tuple[bool, list[dict[str, Any]]]:
    if not isinstance(body, dict) or not isinstance(body.get("compositeRequest"), list):
        raise _invalid("compositeRequest is required and must be a list")
    subrequests = body["compositeRequest"]
    if not 1 <= len(subrequests) <= MAX_SUBREQUESTS:
        raise _invalid(f"compositeRequest takes 1 to {MAX_SUBREQUESTS} subrequests")
    seen: set[str] = set()
    for sub in subrequests:
        if not isinstance(sub, dict):
            raise _invalid("each subrequest must be an object")
        method, url, ref = sub.get("method"), sub.get("url"), sub.get("referenceId")
        if not isinstance(method, str) or method not in _METHODS:
            raise _invalid(f"unsupported method in subrequest: {str(method)[:20]}")
        if not isinstance(url, str) or not url.startswith("/services/data/v"):
            raise _invalid("a subrequest url must start with /services/data/vXX.X/")
        if not isinstance(ref, str) or not _REFERENCE_ID.match(ref) or ref in seen:
            raise _invalid("each subrequest needs a unique alphanumeric referenceId")
        seen.add(ref)
        headers = sub.get("httpHeaders", {})
        if not isinstance(headers, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
        ):
            raise _invalid("httpHeaders must be an object of header names to strings")
        if {k.lower() for k in headers} - _SUBREQUEST_HEADERS:
            raise _invalid(f"httpHeaders may carry only {sorted(_SUBREQUEST_HEADERS)}")
    if sum(1 for sub in subrequests if _QUERY_PATH.match(sub["url"])) > MAX_QUERIES:
        raise _invalid(f"a composite request can hold at most {MAX_QUERIES} query subrequests")
    all_or_none = body.get("allOrNone", False)
    if not isinstance(all_or_none, bool):
        raise _invalid("allOrNone must be a boolean")
    return all_or_none, subrequests


def _lookup(results: dict[str, Any], ref: str, path: str) -> Any:
    if ref not in results:
        raise _invalid(f"reference {ref} is not an earlier subrequest")
    value = results[ref]
    for key, index in _PATH_STEP.findall(path):
        try:
            value = value[int(index)] if index else value[key]
        except (KeyError, IndexError, TypeError) as exc:
            raise _invalid(f"reference @{{{ref}{path}}} does not resolve") from exc
    return value


def _resolve(value: Any, results: dict[str, Any]) -> Any:
    """Replace @{ref.path} in strings (recursively) by values of earlier responses."""
    if isinstance(value, str):
        whole = _REFERENCE.fullmatch(value)
        if whole:
            return _lookup(results, whole.group(1), whole.group(2))
        return _REFERENCE.sub(lambda m: str(_lookup(results, m.group(1), m.group(2))), value)
    if isinstance(value, dict):
        return {k: _resolve(v, results) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, results) for v in value]
    return value


async def _dispatch(
    request: Request, method: str, url: str, body: Any, own_headers: dict[str, str]
) -> tuple[int, dict[str, str], Any]:
    """Run one subrequest through the app's router, answering as a standalone request would."""
    path, _, query = url.partition("?")
    payload = b"" if body is None else json.dumps(body).encode()
    headers = [(b"content-type", b"application/json")] if body is not None else []
    scope: Scope = {
        **request.scope,
        "method": method,
        "path": unquote(path),
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "headers": [*headers, *[(k, v) for k, v in request.scope["headers"]
                                if k in (b"authorization", b"sforce-query-options")],
                    *[(k.lower().encode(), v.encode()) for k, v in own_headers.items()]],
        "state": {"session": request.state.session},
        _SUBREQUEST: True,
    }  # fmt: skip
    scope.pop("router", None)
    scope.pop("endpoint", None)
    scope.pop("path_params", None)
    sent = False
    status = 500
    response_headers: dict[str, str] = {}
    chunks: list[bytes] = []

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": payload, "more_body": False}

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
            response_headers.clear()
            chunks.clear()
            for key, value in message.get("headers", []):
                response_headers[key.decode().title()] = value.decode()
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    try:
        await request.app.router(scope, receive, send)
    except Exception as exc:
        # The router raises "no such path" (404) and "not this method" (405) itself, outside
        # any route's error handling; errors and bugs of a handler arrive here too.
        response = await _handled(request.app, Request(scope, receive), exc)
        await response(scope, receive, send)
    raw = b"".join(chunks)
    parsed = json.loads(raw) if raw else None
    kept = {k: v for k, v in response_headers.items() if k in ("Location", "Content-Type")}
    return status, kept, parsed


async def _handled(app: Starlette, request: Request, exc: Exception) -> Response:
    """The response of the app's own handler for `exc` (app.py registers one for Exception)."""
    handlers = app.exception_handlers
    handler = handlers.get(exc.status_code) if isinstance(exc, HTTPException) else None
    if handler is None:
        handler = next(handlers[kind] for kind in type(exc).__mro__ if kind in handlers)
    response = handler(request, exc)
    if inspect.isawaitable(response):
        response = await response
    assert isinstance(response, Response)
    return response


async def _run(
    request: Request, subrequests: list[dict[str, Any]], *, all_or_none: bool
) -> list[dict[str, Any]]:
    """Each subrequest's answer, in order; with `all_or_none`, those after a failure are halted."""
    results: dict[str, Any] = {}
    responses: list[dict[str, Any]] = []
    halted = False
    for sub in subrequests:
        ref = sub["referenceId"]
        if halted:
            responses.append(_halted(ref))
            continue
        try:
            url = _resolve(sub["url"], results)
            sub_body = _resolve(sub.get("body"), results)
            status, headers, answer = await _dispatch(
                request, sub["method"], url, sub_body, sub.get("httpHeaders", {})
            )
        except SalesforceApiError as exc:  # a reference that does not resolve
            status, headers, answer = exc.status, {}, exc.body()
        results[ref] = answer
        responses.append(
            {"body": answer, "httpHeaders": headers, "httpStatusCode": status, "referenceId": ref}
        )
        halted = all_or_none and status >= 400
    return responses


class _RolledBack(Exception):
    def __init__(self, responses: list[dict[str, Any]]) -> None:
        super().__init__("a subrequest failed")
        self.responses = responses


@api
async def composite(request: Request) -> Response:
    if request.scope.get(_SUBREQUEST):
        raise _invalid("a composite request cannot be a subrequest of another")
    all_or_none, subrequests = _validated(plain(parse_body(await request.body())))
    if not all_or_none:
        responses = await _run(request, subrequests, all_or_none=False)
        return JSONResponse({"compositeResponse": responses})
    state: DevorgState = request.app.state.devorg
    # Handlers never suspend on I/O (SQLite is synchronous), so no other request runs inside
    # the savepoint; it is rolled back whatever escapes, a failed subrequest or a bug.
    try:
        with savepoint(state.db):
            responses = await _run(request, subrequests, all_or_none=True)
            if any(r["httpStatusCode"] >= 400 for r in responses):
                raise _RolledBack(responses)
    except _RolledBack as rolled:
        responses = [
            r if r["httpStatusCode"] >= 400 else _halted(r["referenceId"]) for r in rolled.responses
        ]
    return JSONResponse({"compositeResponse": responses})


def _halted(ref: str) -> dict[str, Any]:
    message = "The transaction was rolled back since another operation in the same "
    message += "transaction failed."
    return {
        "body": [{"errorCode": "PROCESSING_HALTED", "message": message}],
        "httpHeaders": {},
        "httpStatusCode": 400,
        "referenceId": ref,
    }


def routes() -> list[BaseRoute]:
    path = "/services/data/v{version}/composite"
    return [
        Route(path, composite, methods=["POST"]),
        Route(path + "/", composite, methods=["POST"]),
    ]
