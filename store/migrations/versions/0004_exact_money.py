"""exact money: the currency columns become exact decimals instead of doubles

PostgreSQL: NUMERIC(precision, scale), converted in place (ALTER COLUMN ... TYPE ... USING), which
rebuilds every index on the column, the descending ones of 0003 included. SQLite has no decimal
type: the column becomes an INTEGER of units of the scale (cents), as `store.types.Money` reads
it, through a batch rebuild of the table.

Each stored double becomes the shortest decimal that reads back as that double (what Python's
repr and PostgreSQL's float output print: 58500.1, never 58500.099999999998545), rounded half
up to the column's scale, and held within the column's range (the double nearest
9999999999999999.99 is 1e16, one cent beyond a currency(18, 2)). So every amount a double held
to the cent, up to 15 significant digits, arrives exactly.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 10:00:00.000000
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, column, precision, scale), as store.models declares them at this revision.
_MONEY = (
    ("account", "annual_revenue", 18, 0),
    ("opportunity", "amount", 18, 2),
    ("opportunity_history", "amount", 18, 2),
    ("derived_facts", "amount_change_since_creation", 19, 2),
)
# SQLite indexes on a money column: batch mode rebuilds the table and must recreate them.
_SQLITE_INDEXES = {("opportunity", "amount"): ("ix_opportunity_org_amount", ["org_id", "amount"])}
_STAGING = "_money_units"


def _largest_units(precision: int) -> int:
    # store.types.Money: below 10^precision units, and within SQLite's signed 64-bit integers.
    return min(int(10**precision), 2**63) - 1


def _units(value: float, precision: int, scale: int) -> int | None:
    if not math.isfinite(value):  # no amount: a NaN or an infinity becomes NULL
        return None
    largest = _largest_units(precision)
    number = Decimal(repr(value)).scaleb(scale)
    if abs(number) >= largest:  # compared first: quantizing 1e300 would overflow the context
        return largest if number > 0 else -largest
    return int(number.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _postgresql_upgrade(table: str, column: str, precision: int, scale: int) -> None:
    largest = Decimal(_largest_units(precision)).scaleb(-scale)
    # Through text: float8::numeric keeps only 15 significant digits (12345678901234.56
    # would become 12345678901234.60); float8's text output is the shortest exact one.
    # GREATEST and LEAST skip NULLs, so a NULL must not reach them; a NaN or an infinity
    # (no amount) becomes NULL, as on SQLite.
    rounded = f"round({column}::text::numeric, {scale})"
    blank = f"{column} IS NULL OR {column} IN ('NaN', 'Infinity', '-Infinity')"
    op.alter_column(
        table,
        column,
        existing_type=sa.Float(),
        type_=sa.Numeric(precision, scale),
        existing_nullable=True,
        postgresql_using=(
            f"CASE WHEN {blank} THEN NULL"
            f" ELSE least(greatest({rounded}, -{largest}), {largest}) END"
        ),
    )


def _sqlite_upgrade(table: str, column: str, precision: int, scale: int) -> None:
    # The units go into a new INTEGER column, never through the REAL one, which would turn
    # them back into doubles; then the new column takes the old one's place and indexes.
    op.add_column(table, sa.Column(_STAGING, sa.BigInteger(), nullable=True))
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(f"SELECT rowid, {column} FROM {table} WHERE {column} IS NOT NULL")
    ).all()
    if rows:
        bind.execute(
            sa.text(f"UPDATE {table} SET {_STAGING} = :units WHERE rowid = :row"),
            [{"row": row, "units": _units(value, precision, scale)} for row, value in rows],
        )
    _sqlite_replace(table, column, sa.BigInteger())


def _sqlite_replace(table: str, column: str, staged_type: sa.types.TypeEngine[Any]) -> None:
    """The staged column takes `column`'s name and place (one batch rebuild of the table),
    and its index, if it has one."""
    index = _SQLITE_INDEXES.get((table, column))
    if index is not None:
        op.drop_index(index[0], table_name=table)
    with op.batch_alter_table(table) as batch:
        batch.drop_column(column)
        batch.alter_column(_STAGING, new_column_name=column, existing_type=staged_type)
    if index is not None:
        op.create_index(index[0], table, index[1])


def _postgresql_downgrade(table: str, column: str, precision: int, scale: int) -> None:
    op.alter_column(
        table,
        column,
        existing_type=sa.Numeric(precision, scale),
        type_=sa.Float(),
        existing_nullable=True,
        postgresql_using=f"{column}::double precision",
    )


def _sqlite_downgrade(table: str, column: str, precision: int, scale: int) -> None:
    op.add_column(table, sa.Column(_STAGING, sa.Float(), nullable=True))
    op.execute(f"UPDATE {table} SET {_STAGING} = {column} / {10.0**scale!r}")
    _sqlite_replace(table, column, sa.Float())


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        # The shortest exact float output (PostgreSQL 12+'s default), whatever the session says.
        op.execute("SET LOCAL extra_float_digits = 1")
    for spec in _MONEY:
        (_postgresql_upgrade if postgresql else _sqlite_upgrade)(*spec)


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for spec in _MONEY:
        (_postgresql_downgrade if postgresql else _sqlite_downgrade)(*spec)
