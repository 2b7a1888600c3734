"""Keeping an org's mirror fresh enough to answer from (single flight per org).

A request that finds the org's mirror older than the staleness bound first runs one
incremental sync (`sync_org(org_id)`, blocking, run in a thread). Concurrent requests for the
same org await that same sync. If the sync fails (Salesforce unreachable, budget exhausted)
the request is served from the mirror as it is, and `syncStatus` / `syncedAt` say how old it
is; the failure is remembered and no new attempt is made for `retry_after_seconds`, so an
outage does not make every request wait for a timeout.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from store import queries

logger = logging.getLogger(__name__)

SyncOrg = Callable[[str], object]


@dataclass(frozen=True)
class SyncFailure:
    at: datetime
    message: str  # the exception's class name only: messages may carry URLs or tokens


class Freshness:
    def __init__(
        self,
        engine: Engine,
        sync_org: SyncOrg | None,
        *,
        staleness_seconds: float,
        retry_after_seconds: float | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._engine = engine
        self._sync_org = sync_org
        self._staleness = staleness_seconds
        self._retry_after = (
            staleness_seconds if retry_after_seconds is None else retry_after_seconds
        )
        self._clock = clock
        self._in_flight: dict[str, asyncio.Task[None]] = {}
        self._last_started: dict[str, float] = {}
        self._failures: dict[str, SyncFailure] = {}
        self.syncs_started = 0

    def last_failure(self, org_id: str) -> SyncFailure | None:
        return self._failures.get(org_id)

    def is_stale(self, synced_at: datetime | None) -> bool:
        if synced_at is None:
            return True
        return (self._clock() - synced_at).total_seconds() > self._staleness

    async def ensure_fresh(self, org_id: str) -> datetime | None:
        """Sync the org first if its mirror is stale; returns when the mirror was synced."""
        checked_at = time.monotonic()
        synced_at = await run_in_threadpool(queries.org_synced_at, self._engine, org_id)
        if self._sync_org is None or not self.is_stale(synced_at):
            return synced_at
        task = self._in_flight.get(org_id)
        if task is None:
            if self._last_started.get(org_id, float("-inf")) >= checked_at:
                # A sync started (and finished) while we were reading: its result is fresh.
                return await run_in_threadpool(queries.org_synced_at, self._engine, org_id)
            failure = self._failures.get(org_id)
            if failure and (self._clock() - failure.at).total_seconds() < self._retry_after:
                return synced_at
            task = asyncio.create_task(self._sync(org_id), name=f"sync-{org_id}")
            self._in_flight[org_id] = task
        await asyncio.shield(task)
        return await run_in_threadpool(queries.org_synced_at, self._engine, org_id)

    async def _sync(self, org_id: str) -> None:
        assert self._sync_org is not None
        self._last_started[org_id] = time.monotonic()
        self.syncs_started += 1
        try:
            await run_in_threadpool(self._sync_org, org_id)
        except Exception as error:
            self._failures[org_id] = SyncFailure(self._clock(), type(error).__name__)
            logger.warning(
                "sync of org %s failed (%s); serving the mirror", org_id, type(error).__name__
            )
        else:
            self._failures.pop(org_id, None)
        finally:
            self._in_flight.pop(org_id, None)
