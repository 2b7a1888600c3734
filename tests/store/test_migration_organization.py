"""Migration 0005 (the mirrored Organization: the org's time zone and currency) on a database
that already holds a connected org, on SQLite and PostgreSQL: the org survives, the table comes
empty (the next full pass fills it), and downgrading removes it again."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Connection, inspect, text

from store.migrate import alembic_config
from tests.store_backends import empty_engine


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Connection]:
    with empty_engine(request.param, tmp_path) as engine, engine.connect() as connection:
        yield connection


def test_0005_adds_the_organization_table_beside_existing_orgs(database: Connection) -> None:
    config = alembic_config("unused://")
    config.attributes["connection"] = database
    command.upgrade(config, "0003")
    database.execute(
        text(
            "INSERT INTO org (id, name, instance_url, api_version, auth_flow, client_id, "
            "is_devorg, created_at) VALUES (:id, 'Old org', 'https://x', '59.0', 'jwt', 'c', "
            ":devorg, :at)"
        ),
        {"id": "00D000000000001AAA", "devorg": False, "at": datetime(2026, 1, 1, tzinfo=UTC)},
    )
    database.commit()
    command.upgrade(config, "0005")
    database.commit()
    assert "organization" in inspect(database).get_table_names()
    assert database.execute(text("SELECT count(*) FROM organization")).scalar_one() == 0
    assert database.execute(text("SELECT name FROM org")).scalar_one() == "Old org"
    database.execute(
        text(
            "INSERT INTO organization (org_id, id, time_zone_sid_key, default_currency_iso_code) "
            "VALUES ('00D000000000001AAA', '00D000000000001AAA', 'America/Los_Angeles', 'USD')"
        )
    )
    database.commit()
    command.downgrade(config, "0003")
    database.commit()
    assert "organization" not in inspect(database).get_table_names()
    assert database.execute(text("SELECT name FROM org")).scalar_one() == "Old org"
