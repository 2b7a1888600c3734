"""The app factory: it refuses an unusable secret key, `dealpulse serve`'s background sync
loop ticks while the app lives, survives a failing tick, and stops with the app, and the
Salesforce gateways the app opened itself are closed when it stops."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import Engine
from starlette.routing import Route

from api.app import create_app
from services import orgs
from services.scheduler import Job, Scheduler
from tests import factories as f
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


class _Gateway:
    """Stands in for salesforce.gateway.Gateway: counts its closes, connects nowhere."""

    def __init__(self, connection: Any, **_options: Any) -> None:
        self.instance_url = connection.instance_url
        self.closes = 0

    def close(self) -> None:
        self.closes += 1


async def test_the_apps_own_gateways_are_closed_at_shutdown(
    store_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    f.org(store_engine)
    monkeypatch.setattr(orgs, "Gateway", _Gateway)
    app = create_app(make_settings(), engine=store_engine)
    [view] = [r.endpoint for r in app.routes if isinstance(r, Route) and r.path == "/graphql"]
    async with app.router.lifespan_context(app):
        gateway = view.gateways(f.ORG_A)  # what a mutation reading Salesforce asks for
        assert isinstance(gateway, _Gateway)
        assert gateway.closes == 0
    assert gateway.closes == 1


async def test_gateways_given_to_the_app_are_the_callers_to_close(store_engine: Engine) -> None:
    f.org(store_engine)
    given = _Gateway(type("Connection", (), {"instance_url": "http://x"})())
    app = create_app(make_settings(), engine=store_engine, gateways=lambda _org: given)
    async with app.router.lifespan_context(app):
        pass
    assert given.closes == 0
