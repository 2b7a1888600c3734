"""The in-process scheduler: each job at its own interval, in a worker thread, until stopped;
and `org_jobs` gives `dealpulse serve` the sync pass and the clock tick at their settings."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from auth.clients import register_client
from services.orgs import OrgRefresher
from services.scheduler import KEY_PURGE_SECONDS, Job, Scheduler, org_jobs
from store.idempotency import KEY_TTL, claim_key
from store.oauth_models import OAuthRevokedToken
from store.write_models import IdempotencyKey
from tests import factories as f
from tests.graphql_client import make_settings

pytestmark = [pytest.mark.anyio, pytest.mark.sqlite_only]


async def test_each_job_runs_at_start_then_at_its_own_interval_off_the_event_loop() -> None:
    loop_thread = threading.get_ident()
    runs: dict[str, list[int]] = {"often": [], "hourly": []}

    def job(name: str) -> Job:
        every = 0.01 if name == "often" else 3600
        return Job(name, every, lambda: runs[name].append(threading.get_ident()))

    scheduler = Scheduler([job("often"), job("hourly")])
    scheduler.start()
    for _ in range(200):
        if len(runs["often"]) >= 3:
            break
        await asyncio.sleep(0.01)
    await scheduler.stop()
    assert len(runs["often"]) >= 3
    assert len(runs["hourly"]) == 1
    assert loop_thread not in runs["often"] + runs["hourly"]
    stopped_at = len(runs["often"])
    await asyncio.sleep(0.05)
    assert len(runs["often"]) == stopped_at


async def test_stop_waits_for_a_run_in_progress() -> None:
    started, release, finished = threading.Event(), threading.Event(), threading.Event()

    def slow() -> None:
        started.set()
        release.wait(10)
        finished.set()

    scheduler = Scheduler([Job("slow", 3600, slow)])
    scheduler.start()
    while not started.is_set():
        await asyncio.sleep(0.01)
    stopping = asyncio.ensure_future(scheduler.stop())
    await asyncio.sleep(0.1)
    assert not stopping.done()  # the run is still in its worker thread
    release.set()
    await asyncio.wait_for(stopping, 5)
    assert finished.is_set()


def test_org_jobs_are_the_sync_pass_the_clock_tick_and_the_key_purge(store_engine: Engine) -> None:
    refresher = OrgRefresher(store_engine, make_settings())
    jobs = org_jobs(refresher, sync_interval_seconds=60, clock_tick_seconds=3600)
    assert [(j.name, j.every_seconds, j.run) for j in jobs] == [
        ("sync pass", 60, refresher.full_all),
        ("clock tick", 3600, refresher.tick_all),
        ("idempotency key purge", KEY_PURGE_SECONDS, refresher.purge_expired_keys),
        ("OAuth purge", KEY_PURGE_SECONDS, refresher.purge_expired_oauth),
        ("signing key rotation", KEY_PURGE_SECONDS, refresher.rotate_signing_key_if_due),
    ]


def test_the_purge_job_deletes_the_keys_expired_now(store_engine: Engine) -> None:
    f.org(store_engine)
    now = datetime.now(UTC)
    for key, claimed in (("old", now - KEY_TTL - timedelta(minutes=1)), ("recent", now)):
        claim_key(store_engine, f.ORG_A, "005000000000001AAA", key, "QUICK_FIX", "d", claimed)
    refresher = OrgRefresher(store_engine, make_settings())
    assert refresher.purge_expired_keys() == 1
    with Session(store_engine) as session:
        assert [row.key for row in session.exec(select(IdempotencyKey)).all()] == ["recent"]


def test_the_purge_job_deletes_the_revocations_of_tokens_expired_anyway(
    store_engine: Engine,
) -> None:
    f.org(store_engine)
    client, _ = register_client(store_engine, org_id=f.ORG_A, name="c", scopes=["pipeline:read"])
    now = datetime.now(UTC)
    for jti, expires in (
        ("expired", now - timedelta(minutes=1)),
        ("live", now + timedelta(hours=1)),
    ):
        f.add(store_engine, OAuthRevokedToken(
            jti=jti, client_id=client.client_id, org_id=f.ORG_A, expires_at=expires, revoked_at=now,
        ))  # fmt: skip
    refresher = OrgRefresher(store_engine, make_settings())
    assert refresher.purge_expired_oauth() == 1
    with Session(store_engine) as session:
        assert [row.jti for row in session.exec(select(OAuthRevokedToken)).all()] == ["live"]
