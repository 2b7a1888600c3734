"""Rows straight from the driver, without SQLAlchemy's per-value result processing: what the
evaluation pass reads by the hundred thousand (the frame's columns, the live alerts, the
completions, the stored health). Statements still go through the connection, so the
statement events (counts in tests, logs) see them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl
from sqlalchemy import Connection

# What a column becomes in a table read by `read_table`.
TEXT = pl.String()
INTEGER = pl.Int64()
FLOAT = pl.Float64()
UTC_TIME = pl.Datetime("us", "UTC")
# SQLite keeps a UtcDateTime as naive UTC text (store.types); PostgreSQL gives aware values.
SQLITE_TIME_FORMAT = "%Y-%m-%d %H:%M:%S%.f"


def raw_rows(connection: Connection, query: Any) -> tuple[list[Any], list[Any]]:
    """The rows as the driver gives them and the driver's type code of each column."""
    # compiled once per statement shape (SQLAlchemy's cache), the rows taken from the cursor
    result = connection.execute(query)
    try:
        codes = [entry[1] for entry in result.cursor.description]
        # the driver's tuples: SQLAlchemy's Row objects cost more than the read itself
        return list(result.cursor.fetchall()), codes
    finally:
        result.close()


def read_table(
    connection: Connection, queries: Sequence[Any], schema: Mapping[str, pl.DataType]
) -> pl.DataFrame:
    """The rows of `queries` (each selecting the columns of `schema`, in its order; chunks of
    one read) as one table of `schema`'s types: text, integers, floats and UTC datetimes."""
    rows: list[Any] = []
    for query in queries:
        rows += raw_rows(connection, query)[0]
    sqlite = connection.dialect.name == "sqlite"
    times = [name for name, dtype in schema.items() if dtype == UTC_TIME]
    read_as = {name: TEXT if sqlite and name in times else dtype for name, dtype in schema.items()}
    # rows to columns in Polars: transposing in Python costs twice as much
    table = pl.DataFrame(rows, schema=read_as, orient="row")
    if not sqlite:
        return table
    parsed = [
        pl.col(name).str.to_datetime(SQLITE_TIME_FORMAT, time_zone="UTC", strict=True)
        for name in times
    ]
    return table.with_columns(parsed)
