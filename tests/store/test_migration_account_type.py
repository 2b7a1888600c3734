"""0006 adds account.type to a populated mirror and makes the next pass fetch every account
again (incremental sync alone would never fill in the Type of an unchanged account)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Connection, inspect, text

from store.migrate import alembic_config
from tests.store_backends import empty_engine

T0 = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def connection(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Connection]:
    with empty_engine(request.param, tmp_path) as engine, engine.connect() as connection:
        yield connection


def _migrate(connection: Connection, direction: str, revision: str) -> None:
    config = alembic_config("unused://")
    config.attributes["connection"] = connection
    getattr(command, direction)(config, revision)
    connection.commit()


def test_account_type_is_added_and_accounts_are_fetched_again(connection: Connection) -> None:
    _migrate(connection, "upgrade", "0003")
    connection.execute(text(
        "INSERT INTO org (id, name, instance_url, api_version, auth_flow, client_id, is_devorg)"
        " VALUES ('00DA', 'A', 'https://a', '59.0', 'jwt', 'c', false)"
    ))  # fmt: skip
    connection.execute(text(
        "INSERT INTO account (org_id, id, name, is_deleted) VALUES ('00DA', '001A', 'Acme', false)"
    ))  # fmt: skip
    for sobject in ("Account", "User"):
        connection.execute(
            text(
                "INSERT INTO sync_state (org_id, sobject, watermark, records_synced)"
                " VALUES ('00DA', :sobject, :at, 1)"
            ),
            {"sobject": sobject, "at": T0.replace(tzinfo=None)},
        )
    connection.commit()

    _migrate(connection, "upgrade", "0006")
    account = connection.execute(text("SELECT name, type FROM account")).one()
    assert tuple(account) == ("Acme", None)
    rows = connection.execute(text("SELECT sobject, watermark FROM sync_state"))
    watermarks = {row.sobject: row.watermark for row in rows}
    assert str(watermarks["Account"]).startswith("2000-01-01")  # re-read, deletions included
    assert watermarks["User"] is not None

    _migrate(connection, "downgrade", "-1")
    assert "type" not in {c["name"] for c in inspect(connection).get_columns("account")}
    assert connection.execute(text("SELECT name FROM account")).scalar_one() == "Acme"
