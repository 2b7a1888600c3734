"""The GraphQL endpoint: GraphQL over HTTP, the request context, and status codes.

- GET runs queries only (a mutation over GET is refused with 405); POST runs anything.
- A client whose Accept prefers `application/graphql-response+json` gets that content type and
  the status codes of the GraphQL-over-HTTP spec: 400 when the request fails before execution
  (parse, validation, limits, variable coercion) and 401 without a valid principal. Plain
  `application/json` keeps 200 for GraphQL errors, as legacy clients expect.
- The principal comes from the bearer token (`Authorization: Bearer`): an OAuth access token
  of a user or run-as client, or a signed development token (auth.bearer); it is checked
  before anything runs, so a request without one reaches neither the store nor Salesforce: it
  still gets a context (`credentials` is then the AuthenticationError), and the operation is
  answered with that error alone, before parsing (see execute_single).
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from cross_web import HTTPException, StarletteRequestAdapter
from graphql import GraphQLError
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse
from strawberry.schema.base import BaseSchema
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET, UnsetType

from api.rate_limits import RATE_LIMITED, Buckets, caller_key, retry_after_seconds
from api.settings import Settings
from auth.bearer import verify_bearer
from auth.credentials import Credentials
from auth.dev_tokens import bearer_token
from auth.errors import AuthenticationError
from resolvers.context import Gateways, Limits, RequestContext, UserGateways
from services.alert_events import AlertBroker
from services.evaluation import Evaluate
from services.freshness import Freshness

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


def preferred_media_type(accept: str | None) -> str:
    """`application/graphql-response+json` if the client lists it before `application/json`
    (or alone); otherwise `application/json`. Quality values are honoured when given."""
    if not accept:
        return JSON
    best: tuple[float, int, str] | None = None
    for position, part in enumerate(accept.split(",")):
        media, *params = (piece.strip() for piece in part.split(";"))
        if media.lower() not in (GRAPHQL_RESPONSE, JSON):
            continue
        quality = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        candidate = (quality, -position, media.lower())
        if quality > 0 and (best is None or candidate > best):
            best = candidate
    return best[2] if best else JSON


def _request_id(request: Request | WebSocket) -> str:
    """The request's id: the client's own (to correlate with its logs) only if it is plainly an
    id, as it is echoed in a header and written to our logs; else a new one. Kept on the
    request, so every part of it names the same id (a WebSocket has no sub-response)."""
    known = getattr(request.state, "request_id", None)
    if isinstance(known, str):
        return known
    given = request.headers.get("x-request-id", "")
    request_id = given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
    request.state.request_id = request_id
    return request_id


class GraphQLSubResponse(Response):
    media: str = JSON


class _RequestAdapter(StarletteRequestAdapter):
    @property
    def content_type(self) -> str | None:
        """A POST body's content type parsed as a media type (case-insensitive, parameters
        apart), not matched as a substring as strawberry does ("application/jsonx" passed,
        "Application/JSON" did not): application/json, in UTF-8 if a charset is named, else
        415."""
        raw = super().content_type
        if self.method == "GET" or raw is None:
            return raw
        media, *parameters = raw.split(";")
        if media.strip().lower() != JSON:
            raise HTTPException(415, f"unsupported content type: send {JSON}")
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in {
                "utf-8",
                "utf8",
            }:
                raise HTTPException(415, "unsupported charset: JSON bodies are UTF-8")
        return JSON


class GraphQLView(GraphQL[RequestContext, None]):
    request_adapter_class = _RequestAdapter

    def __init__(
        self,
        schema: BaseSchema,
        *,
        settings: Settings,
        engine: Engine,
        freshness: Freshness,
        evaluator: Evaluate | None = None,
        gateways: Gateways | None = None,
        user_gateways: UserGateways | None = None,
        alert_events: AlertBroker | None = None,
        rate_limits: Buckets | None = None,
    ) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql",
            allow_queries_via_get=True,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
        )
        self.alert_events = alert_events
        self.settings = settings
        self.engine = engine
        self.freshness = freshness
        self.evaluator = evaluator
        self.gateways = gateways
        self.user_gateways = user_gateways
        self.rate_limits = rate_limits
        self.limits = Limits(
            max_page_size=settings.max_page_size,
            default_page_size=settings.default_page_size,
        )

    def decode_json(self, data: str | bytes) -> object:
        """A JSON object (or a list, which strawberry refuses as a batch). Anything else, JSON
        nested too deeply for the parser and bytes that are not text, is the client's error
        (400), not a crash."""
        try:
            decoded = json.loads(data)
        except RecursionError:
            raise HTTPException(400, "the JSON is nested too deeply") from None
        except UnicodeDecodeError:  # a ValueError, but no JSONDecodeError strawberry catches
            raise HTTPException(400, "the body is not UTF-8 text") from None
        except json.JSONDecodeError:
            raise  # strawberry's own 400
        except ValueError:  # an integer past Python's digit limit (4300), in a body or a GET
            raise HTTPException(400, "the JSON holds a number too long to read") from None
        if not isinstance(decoded, dict | list):
            raise HTTPException(400, "expected a JSON object")
        return decoded

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        sub = GraphQLSubResponse()
        sub.status_code = None  # type: ignore[assignment]
        del sub.headers["content-length"]
        sub.media = preferred_media_type(request.headers.get("accept"))
        sub.headers["x-request-id"] = _request_id(request)
        request.state.sub_response = sub
        return sub

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> RequestContext:
        """The request's context; its credentials are the verified token or the reason the
        token was refused (checked here, before anything runs)."""
        credentials: Credentials | AuthenticationError
        try:
            credentials = await self._verified(bearer_token(request.headers.get("authorization")))
        except AuthenticationError as error:
            credentials = error
        return RequestContext(
            engine=self.engine,
            freshness=self.freshness,
            limits=self.limits,
            credentials=credentials,
            request_id=_request_id(request),
            client_host=request.client.host if request.client else None,
            evaluator=self.evaluator,
            gateways=self.gateways,
            user_gateways=self.user_gateways,
            alert_events=self.alert_events,
        )

    async def _verified(self, token: str | None) -> Credentials:
        """The bearer token's credentials (an OAuth access token or a development token), in
        a worker thread: the revocation check reads the database."""
        return await run_in_threadpool(verify_bearer, self.engine, self.settings, token)

    async def on_ws_connect(self, context: RequestContext) -> UnsetType | dict[str, object] | None:
        """graphql-transport-ws `connection_init`: its payload's `Authorization` (a Bearer
        token) authenticates the connection; without one, the upgrade request's header must
        have. A refused token closes the connection (4403) before anything runs."""
        given = (context.connection_params or {}).get("Authorization")
        if given is not None:
            try:
                token = bearer_token(given) if isinstance(given, str) else None
                context.credentials = await self._verified(token)
            except AuthenticationError as error:
                context.credentials = error
        if context.authentication_error is not None:
            raise ConnectionRejectionError({"message": str(context.authentication_error)})
        seconds = await self._seconds_to_wait(context)
        if seconds is not None:  # a connection counts as a request of its principal
            raise ConnectionRejectionError(
                {"message": f"too many requests: retry in {seconds} s", "retryAfter": seconds}
            )
        acknowledged: UnsetType = UNSET  # a plain connection_ack
        return acknowledged

    async def execute_single(  # type: ignore[override]
        self, *, request: Request, context: RequestContext, **kwargs: Any
    ) -> ExecutionResult:
        limited = await self._rate_limited(request, context)
        if limited is not None:
            return limited
        refused = context.authentication_error
        if refused is not None:
            # Answered before parsing: an unauthenticated request learns nothing of the
            # schema and costs no store or Salesforce call.
            return ExecutionResult(
                data=None, errors=[GraphQLError(str(refused), extensions=refused.extensions)]
            )
        try:
            return await super().execute_single(request=request, context=context, **kwargs)
        except HTTPException as rejected:
            cause = rejected.__cause__
            if request.method == "GET" and isinstance(cause, InvalidOperationTypeError):
                raise HTTPException(405, "only queries are allowed over GET") from rejected
            raise

    async def _seconds_to_wait(self, context: RequestContext) -> int | None:
        """None if the caller's bucket had a token (one is taken), else `Retry-After`."""
        if self.rate_limits is None:
            return None
        key = caller_key(context.credentials, context.client_host)
        wait = await self.rate_limits.take(key)
        return retry_after_seconds(wait) if wait > 0 else None

    async def _rate_limited(
        self, request: Request, context: RequestContext
    ) -> ExecutionResult | None:
        """None, or the answer to a caller whose bucket is empty (429, `Retry-After`)."""
        seconds = await self._seconds_to_wait(context)
        if seconds is None:
            return None
        sub: GraphQLSubResponse = request.state.sub_response
        sub.status_code = 429
        sub.headers["retry-after"] = str(seconds)
        error = GraphQLError(
            f"too many requests: retry in {seconds} s",
            extensions={"code": RATE_LIMITED, "retryAfter": seconds},
        )
        return ExecutionResult(data=None, errors=[error])

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        sub: GraphQLSubResponse = request.state.sub_response
        errors = result.errors or []
        # Refused before execution started: parse, validation, variables, cost, authentication.
        not_executed = bool(errors) and result.data is None and all(not e.path for e in errors)
        if sub.status_code == 429:
            pass  # rate limited, whatever the media type
        elif sub.media == GRAPHQL_RESPONSE and errors:
            codes = {(e.extensions or {}).get("code") for e in errors}
            if "UNAUTHENTICATED" in codes:
                sub.status_code = 401
            elif not_executed:
                sub.status_code = 400
        elif "UNAUTHENTICATED" in {(e.extensions or {}).get("code") for e in errors}:
            sub.headers["www-authenticate"] = "Bearer"
        if sub.status_code == 401:
            sub.headers["www-authenticate"] = "Bearer"
        answer = await super().process_result(request, result)
        if sub.media == GRAPHQL_RESPONSE and not_executed:
            # GraphQL over HTTP: a request error's response has no `data` entry at all (a
            # `data: null` would say that execution started and failed).
            answer.pop("data", None)
        return answer

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        response = super().create_response(response_data, sub_response)
        media = sub_response.media if isinstance(sub_response, GraphQLSubResponse) else JSON
        response.headers["content-type"] = f"{media}; charset=utf-8"
        return response

    def _bounded(self, receive: Receive) -> Receive:
        """`receive`, refusing (413) a body longer than settings.max_body_bytes as it streams
        in: Content-Length may be absent (chunked) or wrong, and Starlette buffers the body."""
        limit = self.settings.max_body_bytes
        received = 0

        async def bounded() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise HTTPException(413, f"the request body is larger than {limit} bytes")
            return message

        return bounded

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope=scope, receive=self._bounded(receive))
        try:
            response = await self.run(request)
        except HTTPException as error:
            # Requests strawberry refuses before GraphQL runs: answer in GraphQL's shape.
            sub = getattr(request.state, "sub_response", None)
            media = sub.media if isinstance(sub, GraphQLSubResponse) else JSON
            headers = {"allow": "GET, POST"} if error.status_code == 405 else {}
            body = self.encode_json({"errors": [{"message": error.reason}]})
            response = Response(
                body, status_code=error.status_code, media_type=media, headers=headers
            )
        await response(scope, receive, send)
