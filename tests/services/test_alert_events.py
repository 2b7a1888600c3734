"""The in-process broker: delivery across threads, one org's events to its subscribers only,
a subscriber that falls behind is cut off (not the publisher blocked), events survive JSON
(what a shared broker sends)."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime

import pytest

from rules.process import AlertChangeKind
from services import alert_events
from services.alert_events import AlertChangeEvent, LocalBroker, SubscriberTooSlow

pytestmark = [pytest.mark.anyio, pytest.mark.sqlite_only]


def _event(org_id: str = "00D000000000001AAA", n: int = 0) -> AlertChangeEvent:
    return AlertChangeEvent(
        org_id=org_id,
        change=AlertChangeKind.OPENED,
        alert_id=f"alert_{n:020d}",
        opportunity_id="006000000000001AAA",
        owner_id="005000000000001AAA",
        at=datetime(2026, 3, 1, 12, tzinfo=UTC),
    )


def test_an_event_survives_its_json_form() -> None:
    event = _event()
    assert AlertChangeEvent.from_json(event.to_json()) == event


async def test_events_published_from_another_thread_reach_only_their_orgs_subscribers() -> None:
    broker = LocalBroker()
    assert not broker.listening("00D000000000001AAA")
    async with (
        broker.subscribe("00D000000000001AAA") as mine,
        broker.subscribe("00D000000000002AAA") as other,
    ):
        assert broker.listening("00D000000000001AAA")
        publisher = threading.Thread(
            target=broker.publish, args=([_event(n=1), _event("00D000000000002AAA", n=2)],)
        )
        publisher.start()
        publisher.join()
        assert (await asyncio.wait_for(anext(mine), 5)).alert_id == _event(n=1).alert_id
        assert (await asyncio.wait_for(anext(other), 5)).org_id == "00D000000000002AAA"
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(anext(mine), 0.1)
    assert not broker.listening("00D000000000001AAA")


async def test_a_subscriber_that_falls_behind_is_cut_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(alert_events, "SUBSCRIBER_BACKLOG", 3)
    broker = LocalBroker()
    async with broker.subscribe("00D000000000001AAA") as events:
        broker.publish([_event(n=n) for n in range(10)])  # never blocks
        await asyncio.sleep(0.05)  # the deliveries run on this loop
        received = []
        with pytest.raises(SubscriberTooSlow):
            async for event in events:
                received.append(event)
        assert len(received) == 2  # what fitted before the end marker
