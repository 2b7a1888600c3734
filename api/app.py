"""The Starlette application factory: /graphql, /healthz, /readyz, and the OAuth 2 endpoints
(api.oauth_routes)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import Engine, text
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from strawberry.schema.base import BaseSchema

from api.graphql_view import GraphQLView
from api.http_headers import http_middleware
from api.oauth_routes import oauth_routes
from api.rate_limits import Rate, buckets
from api.settings import Settings
from auth.dev_tokens import MIN_KEY_LENGTH
from resolvers.context import Gateways, UserGateways
from schema.schema import SchemaLimits, build_schema
from services.alert_events import AlertBroker, LocalBroker
from services.evaluation import Evaluate
from services.freshness import Freshness, SyncOrg
from services.orgs import OrgRefresher
from services.scheduler import Scheduler
from store.engine import make_engine

logger = logging.getLogger(__name__)


def _database_reachable(engine: Engine) -> bool:
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:
        logger.warning("readiness: database unreachable (%s)", type(error).__name__)
        return False
    return True


def create_app(
    settings: Settings,
    *,
    engine: Engine | None = None,
    sync_org: SyncOrg | None = None,
    evaluate: Evaluate | None = None,
    gateways: Gateways | None = None,
    user_gateways: UserGateways | None = None,
    alert_events: AlertBroker | None = None,
    scheduler: Scheduler | None = None,
    schema: BaseSchema | None = None,
) -> Starlette:
    """The API. `engine` defaults to one on settings.database_url (disposed on shutdown);
    `sync_org(org_id)` runs one incremental sync of an org (blocking; run in a thread), and
    without it the API serves the mirror as it is. `evaluate` is the evaluation pass a
    write runs (OrgRefresher.evaluate: give the one whose pass locks the sync passes hold;
    default: an OrgRefresher of the app's own); `gateways(org_id)` the org's Salesforce
    gateway for the mutations that read Salesforce (OrgRefresher.gateway; default likewise,
    and the gateways it opened are closed on shutdown); `user_gateways(org_id, user_id)` a
    user's own (OrgRefresher.user_gateway: writes as the user when dealpulse holds its
    Salesforce token; default: the app's own OrgRefresher's when it has one, else none).
    `alert_events` is where the
    `alertsChanged` subscription listens: the broker of the OrgRefresher whose passes run
    (default: the app's own's, or a broker of its own when `evaluate` comes from elsewhere).
    `scheduler` runs its jobs while the app lives. `schema` defaults to build_schema with the
    settings' limits."""
    if len(settings.secret_key.get_secret_value()) < MIN_KEY_LENGTH:
        # Refuse to start rather than answer every request "unauthenticated".
        raise ValueError(
            f"DEALPULSE_SECRET_KEY must be at least {MIN_KEY_LENGTH} characters: it signs tokens"
        )
    owns_engine = engine is None
    database = engine if engine is not None else make_engine(settings.database_url)
    freshness = Freshness(
        database,
        sync_org,
        staleness_seconds=settings.staleness_seconds,
        deadline_seconds=settings.request_sync_deadline_seconds,
    )
    if schema is None:
        schema = build_schema(
            SchemaLimits(
                max_depth=settings.max_query_depth,
                max_aliases=settings.max_aliases,
                max_tokens=settings.max_tokens,
                max_cost=settings.max_query_cost,
                default_page_size=settings.default_page_size,
                max_page_size=settings.max_page_size,
                introspection=settings.introspection,
            )
        )
    own: OrgRefresher | None = None  # the app's own, closed at shutdown (its gateways' HTTP)
    if evaluate is None or gateways is None:
        # It connects to an org only when asked to.
        own = OrgRefresher(database, settings, request_timeout=settings.salesforce_timeout_seconds)
        evaluate = evaluate or own.evaluate
        gateways = gateways or own.gateway
        user_gateways = user_gateways or own.user_gateway
        alert_events = alert_events or own.alert_events
    rate_limits = (
        buckets(
            Rate(settings.rate_limit_per_second, settings.rate_limit_burst),
            settings.redis_url.get_secret_value(),
        )
        if settings.rate_limit_per_second > 0
        else None
    )
    graphql = GraphQLView(
        schema, settings=settings, engine=database, freshness=freshness, evaluator=evaluate,
        gateways=gateways, user_gateways=user_gateways,
        alert_events=alert_events or LocalBroker(), rate_limits=rate_limits,
    )  # fmt: skip

    async def healthz(_: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def readyz(_: Request) -> JSONResponse:
        if await run_in_threadpool(_database_reachable, database):
            return JSONResponse({"status": "ready"})
        return JSONResponse({"status": "database unreachable"}, status_code=503)

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        if scheduler is not None:
            scheduler.start()
        yield
        if scheduler is not None:
            await scheduler.stop()
        await freshness.wait_idle()  # request-time passes that went on past their deadline
        if rate_limits is not None:
            await rate_limits.close()
        if own is not None:  # nothing runs a pass or a mutation any more
            own.close()
        if owns_engine:
            database.dispose()

    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),  # subscriptions (graphql-transport-ws)
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            *oauth_routes(database, settings, rate_limits),
        ],
        lifespan=lifespan,
        middleware=http_middleware(settings),
    )
    app.state.freshness = freshness
    app.state.rate_limits = rate_limits  # closed by the lifespan (a test without one closes it)
    return app
