"""devorg's own control endpoints (not Salesforce's), used by tests to inject faults at run time.

Every call must carry the connected app's client secret in `X-Devorg-Control`.
"""

from __future__ import annotations

import hmac
import json

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from devorg import sessions, usage
from devorg.errors import SalesforceApiError
from devorg.state import DevorgState

# A few settings at most; nothing legitimate comes near this.
MAX_CONTROL_BODY = 4096


def _authorised(request: Request) -> DevorgState:
    state: DevorgState = request.app.state.devorg
    given = request.headers.get("x-devorg-control", "")
    secrets_ = [r[0] for r in state.db.conn.execute("SELECT client_secret FROM _connected_app")]
    if not any(hmac.compare_digest(given.encode(), s.encode()) for s in secrets_):
        raise SalesforceApiError(401, "INVALID_AUTH_HEADER", "X-Devorg-Control is missing or wrong")
    return state


async def _json_object(request: Request) -> dict[str, object]:
    raw = await request.body()
    if len(raw) > MAX_CONTROL_BODY:
        raise SalesforceApiError(400, "JSON_PARSER_ERROR", "The body is too large")
    try:
        body = json.loads(raw or b"{}")
    except (ValueError, RecursionError) as exc:  # deep nesting recurses in the json module
        raise SalesforceApiError(400, "JSON_PARSER_ERROR", "The body is not JSON") from exc
    if not isinstance(body, dict):
        raise SalesforceApiError(400, "JSON_PARSER_ERROR", "The body must be a JSON object")
    return body


async def faults(request: Request) -> Response:
    state = _authorised(request)
    if request.method == "PUT":
        try:
            state.faults.update(await _json_object(request))
        except ValueError as exc:
            raise SalesforceApiError(400, "INVALID_FIELD", str(exc)) from exc
    return JSONResponse(state.faults.as_dict())


async def expire_sessions(request: Request) -> Response:
    state = _authorised(request)
    sessions.expire_all_access_tokens(state.db)
    return Response(status_code=204)


async def api_usage(request: Request) -> Response:
    state = _authorised(request)
    body = await _json_object(request)
    used = body.get("used")
    if not isinstance(used, int) or isinstance(used, bool) or used < 0:
        raise SalesforceApiError(400, "INVALID_FIELD", "used must be a non-negative integer")
    usage.set_used_today(state.db, used)
    return JSONResponse({"used": used, "limit": state.settings.api_daily_limit})


async def writes(request: Request) -> Response:
    """Records written through the API since the org was created (creates, updates, deletes)."""
    state = _authorised(request)
    return JSONResponse({"writes": usage.writes(state.db)})


def routes() -> list[BaseRoute]:
    return [
        Route("/_devorg/faults", faults, methods=["GET", "PUT"]),
        Route("/_devorg/expire-sessions", expire_sessions, methods=["POST"]),
        Route("/_devorg/api-usage", api_usage, methods=["PUT"]),
        Route("/_devorg/writes", writes, methods=["GET"]),
    ]
