"""The Alembic migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, text
from sqlmodel import SQLModel

import store.models  # noqa: F401  (registers the tables)
from store.engine import make_engine
from store.migrate import alembic_config, upgrade
from tests.store_backends import POSTGRES_URL


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Connection]:
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'migrated.sqlite3'}")
        with engine.connect() as connection:
            yield connection
        engine.dispose()
        return
    schema = f"m_{secrets.token_hex(6)}"
    engine = make_engine(POSTGRES_URL)
    with engine.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        connection.execute(text(f'SET search_path TO "{schema}"'))
        connection.commit()
        try:
            yield connection
        finally:
            connection.rollback()
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            connection.commit()
    engine.dispose()


def test_upgrade_head_matches_the_models(empty_database: Connection) -> None:
    config = alembic_config("unused://")
    config.attributes["connection"] = empty_database
    command.upgrade(config, "head")
    empty_database.commit()
    differences = compare_metadata(MigrationContext.configure(empty_database), SQLModel.metadata)
    assert differences == []


def test_upgrade_by_url_is_idempotent(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'twice.sqlite3'}"
    upgrade(url)
    upgrade(url)
    engine = make_engine(url)
    with engine.connect() as connection:
        tables = set(connection.dialect.get_table_names(connection))
    engine.dispose()
    assert set(SQLModel.metadata.tables) <= tables
