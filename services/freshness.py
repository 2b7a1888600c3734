"""Keeping an org's mirror fresh enough to answer from (single flight per org).

A request that finds the org's mirror older than the staleness bound first runs one
incremental sync (`sync_org(org_id)`: the hot sync pass, blocking, run in a worker thread).
Concurrent requests for the same org await that same sync. A request waits for it at most
`deadline_seconds`: past that it is answered from the mirror as it is (stale), and the pass
goes on in the background; later requests join it and wait at most the deadline too. The
bound covers the time the pass waits for the org's pass lock (held by a background full pass,
say) as well: the lock is taken in the worker thread, never on the event loop.

If the sync fails (Salesforce unreachable, budget exhausted) the request is served from the
mirror as it is, and `syncStatus` / `syncedAt` say how old it is; the failure is remembered and
no new attempt is made for `retry_after_seconds`, so an outage does not make every request wait
for a timeout. `sync_error` says which error `syncStatus` shows: the latest, until any later
pass succeeds.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import anyio.to_thread
from anyio import CapacityLimiter
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from store import queries
from store.models import SyncState

logger = logging.getLogger(__name__)

SyncOrg = Callable[[str], object]
# Request-time passes get worker threads of their own: however many orgs' passes hang on a
# slow Salesforce, the requests' store reads (on the default thread limiter) never wait for a
# thread. A pass beyond this many waits for one (its requests answer at the deadline).
PASS_THREADS = 16


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
        deadline_seconds: float | None = None,
        retry_after_seconds: float | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._engine = engine
        self._sync_org = sync_org
        self._pass_threads = CapacityLimiter(PASS_THREADS)
        self._staleness = staleness_seconds
        self._deadline = deadline_seconds  # None: wait for the pass however long it takes
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
        try:
            # shield: a request that stops waiting (deadline, disconnect) never cancels the pass.
            await asyncio.wait_for(asyncio.shield(task), self._deadline)
        except TimeoutError:
            logger.info("sync of org %s is past the request deadline; serving the mirror", org_id)
        return await run_in_threadpool(queries.org_synced_at, self._engine, org_id)

    async def wait_idle(self) -> None:
        """Wait for the passes still running in the background (on shutdown: a pass in its
        worker thread cannot be interrupted, and it uses the engine)."""
        while self._in_flight:
            await asyncio.gather(*self._in_flight.values(), return_exceptions=True)

    async def _sync(self, org_id: str) -> None:
        assert self._sync_org is not None
        self._last_started[org_id] = time.monotonic()
        self.syncs_started += 1
        try:
            await anyio.to_thread.run_sync(self._sync_org, org_id, limiter=self._pass_threads)
        except Exception as error:
            self._failures[org_id] = SyncFailure(self._clock(), type(error).__name__)
            logger.warning(
                "sync of org %s failed (%s); serving the mirror", org_id, type(error).__name__
            )
        else:
            self._failures.pop(org_id, None)
        finally:
            self._in_flight.pop(org_id, None)


def sync_error(org_pass: SyncState | None, failure: SyncFailure | None) -> str | None:
    """The error `syncStatus` shows: the latest failure of a pass of the org, None as soon as
    any later pass (background, CLI or request-time) succeeded. `org_pass` is the org's
    SyncState row, which every pass writes and a success clears; `failure` is the request-time
    failure remembered in memory (it also covers what never reached the store), compared
    with the time of the org's last successful pass."""
    stored = org_pass.last_error if org_pass is not None else None
    if failure is None:
        return stored
    last_success = org_pass.last_success_at if org_pass is not None else None
    if last_success is not None and last_success >= failure.at:
        return stored  # a pass succeeded since: None, unless a still later one failed
    stored_at = org_pass.last_attempt_at if org_pass is not None else None
    if stored is not None and stored_at is not None and stored_at > failure.at:
        return stored  # a later pass failed too: its own message
    return f"sync failed at {failure.at.isoformat()}: {failure.message}"
