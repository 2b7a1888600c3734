"""What every REST API request goes through before its handler: injected faults, the session
check (401 INVALID_SESSION_ID), the daily API budget (403 REQUEST_LIMIT_EXCEEDED) and the
`Sforce-Limit-Info` header that Salesforce adds to every response.
"""

from __future__ import annotations

import asyncio
import re

from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from devorg import sessions, usage
from devorg.errors import SalesforceApiError, invalid_session
from devorg.state import DevorgState

# Versioned REST resources need a session; /services/data/ (the version list) does not.
_API_PATH = re.compile(r"^/services/data/v\d+\.\d+(/|$)")
_TOKEN = re.compile(r"^(?:Bearer|OAuth)\s+(\S+)$", re.IGNORECASE)


def _error(exc: SalesforceApiError) -> Response:
    return JSONResponse(exc.body(), status_code=exc.status)


class ApiGuard(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        if not _API_PATH.match(request.url.path):
            return await call_next(request)
        state: DevorgState = request.app.state.devorg
        if state.faults.latency_ms:
            await asyncio.sleep(state.faults.latency_ms / 1000)
        failure = state.faults.failure()
        if failure is not None:
            return _error(failure)
        match = _TOKEN.match(request.headers.get("authorization", ""))
        session = sessions.lookup(state.db, match.group(1)) if match else None
        if session is None:
            return _error(invalid_session())
        limit = state.settings.api_daily_limit
        used = usage.used_today(state.db)
        if used >= limit:
            response = _error(
                SalesforceApiError(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
            )
        else:
            used = usage.count_request(state.db)
            request.state.session = session
            response = await call_next(request)
            late = state.faults.late_answer()
            if late:
                await asyncio.sleep(late)
        response.headers["Sforce-Limit-Info"] = f"api-usage={used}/{limit}"
        return response
