"""Freshness: one sync per stale org however many requests wait for it; none when fresh;
a failing sync still serves the mirror and says how old it is."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import UTC, datetime, timedelta

import anyio.to_thread
import pytest
from sqlalchemy import Engine

from store.engine import session_scope
from store.models import SyncState
from tests import factories as f
from tests.graphql_client import graphql_client

pytestmark = [pytest.mark.anyio, pytest.mark.sqlite_only]

LIST = "{ opportunities(first: 5) { totalCount edges { node { id syncedAt } } } }"


class FakeSync:
    """Stands in for services.refresh: marks the org synced now, slowly."""

    def __init__(self, engine: Engine, *, fail: bool = False, delay: float = 0.2) -> None:
        self.engine, self.fail, self.delay = engine, fail, delay
        self.calls = 0
        self.lock = threading.Lock()

    def __call__(self, org_id: str) -> None:
        with self.lock:
            self.calls += 1
        time.sleep(self.delay)
        if self.fail:
            raise ConnectionError("https://x.my.salesforce.com unreachable, sid=00Dxx!secret")
        with session_scope(self.engine) as session:
            state = session.get(SyncState, (org_id, "_org"))
            assert state is not None
            state.last_success_at = datetime.now(UTC)


def _stale(engine: Engine) -> datetime:
    at = datetime.now(UTC) - timedelta(minutes=10)
    f.synced(engine, f.ORG_A, at)
    return at


async def test_concurrent_stale_requests_share_one_sync(store_engine: Engine) -> None:
    team = f.team(store_engine)
    f.opportunity(store_engine, team.reps[0])
    _stale(store_engine)
    sync = FakeSync(store_engine)
    async with graphql_client(store_engine, sync_org=sync, staleness_seconds=30) as client:
        responses = await asyncio.gather(
            *(client.post(LIST, as_user=team.reps[i % 4]) for i in range(20))
        )
        assert all(r.status_code == 200 and "errors" not in r.json() for r in responses)
        assert sync.calls == 1
        # Now fresh: no further sync.
        await client.post(LIST, as_user=team.reps[0])
    assert sync.calls == 1
    synced = responses[0].json()["data"]["opportunities"]["edges"][0]["node"]["syncedAt"]
    assert datetime.fromisoformat(synced) > datetime.now(UTC) - timedelta(minutes=1)


async def test_a_fresh_mirror_causes_no_sync(store_engine: Engine) -> None:
    team = f.team(store_engine)
    f.synced(store_engine, f.ORG_A, datetime.now(UTC))
    sync = FakeSync(store_engine)
    async with graphql_client(store_engine, sync_org=sync, staleness_seconds=30) as client:
        for _ in range(3):
            await client.data(LIST, as_user=team.reps[0])
    assert sync.calls == 0


async def test_a_failing_sync_still_serves_the_mirror(store_engine: Engine) -> None:
    team = f.team(store_engine)
    deal = f.opportunity(store_engine, team.reps[0])
    stale_at = _stale(store_engine)
    sync = FakeSync(store_engine, fail=True, delay=0.05)
    async with graphql_client(store_engine, sync_org=sync, staleness_seconds=30) as client:
        data = await client.data(
            "{ opportunities { edges { node { id syncedAt } } } "
            "syncStatus { syncedAt stale lastError } }",
            as_user=team.reps[0],
        )
        # An outage is not retried on every request (no timeout per request).
        await client.data(LIST, as_user=team.reps[0])
    assert sync.calls == 1
    [edge] = data["opportunities"]["edges"]
    assert edge["node"] == {"id": deal.id, "syncedAt": stale_at.isoformat()}
    status = data["syncStatus"]
    assert status["stale"] is True
    assert status["syncedAt"] == stale_at.isoformat()
    assert "ConnectionError" in status["lastError"]
    assert "secret" not in status["lastError"]


async def test_passes_hanging_in_many_orgs_never_starve_another_orgs_requests(
    store_engine: Engine,
) -> None:
    """More orgs than the default thread pool has threads hang in their request-time pass (a
    slow Salesforce each): their requests answer at the deadline, and a request of a fresh
    org answers at once, its store reads never waiting for a thread."""
    release = threading.Event()
    hanging = anyio.to_thread.current_default_thread_limiter().total_tokens + 5
    stale_orgs = [f"00D9{n:011d}AAA" for n in range(hanging)]
    stale_at = datetime.now(UTC) - timedelta(minutes=10)
    for org_id in stale_orgs:
        f.org(store_engine, org_id, with_stages=False)
        f.synced(store_engine, org_id, stale_at)
    team = f.team(store_engine)
    f.synced(store_engine, f.ORG_A, datetime.now(UTC))
    async with graphql_client(
        store_engine,
        sync_org=lambda _org_id: release.wait(60),
        staleness_seconds=30,
        request_sync_deadline_seconds=0.2,
    ) as client:
        freshness = client.app.state.freshness
        try:
            answered = await asyncio.wait_for(
                asyncio.gather(*(freshness.ensure_fresh(org_id) for org_id in stale_orgs)), 10
            )
            assert answered == [stale_at] * hanging
            started = time.monotonic()
            await client.data(LIST, as_user=team.reps[0])
            assert time.monotonic() - started < 1
        finally:
            release.set()
            await freshness.wait_idle()
