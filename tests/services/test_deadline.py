"""The request-time pass has a deadline. With Salesforce slow (devorg's latency fault), a
request answers from the mirror within the deadline, stale, while the pass goes on in the
background and completes later; concurrent requests join it and wait at most the deadline
too, /healthz does not wait at all, and a background full pass holding the org's pass lock
does not hold requests either."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime
from typing import Any, TypeVar

import pytest
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from services.orgs import OrgRefresher
from store import queries
from tests.api.test_graphql_api_calls import admin_of, make_stale
from tests.devorg_server import RunningDevorg
from tests.graphql_client import GraphQLClient, graphql_client

pytestmark = [pytest.mark.anyio, pytest.mark.sqlite_only]

DEADLINE = 0.5
LATENCY_MS = 2000  # per Salesforce API call: well past the deadline
STATUS = "{ syncStatus { syncedAt stale lastError } }"
T = TypeVar("T")


async def timed(awaitable: Awaitable[T]) -> tuple[float, T]:
    started = time.monotonic()
    result = await awaitable
    return time.monotonic() - started, result


async def synced_after(engine: Engine, org_id: str, after: datetime) -> datetime:
    """Poll until a pass that started after `after` has completed; its start."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        synced_at = await run_in_threadpool(queries.org_synced_at, engine, org_id)
        if synced_at is not None and synced_at > after:
            return synced_at
        await asyncio.sleep(0.05)
    raise AssertionError("the sync pass never completed")


async def status(gql: GraphQLClient, devorg: RunningDevorg, engine: Engine) -> dict[str, Any]:
    data = await gql.data(STATUS, as_user=admin_of(engine, devorg))
    return dict(data["syncStatus"])


def client_with_deadline(
    engine: Engine, refresher: OrgRefresher
) -> AbstractAsyncContextManager[GraphQLClient]:
    return graphql_client(
        engine,
        sync_org=refresher.hot,
        staleness_seconds=30,
        request_sync_deadline_seconds=DEADLINE,
    )


def stale_mirror(engine: Engine, org_id: str) -> datetime:
    make_stale(engine, org_id)
    synced_at = queries.org_synced_at(engine, org_id)
    assert synced_at is not None
    return synced_at


async def test_a_slow_salesforce_is_answered_from_the_mirror_within_the_deadline(
    store_engine: Engine, devorg_faults: RunningDevorg, refresher: OrgRefresher
) -> None:
    org_id = devorg_faults.seed.org_id
    stale_at = stale_mirror(store_engine, org_id)
    gateway = refresher.gateway(org_id)
    calls_before = gateway.api_calls
    devorg_faults.control("PUT", "faults", {"latency_ms": LATENCY_MS})
    async with client_with_deadline(store_engine, refresher) as gql:
        waited, first = await timed(status(gql, devorg_faults, store_engine))
        assert waited < DEADLINE + 1
        assert first == {"syncedAt": stale_at.isoformat(), "stale": True, "lastError": None}

        # The pass is still running: more requests join it, none waits past the deadline,
        # and the event loop is free meanwhile (/healthz answers at once).
        waiting = [
            asyncio.ensure_future(timed(status(gql, devorg_faults, store_engine))) for _ in range(5)
        ]
        health_wait, health = await timed(gql.http.get("/healthz"))
        answers = await asyncio.gather(*waiting)
        assert health.status_code == 200
        assert health_wait < DEADLINE
        assert all(waited < DEADLINE + 1 for waited, _ in answers)
        assert all(answer["stale"] is True for _, answer in answers)

        synced_at = await synced_after(store_engine, org_id, stale_at)
        await gql.app.state.freshness.wait_idle()
        assert gateway.api_calls - calls_before == 1, "one hot pass, shared by every request"
        devorg_faults.reset_faults()
        fresh = await status(gql, devorg_faults, store_engine)
    assert fresh == {"syncedAt": synced_at.isoformat(), "stale": False, "lastError": None}


async def test_a_request_does_not_wait_for_a_background_pass_holding_the_org_lock(
    store_engine: Engine, devorg_faults: RunningDevorg, refresher: OrgRefresher
) -> None:
    org_id = devorg_faults.seed.org_id
    stale_at = stale_mirror(store_engine, org_id)
    devorg_faults.control("PUT", "faults", {"latency_ms": LATENCY_MS // 2})
    # The scheduler's full pass (two composite calls): it holds the org's pass lock throughout.
    started = datetime.now(UTC)
    background = asyncio.ensure_future(run_in_threadpool(refresher.refresh, org_id, "full"))
    async with client_with_deadline(store_engine, refresher) as gql:
        while not await run_in_threadpool(attempt_started_after, store_engine, org_id, started):
            await asyncio.sleep(0.02)  # the full pass holds the lock
        waited, answer = await timed(status(gql, devorg_faults, store_engine))
        assert waited < DEADLINE + 1
        assert answer == {"syncedAt": stale_at.isoformat(), "stale": True, "lastError": None}
        full = await background
        assert full.sync.ok
        # The request's hot pass then runs (it was asked after the full pass started).
        await synced_after(store_engine, org_id, full.sync.started_at)
        await gql.app.state.freshness.wait_idle()


def attempt_started_after(engine: Engine, org_id: str, after: datetime) -> bool:
    states = queries.sync_states(engine, org_id).objects
    return any(s.last_attempt_at is not None and s.last_attempt_at > after for s in states)
