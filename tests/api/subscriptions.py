"""A real WebSocket client of `alertsChanged` (graphql-transport-ws, the `websockets`
client) against the app served by uvicorn in a background thread."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Any

import uvicorn
from sqlalchemy import Engine
from websockets.asyncio.client import ClientConnection, connect

from api.app import create_app
from auth.dev_tokens import issue_dev_token
from services.orgs import OrgRefresher
from store.models import SfUser
from tests.devorg_server import free_port
from tests.graphql_client import make_settings

PROTOCOL = "graphql-transport-ws"
SUBSCRIPTION = """subscription($owner: ID) { alertsChanged(ownerId: $owner) {
  change alert { id status } opportunity { id name } } }"""


@dataclass
class Served:
    url: str
    refresher: OrgRefresher
    settings: Any

    def token(self, user: SfUser, scopes: list[str] | None = None) -> str:
        return issue_dev_token(self.settings, user.org_id, user.id, scopes=scopes)


@contextmanager
def served(engine: Engine, **overrides: Any) -> Iterator[Served]:
    """The API over real HTTP (uvicorn in a thread); `overrides` of tests.graphql_client's
    settings."""
    settings = make_settings(**overrides)
    refresher = OrgRefresher(engine, settings)
    app = create_app(
        settings, engine=engine, evaluate=refresher.evaluate, alert_events=refresher.alert_events
    )
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", ws="websockets-sansio"
        )
    )
    thread = threading.Thread(target=server.run, name="dealpulse-api", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert thread.is_alive(), "the API did not start"
        assert time.monotonic() < deadline, "the API did not start in time"
        time.sleep(0.02)
    try:
        yield Served(f"ws://127.0.0.1:{port}/graphql", refresher, settings)
    finally:
        server.should_exit = True
        thread.join(10)
        refresher.close()


async def next_message(ws: ClientConnection) -> dict[str, Any]:
    raw = await asyncio.wait_for(ws.recv(), timeout=10)
    message: dict[str, Any] = json.loads(raw)
    return message


@asynccontextmanager
async def subscribed(
    api: Served,
    user: SfUser,
    *,
    owner: str | None = None,
    in_header: bool = False,
    scopes: list[str] | None = None,
) -> AsyncIterator[ClientConnection]:
    """A connection acknowledged and subscribed (operation id "1"), with a token of `scopes`
    (None: all the user's profile allows)."""
    bearer = f"Bearer {api.token(user, scopes)}"
    headers = {"Authorization": bearer} if in_header else None
    async with connect(api.url, subprotocols=[PROTOCOL], additional_headers=headers) as ws:  # type: ignore[list-item]
        init: dict[str, Any] = {"type": "connection_init"}
        if not in_header:
            init["payload"] = {"Authorization": bearer}
        await ws.send(json.dumps(init))
        assert (await next_message(ws))["type"] == "connection_ack"
        payload = {"query": SUBSCRIPTION, "variables": {"owner": owner}}
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
        yield ws


async def changes(ws: ClientConnection, count: int) -> list[dict[str, Any]]:
    changes = []
    while len(changes) < count:
        message = await next_message(ws)
        assert message["type"] == "next", message
        assert "errors" not in message["payload"], message
        changes.append(message["payload"]["data"]["alertsChanged"])
    return changes


async def subscribed_listening(api: Served, org_id: str) -> None:
    """Wait until the broker has the subscription (subscribe is asynchronous)."""
    deadline = time.monotonic() + 10
    while not api.refresher.alert_events.listening(org_id):
        assert time.monotonic() < deadline, "the subscription never registered"
        await asyncio.sleep(0.02)
