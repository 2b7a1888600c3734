"""The per-request context every resolver receives as `info.context`."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial

from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from auth.credentials import Credentials
from auth.errors import AuthenticationError
from auth.principals import Principal, resolve_principal
from resolvers.loaders import Loaders, make_loaders
from salesforce.gateway import Gateway
from services.alert_events import AlertBroker
from services.evaluation import Evaluate, EvaluationReport
from services.freshness import Freshness

logger = logging.getLogger(__name__)
# An org's Salesforce gateway by org id (services.orgs.OrgRefresher.gateway).
Gateways = Callable[[str], Gateway]
# A user's own Salesforce gateway by org and user id, None when dealpulse holds no token for
# it (services.orgs.OrgRefresher.user_gateway; blocking).
UserGateways = Callable[[str, str], Gateway | None]


@dataclass(frozen=True)
class Limits:
    max_page_size: int
    default_page_size: int


@dataclass(frozen=True)
class Session:
    """What a request knows once it is ready: who asks, and how old the mirror is."""

    principal: Principal
    loaders: Loaders
    synced_at: datetime | None
    stale: bool


@dataclass
class RequestContext:
    """Every request gets one, authenticated or not: `credentials` is the verified token, or
    the reason there is none (then nothing reads the store or Salesforce: `session` raises it).
    """

    engine: Engine
    freshness: Freshness
    limits: Limits
    credentials: Credentials | AuthenticationError
    request_id: str
    client_host: str | None = None  # the caller's address (rate limits of refused tokens)
    # The org's evaluation pass (OrgRefresher.evaluate); None: writes are not evaluated.
    evaluator: Evaluate | None = None
    # The org's Salesforce gateway (OrgRefresher.gateway), for the mutations that read or
    # write the org (importValidationRules, quickFix, checkIn); None: the app reaches no org.
    gateways: Gateways | None = None
    # The users' own Salesforce gateways (writes as the user); None: writes use the org's.
    user_gateways: UserGateways | None = None
    # Where live alert updates come from (the OrgRefresher's broker); None: none are served.
    alert_events: AlertBroker | None = None
    # A WebSocket's `connection_init` payload (graphql-transport-ws sets it).
    connection_params: dict[str, object] | None = None
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    _ready: asyncio.Task[Session] | None = None

    async def session(self) -> Session:
        """Bring the mirror up to date (at most once per request), then resolve the principal.

        Lazy, so a request that fails validation never syncs nor reads the store.
        """
        if self._ready is None:
            self._ready = asyncio.ensure_future(self._prepare())
        return await asyncio.shield(self._ready)

    @property
    def authentication_error(self) -> AuthenticationError | None:
        """Why the request's token was refused, or None when it was verified."""
        credentials = self.credentials
        return credentials if isinstance(credentials, AuthenticationError) else None

    async def evaluate(
        self,
        *,
        opportunity_ids: Collection[str] | None = None,
        rule_ids: Collection[str] | None = None,
    ) -> EvaluationReport | None:
        """Evaluate the caller's org after a write dealpulse made: the opportunities it
        touched, or the rules it changed (None: all of them), in a worker thread under the
        org's pass lock. None when the app evaluates nothing (no evaluator)."""
        if self.evaluator is None:
            return None
        principal = await self.principal()
        run = partial(
            self.evaluator,
            principal.org_id,
            opportunity_ids=opportunity_ids,
            rule_ids=rule_ids,
        )
        return await run_in_threadpool(run)

    async def evaluate_after_write(
        self,
        what: str,
        *,
        opportunity_ids: Collection[str] | None = None,
        rule_ids: Collection[str] | None = None,
    ) -> None:
        """`evaluate` after a write that is saved already: the write stands whatever happens
        here. A pass that fails is logged (`what` was written, no values) and the evaluation
        clock evaluates the org again within its interval; a rule that fails records its
        error in its health."""
        try:
            await self.evaluate(opportunity_ids=opportunity_ids, rule_ids=rule_ids)
        except Exception:
            logger.exception("evaluation after %s failed", what)

    async def principal(self) -> Principal:
        return (await self.session()).principal

    async def loaders(self) -> Loaders:
        return (await self.session()).loaders

    async def _prepare(self) -> Session:
        token = self.credentials
        if isinstance(token, AuthenticationError):
            raise token
        synced_at = await self.freshness.ensure_fresh(token.org_id)
        principal = await run_in_threadpool(resolve_principal, self.engine, token)
        return Session(
            principal=principal,
            loaders=make_loaders(self.engine, principal.visibility),
            synced_at=synced_at,
            stale=self.freshness.is_stale(synced_at),
        )
