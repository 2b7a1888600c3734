"""Live alert updates: the events an evaluation pass (or a person's snooze or dismiss) makes,
and the broker that carries them to `alertsChanged` subscribers.

An event says which alert changed how (`AlertChangeKind`), on which opportunity, and who owns
that opportunity, so a subscriber drops what it may not see without a query. Events are
published after the write that made them is committed (a subscriber that reads the alert
sees the change), from any thread: passes run in worker threads.

`AlertBroker` is the interface; `LocalBroker` serves one API process (the embedded default).
Several processes serving the same orgs need a shared broker: one that publishes
`AlertChangeEvent.to_json()` on a channel per org (Redis pub/sub, `alert_channel(org_id)`)
and feeds what it receives, `AlertChangeEvent.from_json`, to the same subscriptions. Nothing
is kept for a subscriber that is not connected: a client that reconnects reads its to-do list
again, then follows the updates.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Engine

from rules.process import AlertChangeKind, AlertEventKind
from store.alert_feed import opportunity_owners
from store.evaluation_writes import StoredAlertEvent

# Events a subscriber may fall behind by before it is cut off (its client re-reads).
SUBSCRIBER_BACKLOG = 1_000


@dataclass(frozen=True)
class AlertChangeEvent:
    org_id: str
    change: AlertChangeKind
    alert_id: str
    opportunity_id: str
    owner_id: str | None  # None: the opportunity is not in the mirror (any more)
    at: datetime

    def to_json(self) -> str:
        return json.dumps(
            {
                "org_id": self.org_id,
                "change": self.change.name,
                "alert_id": self.alert_id,
                "opportunity_id": self.opportunity_id,
                "owner_id": self.owner_id,
                "at": self.at.isoformat(),
            }
        )

    @classmethod
    def from_json(cls, text: str) -> AlertChangeEvent:
        data: dict[str, Any] = json.loads(text)
        return cls(
            org_id=data["org_id"],
            change=AlertChangeKind[data["change"]],
            alert_id=data["alert_id"],
            opportunity_id=data["opportunity_id"],
            owner_id=data["owner_id"],
            at=datetime.fromisoformat(data["at"]),
        )


def alert_channel(org_id: str) -> str:
    """The pub/sub channel of an org's events, for a shared broker."""
    return f"dealpulse:alerts:{org_id}"


class SubscriberTooSlow(Exception):
    """The subscriber fell SUBSCRIBER_BACKLOG events behind: its subscription ends."""


class AlertBroker(Protocol):
    def listening(self, org_id: str) -> bool:
        """Whether anyone follows the org (a publisher skips building events otherwise)."""
        ...

    def publish(self, events: Sequence[AlertChangeEvent]) -> None:
        """Deliver `events` to the subscribers of their orgs (any thread; never blocks)."""
        ...

    def subscribe(
        self, org_id: str
    ) -> AbstractAsyncContextManager[AsyncIterator[AlertChangeEvent]]:
        """The org's events from now on, while the context lasts (on the subscriber's loop)."""
        ...


class _Subscriber:
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.queue: asyncio.Queue[AlertChangeEvent | None] = asyncio.Queue(SUBSCRIBER_BACKLOG)
        self.overflowed = False

    def offer(self, event: AlertChangeEvent) -> None:
        """On the subscriber's loop: queue `event`, or end the subscription if it is full."""
        if self.overflowed:
            return
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            self.overflowed = True
            self.queue.get_nowait()  # room for the end marker
            self.queue.put_nowait(None)

    async def events(self) -> AsyncIterator[AlertChangeEvent]:
        while True:
            event = await self.queue.get()
            if event is None:
                raise SubscriberTooSlow(
                    f"more than {SUBSCRIBER_BACKLOG} alert changes were not read in time: "
                    "read the to-do list again and subscribe anew"
                )
            yield event


class LocalBroker:
    """The in-process broker: each subscriber has a bounded queue on its own event loop."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: dict[str, set[_Subscriber]] = {}

    def listening(self, org_id: str) -> bool:
        with self._lock:
            return bool(self._subscribers.get(org_id))

    def publish(self, events: Sequence[AlertChangeEvent]) -> None:
        for event in events:
            with self._lock:
                subscribers = list(self._subscribers.get(event.org_id, ()))
            for subscriber in subscribers:
                # RuntimeError: its loop has closed, it is leaving anyway
                with suppress(RuntimeError):
                    subscriber.loop.call_soon_threadsafe(subscriber.offer, event)

    @asynccontextmanager
    async def subscribe(self, org_id: str) -> AsyncIterator[AsyncIterator[AlertChangeEvent]]:
        subscriber = _Subscriber(asyncio.get_running_loop())
        with self._lock:
            self._subscribers.setdefault(org_id, set()).add(subscriber)
        try:
            yield subscriber.events()
        finally:
            with self._lock:
                members = self._subscribers.get(org_id, set())
                members.discard(subscriber)
                if not members:
                    self._subscribers.pop(org_id, None)


# The stored lifecycle events people follow; RERENDERED (a wording change) is not one.
_FOLLOWED = {kind.name: AlertChangeKind[kind.name] for kind in AlertEventKind
             if kind.name in AlertChangeKind.__members__}  # fmt: skip


def publish_stored_events(
    engine: Engine, org_id: str, stored: Sequence[StoredAlertEvent], broker: AlertBroker | None
) -> None:
    """Publish what a committed write stored, tagged with each opportunity's owner (one
    statement, and none when nobody follows the org)."""
    followed = [event for event in stored if event.kind.name in _FOLLOWED]
    if broker is None or not followed or not broker.listening(org_id):
        return
    owners = opportunity_owners(engine, org_id, {event.opportunity_id for event in followed})
    broker.publish(
        [
            AlertChangeEvent(
                org_id=org_id,
                change=_FOLLOWED[event.kind.name],
                alert_id=event.alert_id,
                opportunity_id=event.opportunity_id,
                owner_id=owners.get(event.opportunity_id),
                at=event.at,
            )
            for event in followed
        ]
    )
