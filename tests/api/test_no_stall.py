"""No query stalls another request (issue 11): an execution that holds its thread for a second
(a resolver that blocks, as resolving thousands of objects holds the CPU) runs on a loop of its
own, so /healthz, a small query and a mutation's freshness check are answered while it runs;
a stale org's sync, which lives on the request's loop, still runs once for requests that all
find it stale. Order, not timing: each answer arrives before the blocking resolver returns."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
import strawberry
from sqlalchemy import Engine

from schema.query import Query
from schema.schema import build_schema
from tests import factories as f
from tests.graphql_client import graphql_client

pytestmark = [pytest.mark.anyio, pytest.mark.sqlite_only]

STARTED, DONE = threading.Event(), threading.Event()


@strawberry.type(name="Query")
class BlockingQuery(Query):
    @strawberry.field(description="Blocks its thread (test only).")
    def block(self, seconds: float) -> bool:
        STARTED.set()
        time.sleep(seconds)  # a synchronous resolver: it holds the loop that runs it
        DONE.set()
        return True


async def test_a_blocked_execution_stalls_nothing_else(store_engine: Engine) -> None:
    team = f.team(store_engine)
    STARTED.clear()
    DONE.clear()
    schema = build_schema(query=BlockingQuery)
    async with graphql_client(store_engine, schema=schema) as client:
        rep = team.reps[0]
        blocked = asyncio.create_task(client.post("{ block(seconds: 2) }", as_user=rep))
        while not STARTED.is_set():
            await asyncio.sleep(0.01)
        health = await client.http.get("/healthz")
        small = await client.post("{ me { accessLevel } }", as_user=rep)
        answered_while_blocked = not DONE.is_set()
        assert (await blocked).json()["data"] == {"block": True}
    assert health.json() == {"status": "ok"}
    assert small.json()["data"] == {"me": {"accessLevel": "REP"}}
    assert answered_while_blocked


async def test_requests_finding_the_org_stale_at_once_sync_it_once(store_engine: Engine) -> None:
    """Executions on loops of their own still share one pass per org (Freshness lives on the
    loop the requests arrive on)."""
    team = f.team(store_engine)
    synced: list[str] = []

    def sync(org_id: str) -> None:
        synced.append(org_id)
        time.sleep(0.3)  # long enough for every request to find it running

    async with graphql_client(store_engine, sync_org=sync, staleness_seconds=0) as client:
        answers = await asyncio.gather(
            *(client.post("{ me { accessLevel } }", as_user=rep) for rep in team.reps)
        )
    assert all(a.json()["data"] == {"me": {"accessLevel": "REP"}} for a in answers)
    assert synced == [f.ORG_A]
