"""The Alembic migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, Index
from sqlmodel import SQLModel

import store.models  # noqa: F401  (registers the tables)
from store.engine import make_engine
from store.migrate import alembic_config, upgrade
from tests.store_backends import empty_engine


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Connection]:
    with empty_engine(request.param, tmp_path) as engine, engine.connect() as connection:
        yield connection


def _skip_indexes_for_other_dialects(dialect: str) -> Callable[..., bool]:
    """An `include_object` hook leaving out exactly the indexes declared for other databases
    (`Index(...).ddl_if(dialect=...)`, which neither create_all nor the migrations build there),
    so everything else is still compared."""

    def include_object(
        obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
    ) -> bool:
        if type_ != "index" or not isinstance(obj, Index) or obj._ddl_if is None:
            return True
        return obj._ddl_if.dialect in (None, dialect)

    return include_object


def _differences_from_the_models(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection,
        opts={"include_object": _skip_indexes_for_other_dialects(connection.dialect.name)},
    )
    differences: list[Any] = compare_metadata(context, SQLModel.metadata)
    return differences


def test_upgrade_head_matches_the_models(empty_database: Connection) -> None:
    config = alembic_config("unused://")
    config.attributes["connection"] = empty_database
    command.upgrade(config, "head")
    empty_database.commit()
    assert _differences_from_the_models(empty_database) == []


def test_only_the_postgresql_order_indexes_are_skipped_on_sqlite() -> None:
    include = _skip_indexes_for_other_dialects("sqlite")
    indexes = {
        index.name: index for table in SQLModel.metadata.tables.values() for index in table.indexes
    }
    skipped = {
        name for name, index in indexes.items() if not include(index, name, "index", False, None)
    }
    assert skipped == {
        "ix_opportunity_org_close_date_desc",
        "ix_opportunity_org_amount_desc",
        "ix_opportunity_org_modified_desc",
    }
    include_postgresql = _skip_indexes_for_other_dialects("postgresql")
    assert all(
        include_postgresql(index, name, "index", False, None) for name, index in indexes.items()
    )


def test_0003_downgrades_and_upgrades_again(empty_database: Connection) -> None:
    config = alembic_config("unused://")
    config.attributes["connection"] = empty_database
    command.upgrade(config, "head")
    command.downgrade(config, "0002")
    command.upgrade(config, "head")
    empty_database.commit()
    assert _differences_from_the_models(empty_database) == []


def test_0008_downgrades_and_upgrades_again(empty_database: Connection) -> None:
    config = alembic_config("unused://")
    config.attributes["connection"] = empty_database
    command.upgrade(config, "head")
    command.downgrade(config, "0007")
    tables = set(empty_database.dialect.get_table_names(empty_database))
    assert not tables & {"audit_entry", "idempotency_key"}
    assert "alert" in tables
    command.upgrade(config, "head")
    empty_database.commit()
    assert _differences_from_the_models(empty_database) == []


def test_upgrade_by_url_is_idempotent(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'twice.sqlite3'}"
    upgrade(url)
    upgrade(url)
    engine = make_engine(url)
    with engine.connect() as connection:
        tables = set(connection.dialect.get_table_names(connection))
    engine.dispose()
    assert set(SQLModel.metadata.tables) <= tables
