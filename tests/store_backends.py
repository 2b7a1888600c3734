"""Databases for store tests: a SQLite file and a fresh PostgreSQL schema in database `test`
(127.0.0.1:5432, trust auth, as on the CI machines)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, text
from sqlmodel import SQLModel

import store.models  # noqa: F401  (registers the tables)
from store.engine import make_engine

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@contextmanager
def empty_engine(backend: str, directory: Path) -> Iterator[Engine]:
    """An engine on an empty database: a SQLite file, or a fresh PostgreSQL schema (dropped
    afterwards, with whatever was created in it)."""
    if backend == "sqlite":
        engine = make_engine(f"sqlite:///{directory / 'store.sqlite3'}")
        yield engine
        engine.dispose()
        return
    schema = f"t_{secrets.token_hex(6)}"
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(POSTGRES_URL, connect_args={"options": f"-csearch_path={schema}"})
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@contextmanager
def backend_engine(backend: str, directory: Path) -> Iterator[Engine]:
    """An engine with every table created, on `sqlite` or `postgresql`; dropped afterwards."""
    with empty_engine(backend, directory) as engine:
        SQLModel.metadata.create_all(engine)
        yield engine


def empty_all_tables(engine: Engine) -> None:
    with engine.begin() as conn:
        for table in reversed(SQLModel.metadata.sorted_tables):
            conn.execute(table.delete())


@contextmanager
def counting(engine: Engine) -> Iterator[list[str]]:
    """The SQL statements `engine` runs inside the block, in order."""
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)
