"""The parsed form of a SOQL query: plain frozen dataclasses, positions kept for error messages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal as Kind


@dataclass(frozen=True)
class Position:
    line: int
    column: int


@dataclass(frozen=True)
class FieldPath:
    """`Name`, `Account.Name`, `Owner.Manager.Name`: relationship names then a field name."""

    parts: tuple[str, ...]
    at: Position

    @property
    def text(self) -> str:
        return ".".join(self.parts)


@dataclass(frozen=True)
class CountCall:
    """`COUNT()` (field None: a row count) or `COUNT(field)` (an aggregate, `expr0`)."""

    field: FieldPath | None
    at: Position


@dataclass(frozen=True)
class DateLiteral:
    """TODAY, LAST_N_DAYS:30, THIS_QUARTER...: a range of days relative to "now"."""

    name: str
    n: int | None


ValueKind = Kind["string", "number", "date", "datetime", "null", "boolean", "date_literal"]


@dataclass(frozen=True)
class Value:
    kind: ValueKind
    value: str | int | float | bool | date | datetime | DateLiteral | None
    text: str
    at: Position
    # For strings: the SQLite LIKE pattern (ESCAPE '\'), SOQL's `\%`/`\_` escapes honoured.
    like_pattern: str | None = None


@dataclass(frozen=True)
class Comparison:
    field: FieldPath
    operator: str  # one of = != < > <= >= ('<>' is normalised to '!=')
    value: Value


@dataclass(frozen=True)
class Like:
    field: FieldPath
    value: Value


@dataclass(frozen=True)
class InList:
    field: FieldPath
    values: tuple[Value, ...]
    negated: bool


@dataclass(frozen=True)
class Not:
    operand: Condition


@dataclass(frozen=True)
class And:
    operands: tuple[Condition, ...]


@dataclass(frozen=True)
class Or:
    operands: tuple[Condition, ...]


Condition = Comparison | Like | InList | Not | And | Or


@dataclass(frozen=True)
class OrderItem:
    field: FieldPath
    descending: bool
    nulls_first: bool


@dataclass(frozen=True)
class Query:
    select: tuple[FieldPath | CountCall, ...]
    sobject: str
    sobject_at: Position
    alias: str | None
    where: Condition | None
    order_by: tuple[OrderItem, ...]
    limit: int | None
    offset: int | None
