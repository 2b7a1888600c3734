"""Date functions for the bulk compiler (semantics: `rules.formula.fn_date`).

Native: TODAY NOW DATE DATEVALUE (of a date or datetime) YEAR MONTH DAY WEEKDAY ADDMONTHS (of a
date, by a literal) DAYS_SINCE DAYS_UNTIL. Datetimes are UTC, as in the interpreter.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from rules.formula import ast
from rules.formula.bulk_nodes import Col, Compiler, Unsupported, dec, literal_int
from rules.formula.types import FormulaType

T = FormulaType


def _clock(c: Compiler, node: ast.Call) -> Col:
    assert c.now is not None  # plan_bulk checks uses_now
    if node.name == "TODAY":
        return Col(pl.lit(c.now.date(), dtype=pl.Date), T.DATE)
    return Col(pl.lit(c.now, dtype=pl.Datetime("us", "UTC")), T.DATETIME)


def _as_date(col: Col) -> pl.Expr:
    return col.expr.dt.date() if col.type is T.DATETIME else col.expr


def _datevalue(c: Compiler, node: ast.Call) -> Col:
    col = c.node(node.args[0])
    if col.type not in (T.DATE, T.DATETIME, T.NULL):
        raise Unsupported("DATEVALUE of text")
    if col.type is T.NULL:
        return Col(pl.lit(None, dtype=pl.Date), T.DATE)
    return Col(_as_date(col), T.DATE)


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
    c.fault(~ok)
    safe_day = pl.when(ok).then(day).otherwise(1)
    safe_month = pl.when(ok).then(month).otherwise(1)
    return Col(pl.date(safe_year, safe_month, safe_day), T.DATE)


def _part(c: Compiler, node: ast.Call) -> Col:
    col = c.node(node.args[0])
    if col.type is T.NULL:
        return Col(pl.lit(None, dtype=pl.Decimal(38, 0)), T.NUMBER, 0)
    day = _as_date(col)
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
    assert c.now is not None
    col = c.node(node.args[0])
    if col.type is T.NULL:
        return Col(pl.lit(None, dtype=pl.Decimal(38, 0)), T.NUMBER, 0)
    today = pl.lit(c.now.date(), dtype=pl.Date)
    day = _as_date(col)
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
