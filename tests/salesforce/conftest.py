"""Fixtures for gateway and sync tests: connections to devorg, a small private devorg whose data
and faults tests may change, and a mirror on each store backend."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from salesforce.gateway import Gateway, RetryPolicy
from salesforce.login import OrgConnection
from store.mirror import Mirror
from tests.devorg_server import RunningDevorg, start_devorg

FAST_RETRY = RetryPolicy(max_attempts=3, base_delay=0.001, max_delay=0.005, timeout=10)


def connection(devorg: RunningDevorg, flow: str = "password", role: str = "admin") -> OrgConnection:
    seed = devorg.seed
    user = seed.users[role]
    common = {"instance_url": devorg.url, "client_id": seed.client_id, "is_devorg": True}
    if flow == "password":
        return OrgConnection(
            auth_flow="password", client_secret=seed.client_secret, username=user.username,
            password=user.password, **common,
        )  # fmt: skip
    if flow == "jwt":
        return OrgConnection(
            auth_flow="jwt", username=user.username, private_key=seed.jwt_private_key_pem,
            **common,
        )  # fmt: skip
    if flow == "client_credentials":
        return OrgConnection(
            auth_flow="client_credentials", client_secret=seed.client_secret, **common
        )
    raise ValueError(flow)


def gateway(devorg: RunningDevorg, flow: str = "password", **kwargs: object) -> Gateway:
    return Gateway(connection(devorg, flow), retry=FAST_RETRY, **kwargs)  # type: ignore[arg-type]


def new_mirror(engine: Engine, devorg: RunningDevorg) -> Mirror:
    mirror = Mirror(engine, devorg.seed.org_id)
    mirror.ensure_org(
        name="Test org", instance_url=devorg.url, auth_flow="password",
        client_id=devorg.seed.client_id, is_devorg=True,
    )  # fmt: skip
    return mirror


@pytest.fixture(scope="session")
def small_devorg(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDevorg]:
    """A private devorg with 40 opportunities: tests may change its data."""
    running = start_devorg(
        Path(tmp_path_factory.mktemp("small-devorg")), opportunities=40, seed=5,
        api_daily_limit=1_000_000,
    )  # fmt: skip
    yield running
    running.stop()


@pytest.fixture
def small(small_devorg: RunningDevorg) -> Iterator[RunningDevorg]:
    """The small devorg, with faults and API usage reset after the test."""
    yield small_devorg
    small_devorg.reset_faults()
    small_devorg.control("PUT", "api-usage", {"used": 0})
