"""`alertsChanged` over a real WebSocket (graphql-transport-ws, the `websockets` client)
against the app served by uvicorn: a subscriber sees the alerts an evaluation pass opens and
resolves on its own opportunities, never another team's; authentication in connection_init
or on the upgrade request; a refused token closes the connection; ownerId is checked."""

from __future__ import annotations

import asyncio
import json
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, update
from sqlmodel import col
from starlette.concurrency import run_in_threadpool
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from store.models import Opportunity, SfUser
from tests import factories as f
from tests import process_factories as pf
from tests.api.alert_api import org_with_describe
from tests.api.subscriptions import (
    PROTOCOL,
    changes,
    next_message,
    served,
    subscribed,
    subscribed_listening,
)

pytestmark = [pytest.mark.anyio, pytest.mark.sqlite_only]


def _past_due(engine: Engine, owner: SfUser, name: str) -> Any:
    return f.opportunity(
        engine, owner, name=name, close_date=date(2026, 2, 1), fields={"CloseDate": "2026-02-01"}
    )


async def test_a_rep_sees_its_own_alerts_open_and_resolve_and_never_another_teams(
    store_engine: Engine,
) -> None:
    team = org_with_describe(store_engine)
    east, west = team.reps[0], team.reps[2]
    mine = _past_due(store_engine, east, "East deal")
    _past_due(store_engine, west, "West deal")
    pf.rule(store_engine, f.ORG_A)
    with served(store_engine) as api:
        async with subscribed(api, east) as ws:
            await subscribed_listening(api, f.ORG_A)
            report = await run_in_threadpool(api.refresher.evaluate, f.ORG_A, now=f.NOW)
            assert report.alerts_opened == 2, report
            [opened] = await changes(ws, 1)
            assert opened["change"] == "OPENED"
            assert opened["alert"]["status"] == "OPEN"
            assert opened["opportunity"] == {"id": mine.id, "name": "East deal"}
            # the close date moves: the next pass resolves it
            later = f.NOW + timedelta(days=1)
            with store_engine.begin() as connection:
                connection.execute(
                    update(Opportunity)
                    .where(col(Opportunity.id) == mine.id)
                    .values(close_date=date(2026, 12, 31), fields={"CloseDate": "2026-12-31"})
                )
            await run_in_threadpool(
                api.refresher.evaluate, f.ORG_A, opportunity_ids=[mine.id], now=later
            )
            [resolved] = await changes(ws, 1)
            assert resolved["change"] == "RESOLVED"
            assert resolved["alert"] == {"id": opened["alert"]["id"], "status": "RESOLVED"}
            # nothing of the West deal ever arrived: the queue holds nothing more
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(ws.recv(), timeout=0.3)


async def test_a_manager_follows_one_rep_below_it_and_is_refused_another_teams(
    store_engine: Engine,
) -> None:
    team = org_with_describe(store_engine)
    manager, east, east2, west = team.managers[0], team.reps[0], team.reps[1], team.reps[2]
    followed = _past_due(store_engine, east, "East deal")
    _past_due(store_engine, east2, "Other East deal")
    pf.rule(store_engine, f.ORG_A)
    with served(store_engine) as api:
        async with subscribed(api, manager, owner=east.id, in_header=True) as ws:
            await subscribed_listening(api, f.ORG_A)
            await run_in_threadpool(api.refresher.evaluate, f.ORG_A, now=f.NOW)
            [opened] = await changes(ws, 1)
            assert opened["opportunity"]["id"] == followed.id
        async with subscribed(api, manager, owner=west.id) as ws:
            # an execution error of a subscription: a `next` with errors, then `complete`
            message = await next_message(ws)
            assert message["type"] == "next", message
            [error] = message["payload"]["errors"]
            assert error["extensions"]["code"] == "FORBIDDEN"
            assert (await next_message(ws))["type"] == "complete"


async def test_a_token_without_alerts_read_cannot_subscribe(store_engine: Engine) -> None:
    team = org_with_describe(store_engine)
    with served(store_engine) as api:
        async with subscribed(api, team.reps[0], scopes=["pipeline:read"]) as ws:
            # refused before the subscription starts: graphql-transport-ws's `error` message
            message = await next_message(ws)
            assert message["type"] == "error", message
            [error] = message["payload"]
            assert error["extensions"] == {"code": "INSUFFICIENT_SCOPE", "scope": "alerts:read"}
        assert not api.refresher.alert_events.listening(f.ORG_A)


@pytest.mark.parametrize(
    "payload",
    [
        {"Authorization": "Bearer not-a-token"},
        {"Authorization": 42},
        {},
    ],
    ids=["forged", "not-a-string", "none"],
)
async def test_a_connection_without_a_valid_token_is_closed(
    store_engine: Engine, payload: dict[str, Any]
) -> None:
    org_with_describe(store_engine)
    with served(store_engine) as api:
        async with connect(api.url, subprotocols=[PROTOCOL]) as ws:  # type: ignore[list-item]
            await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
            with pytest.raises(ConnectionClosed) as closed:
                await next_message(ws)
            assert closed.value.rcvd is not None
            assert closed.value.rcvd.code == 4403
        assert not api.refresher.alert_events.listening(f.ORG_A)
