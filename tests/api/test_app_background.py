"""The app factory: it refuses an unusable secret key, and `dealpulse serve`'s background sync
loop ticks while the app lives, survives a failing tick, and stops with the app."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import Engine

from api.app import create_app
from services.scheduler import Job, Scheduler
from tests.graphql_client import make_settings

pytestmark = [pytest.mark.anyio, pytest.mark.sqlite_only]


async def test_background_sync_ticks_survives_failures_and_stops(store_engine: Engine) -> None:
    ticks: list[int] = []

    def tick() -> None:
        ticks.append(len(ticks))
        if len(ticks) == 1:
            raise ConnectionError("Salesforce unreachable")

    scheduler = Scheduler([Job("sync pass", 0.01, tick)])
    app = create_app(make_settings(), engine=store_engine, scheduler=scheduler)
    async with app.router.lifespan_context(app):
        for _ in range(200):
            if len(ticks) >= 3:
                break
            await asyncio.sleep(0.01)
    assert len(ticks) >= 3, "the loop must go on after a failing tick"
    stopped_at = len(ticks)
    await asyncio.sleep(0.05)
    assert len(ticks) == stopped_at


@pytest.mark.parametrize("secret", ["", "too-short"])
def test_the_app_refuses_to_start_without_a_usable_secret_key(
    store_engine: Engine, secret: str
) -> None:
    with pytest.raises(ValueError, match="DEALPULSE_SECRET_KEY"):
        create_app(make_settings(secret_key=secret), engine=store_engine)
