from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from auth.signing_keys import forget_key_ring
from services.orgs import OrgRefresher
from store.mirror import Mirror
from tests.devorg_server import RunningDevorg, start_devorg
from tests.graphql_client import make_settings
from tests.secret_guard import guard
from tests.store_backends import backend_engine, empty_all_tables


@pytest.fixture(autouse=True)
def no_secret_in_logs() -> Iterator[None]:
    """Fails a test whose log records hold a known secret (tests/secret_guard.py)."""
    yield from guard()


@pytest.fixture(scope="session")
def devorg(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDevorg]:
    """One seeded devorg for the session. Tests that write create their own records."""
    running = start_devorg(tmp_path_factory.mktemp("devorg"), api_daily_limit=1_000_000)
    yield running
    running.stop()


@pytest.fixture
def restore_rules(devorg: RunningDevorg) -> Iterator[sqlite3.Connection]:
    """The session devorg's database, its validation rules' messages and activity put back
    after the test (the import tests edit or deactivate them)."""
    conn = sqlite3.connect(devorg.database, isolation_level=None)
    saved = conn.execute('SELECT "Id", "ErrorMessage", "Active" FROM "ValidationRule"').fetchall()
    yield conn
    conn.executemany(
        'UPDATE "ValidationRule" SET "ErrorMessage" = ?, "Active" = ? WHERE "Id" = ?',
        [(message, active, rule_id) for rule_id, message, active in saved],
    )
    conn.close()


@pytest.fixture
def devorg_faults(devorg: RunningDevorg) -> Iterator[RunningDevorg]:
    """The session devorg, with injected faults and API usage reset after the test."""
    yield devorg
    devorg.reset_faults()
    devorg.control("PUT", "api-usage", {"used": 0})


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def _backend_engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    with backend_engine(request.param, tmp_path_factory.mktemp(request.param)) as engine:
        yield engine


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked `sqlite_only` (in modules whose behaviour does not depend on the database:
    the GraphQL edge, freshness, the scheduler...) keep only their SQLite run of `store_engine`;
    what differs between the databases is tested by the store and sync tests on both, and the
    SQL statement counts per request (tests/api/test_graphql_call_count.py) on both too."""
    dropped = [
        item
        for item in items
        if item.get_closest_marker("sqlite_only")
        and getattr(item, "callspec", None) is not None
        and item.callspec.params.get("_backend_engine") == "postgresql"  # type: ignore[attr-defined]
    ]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [item for item in items if item not in set(dropped)]


@pytest.fixture
def store_engine(_backend_engine: Engine) -> Iterator[Engine]:
    """An engine on SQLite and, in a second run of the test, on PostgreSQL; emptied after (and
    its in-memory signing key ring dropped with the keys)."""
    yield _backend_engine
    empty_all_tables(_backend_engine)
    forget_key_ring(_backend_engine)


@pytest.fixture
def connected_refresher(
    store_engine: Engine, devorg: RunningDevorg, tmp_path: Path
) -> Iterator[OrgRefresher]:
    """The session devorg registered as an org (JWT bearer as its admin), not synced yet."""
    key = tmp_path / "jwt.pem"
    key.write_text(devorg.seed.jwt_private_key_pem)
    Mirror(store_engine, devorg.seed.org_id).ensure_org(
        name="devorg", instance_url=devorg.url, auth_flow="jwt", client_id=devorg.seed.client_id,
        username=devorg.seed.users["admin"].username, private_key_file=str(key), is_devorg=True,
    )  # fmt: skip
    org_refresher = OrgRefresher(store_engine, make_settings())
    yield org_refresher
    org_refresher.close()


@pytest.fixture
def refresher(connected_refresher: OrgRefresher, devorg: RunningDevorg) -> OrgRefresher:
    """The session devorg registered as an org and synced in full."""
    connected_refresher.refresh(devorg.seed.org_id, "full")
    return connected_refresher
