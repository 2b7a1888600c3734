"""Date functions for the bulk compiler (semantics: `rules.formula.fn_date`).

Native: TODAY NOW DATE DATEVALUE (of a date or datetime) YEAR MONTH DAY WEEKDAY ADDMONTHS (of a
date, by a literal) DAYS_SINCE DAYS_UNTIL. Datetimes are UTC, as in the interpreter; the date of
a datetime is taken in the evaluation's zone with Polars' time zone database. The interpreter
uses Python's (zoneinfo), which is the reference: the two agree on the rules of the years
ZONE_DATABASES_AGREE, and rows with a datetime outside them go to the interpreter. A zone
Polars cannot name (a fixed-offset tzinfo, a key its database lacks) sends the whole formula to
the interpreter.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from functools import lru_cache

import polars as pl

from rules.formula import ast
from rules.formula.bulk_nodes import Col, Compiler, Unsupported, dec, literal_int
from rules.formula.types import FormulaType

T = FormulaType


# 1901-2037: the years zone rules are published for (before 1901 zones used local mean times,
# after 2037 both databases extrapolate the current rule, each in its own way).
ZONE_DATABASES_AGREE = (datetime(1901, 1, 1, tzinfo=UTC), datetime(2038, 1, 1, tzinfo=UTC))


@lru_cache(maxsize=64)
def _polars_knows(key: str) -> bool:
    probe = pl.Series([datetime(2000, 1, 1, tzinfo=UTC)], dtype=pl.Datetime("us", "UTC"))
    try:
        probe.dt.convert_time_zone(key)
    except pl.exceptions.PolarsError:
        return False
    return True


def polars_zone(zone: tzinfo) -> str | None:
    """The zone's name for Polars, or None for UTC itself (no conversion needed); Unsupported
    for a zone Polars has no name for."""
    if zone is UTC:
        return None
    key = getattr(zone, "key", None)
    if isinstance(key, str) and _polars_knows(key):
        return key
    raise Unsupported(f"dates in the time zone {zone}")


def _clock(c: Compiler, node: ast.Call) -> Col:
    assert c.now is not None  # plan_bulk checks uses_now
    assert c.today is not None
    if node.name == "TODAY":
        return Col(pl.lit(c.today, dtype=pl.Date), T.DATE)
    return Col(pl.lit(c.now, dtype=pl.Datetime("us", "UTC")), T.DATETIME)


def _as_date(c: Compiler, col: Col) -> pl.Expr:
    """A date column as it is; a datetime column's dates in the evaluation's zone."""
    if col.type is not T.DATETIME:
        return col.expr
    name = polars_zone(c.zone)
    if name is None:
        return col.expr.dt.date()
    low, high = ZONE_DATABASES_AGREE
    agreed = (col.expr >= low) & (col.expr < high)
    c.fallback(~agreed)
    # null elsewhere (the interpreter decides those rows): a year-0 local date cannot even leave
    # Polars as a Python date
    return pl.when(agreed).then(col.expr.dt.convert_time_zone(name).dt.date())


def _datevalue(c: Compiler, node: ast.Call) -> Col:
    col = c.node(node.args[0])
    if col.type not in (T.DATE, T.DATETIME, T.NULL):
        raise Unsupported("DATEVALUE of text")
    if col.type is T.NULL:
        return Col(pl.lit(None, dtype=pl.Date), T.DATE)
    return Col(_as_date(c, col), T.DATE)


def _date(c: Compiler, node: ast.Call) -> Col:
    parts = [c.exact(c.as_number(c.node(arg))) for arg in node.args]
    ok: pl.Expr = pl.lit(True)
    for col, high in zip(parts, (9999, 12, 31), strict=True):
        ok = ok & (col.expr >= dec(1, 0)) & (col.expr <= dec(high, 0))
    year, month, day = (col.expr.cast(pl.Int64) for col in parts)
    ok = ok.fill_null(True)
    safe_year = pl.when(ok).then(year).otherwise(2000)
    safe_month = pl.when(ok).then(month).otherwise(1)
    last = pl.date(safe_year, safe_month, 1).dt.month_end().dt.day()
    ok = ok & (day <= last).fill_null(True)
    # DATE of a blank part is blank, not #Error!, even when another part is out of range
    blank: pl.Expr = pl.lit(False)  # (any_horizontal of literals does not broadcast)
    for col in parts:
        blank = blank | col.expr.is_null()
    c.fault(~ok & ~blank)
    safe_day = pl.when(ok).then(day).otherwise(1)
    safe_month = pl.when(ok).then(month).otherwise(1)
    made = pl.date(safe_year, safe_month, safe_day)
    return Col(pl.when(blank).then(None).otherwise(made), T.DATE)


def _part(c: Compiler, node: ast.Call) -> Col:
    col = c.node(node.args[0])
    if col.type is T.NULL:
        return Col(pl.lit(None, dtype=pl.Decimal(38, 0)), T.NUMBER, 0)
    day = _as_date(c, col)
    parts = {
        "YEAR": day.dt.year(),
        "MONTH": day.dt.month(),
        "DAY": day.dt.day(),
        "WEEKDAY": day.dt.weekday() % 7 + 1,  # ISO Monday=1 -> Sunday=1 ... Saturday=7
    }
    return Col(parts[node.name].cast(pl.Decimal(38, 0)), T.NUMBER, 0)


def _addmonths(c: Compiler, node: ast.Call) -> Col:
    col = c.node(node.args[0])
    if col.type is not T.DATE:
        raise Unsupported("ADDMONTHS of a datetime")
    months = literal_int(node.args[1])
    c.node(node.args[1])
    if abs(months) > 120_000:
        raise Unsupported("ADDMONTHS by more than 120,000 months")
    moved = col.expr.dt.offset_by(f"{months}mo")
    at_end = col.expr == col.expr.dt.month_end()
    result = pl.when(at_end).then(moved.dt.month_end()).otherwise(moved)
    year = result.dt.year()
    c.fault((year < 1) | (year > 9999))
    return Col(result, T.DATE)


def _days(c: Compiler, node: ast.Call) -> Col:
    assert c.today is not None
    col = c.node(node.args[0])
    if col.type is T.NULL:
        return Col(pl.lit(None, dtype=pl.Decimal(38, 0)), T.NUMBER, 0)
    today = pl.lit(c.today, dtype=pl.Date)
    day = _as_date(c, col)
    delta = today - day if node.name == "DAYS_SINCE" else day - today
    return Col(delta.dt.total_days().cast(pl.Decimal(38, 0)), T.NUMBER, 0)


HANDLERS: dict[str, Callable[[Compiler, ast.Call], Col]] = {
    "DATE": _date,
    "TODAY": _clock,
    "NOW": _clock,
    "DATEVALUE": _datevalue,
    "YEAR": _part,
    "MONTH": _part,
    "DAY": _part,
    "WEEKDAY": _part,
    "ADDMONTHS": _addmonths,
    "DAYS_SINCE": _days,
    "DAYS_UNTIL": _days,
}
