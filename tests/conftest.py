from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.devorg_server import RunningDevorg, start_devorg


@pytest.fixture(scope="session")
def devorg(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDevorg]:
    """One seeded devorg for the session. Tests that write create their own records."""
    running = start_devorg(tmp_path_factory.mktemp("devorg"), api_daily_limit=1_000_000)
    yield running
    running.stop()


@pytest.fixture
def devorg_faults(devorg: RunningDevorg) -> Iterator[RunningDevorg]:
    """The session devorg, with injected faults and API usage reset after the test."""
    yield devorg
    devorg.reset_faults()
    devorg.control("PUT", "api-usage", {"used": 0})
