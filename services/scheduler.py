"""The in-process scheduler of `dealpulse serve` (the embedded default; with several API
processes the same passes run as tasks of a job queue instead, never a home-made distributed
scheduler).

Each job is a blocking function run in a worker thread (never on the event loop): at start,
then `every_seconds` after each run ends (or as long as its `delay()` says then, for a job
whose next time depends on the clock), so a slow run never overlaps itself. A run that
raises is logged and the job goes on at its next time.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool

from services.orgs import OrgRefresher

logger = logging.getLogger(__name__)
# Expired idempotency keys (kept store.idempotency.KEY_TTL) are deleted this often: they answer
# nothing once expired, so the purge only keeps the table small.
KEY_PURGE_SECONDS = 3600.0


@dataclass(frozen=True)
class Job:
    name: str
    every_seconds: float
    run: Callable[[], object]  # blocking
    # How long to wait after a run (blocking: it may read the store); None: every_seconds.
    delay: Callable[[], float] | None = None

    def next_wait(self) -> float:
        return self.every_seconds if self.delay is None else max(0.0, self.delay())


def org_jobs(
    refresher: OrgRefresher,
    *,
    sync_interval_seconds: float,
    clock_tick_seconds: float,
    evaluation_interval_seconds: float | None = None,
) -> list[Job]:
    """For every connected org: the full sync pass, the clock tick, the purges of expired
    idempotency keys and of what OAuth keeps past its use, the signing key's rotation once it
    is old (checked hourly), and (given its interval)
    the evaluation clock, which also runs just after each org's midnight (one org failing
    never stops the others: OrgRefresher logs it and goes on)."""
    jobs = [
        Job("sync pass", sync_interval_seconds, refresher.full_all),
        Job("clock tick", clock_tick_seconds, refresher.tick_all),
        Job("idempotency key purge", KEY_PURGE_SECONDS, refresher.purge_expired_keys),
        Job("OAuth purge", KEY_PURGE_SECONDS, refresher.purge_expired_oauth),
        Job("signing key rotation", KEY_PURGE_SECONDS, refresher.rotate_signing_key_if_due),
    ]
    if evaluation_interval_seconds is not None:
        interval = evaluation_interval_seconds
        jobs.append(
            Job(
                "evaluation",
                interval,
                refresher.evaluate_all,
                delay=lambda: refresher.next_evaluation_delay(interval),
            )
        )
    return jobs


class Scheduler:
    def __init__(self, jobs: Sequence[Job]) -> None:
        self._jobs = list(jobs)
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = asyncio.Event()

    def start(self) -> None:
        """Start every job (call from the event loop, e.g. the app's lifespan)."""
        self._stopping.clear()
        self._tasks = [
            asyncio.create_task(self._run_forever(job), name=f"scheduler: {job.name}")
            for job in self._jobs
        ]

    async def stop(self) -> None:
        """Stop every job, waiting for a run in progress to finish: a worker thread cannot be
        interrupted, and cancelling the task awaiting it would let the run go on writing after
        the app has shut down (and disposed of the engine under it)."""
        self._stopping.set()
        await asyncio.gather(*self._tasks)
        self._tasks = []

    async def _run_forever(self, job: Job) -> None:
        while not self._stopping.is_set():
            try:
                await run_in_threadpool(job.run)
            except Exception as error:
                # Salesforce down or a bug: requests keep being served from the mirror.
                logger.warning("%s failed: %s", job.name, type(error).__name__)
            try:
                wait = await run_in_threadpool(job.next_wait)
            except Exception as error:
                logger.warning("%s: next time unknown (%s)", job.name, type(error).__name__)
                wait = job.every_seconds
            with suppress(TimeoutError):  # the interval, cut short by stop()
                await asyncio.wait_for(self._stopping.wait(), wait)
