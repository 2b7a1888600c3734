"""A seeded devorg served by uvicorn on a free port, in a background thread, for tests."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import uvicorn
from simple_salesforce import Salesforce

from devorg.app import create_app
from devorg.catalog import API_VERSION
from devorg.db import OrgDatabase
from devorg.seed import SeedResult, seed_org
from devorg.settings import DevorgSettings
from salesforce.devorg_transport import DevorgSession
from tests.secret_guard import register_pem, register_secret


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class RunningDevorg:
    url: str
    database: Path
    seed: SeedResult
    settings: DevorgSettings
    server: uvicorn.Server
    thread: threading.Thread
    http: requests.Session = field(default_factory=requests.Session)

    @property
    def api(self) -> str:
        return f"{self.url}/services/data/v{API_VERSION}"

    def sf(self, role: str = "admin") -> Salesforce:
        """A simple-salesforce client logged in as a demo user (OAuth password flow)."""
        user = self.seed.users[role]
        return Salesforce(
            username=user.username,
            password=user.password,
            consumer_key=self.seed.client_id,
            consumer_secret=self.seed.client_secret,
            session=DevorgSession(self.url),
            version=API_VERSION,
        )

    def control(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = self.http.request(
            method,
            f"{self.url}/_devorg/{path}",
            json=body,
            headers={"X-Devorg-Control": self.seed.client_secret},
            timeout=10,
        )
        response.raise_for_status()
        return response.json() if response.content else None

    def reset_faults(self) -> None:
        self.control(
            "PUT", "faults",
            {"latency_ms": 0, "latency_after_ms": 0, "latency_after_next": 0, "fail_next": 0,
             "error_rate": 0},
        )  # fmt: skip

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def start_devorg(
    directory: Path,
    *,
    opportunities: int = 600,
    seed: int = 11,
    before_serving: Callable[[Path], None] | None = None,
    **settings: Any,
) -> RunningDevorg:
    """Seed an org into `directory` and serve it; `before_serving` may change the database
    file first (to make it look like a file an older devorg wrote, say)."""
    database = directory / "devorg.sqlite3"
    db = OrgDatabase(database)
    try:
        seeded = seed_org(db, opportunities=opportunities, seed=seed)
    finally:
        db.close()
    register_secret(
        seeded.client_secret, *(user.password for user in seeded.users.values()), session=True
    )
    register_pem(seeded.jwt_private_key_pem)
    if before_serving is not None:
        before_serving(database)
    port = free_port()
    config = DevorgSettings(database=database, port=port, **settings)
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(config), host="127.0.0.1", port=port, log_level="warning", ws="none"
        )
    )
    thread = threading.Thread(target=server.run, name="devorg", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("devorg did not start")
        time.sleep(0.02)
    return RunningDevorg(f"http://127.0.0.1:{port}", database, seeded, config, server, thread)
