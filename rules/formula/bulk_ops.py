"""Operators for the bulk compiler (semantics: `rules.formula.operators`)."""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from rules.formula import ast
from rules.formula.bulk_frame import NUMERIC, TEXTUAL
from rules.formula.bulk_nodes import Col, Compiler, Unsupported, dec
from rules.formula.types import MOMENT_TYPES, FormulaType

T = FormulaType
MOMENTS = MOMENT_TYPES
MAX_SHIFT_DAYS = 10**7  # `add_days` bound
MAX_SHIFT_MILLIS = 10**15  # `add_fractional_days` bound
Compare = Callable[[pl.Expr, pl.Expr], pl.Expr]

_ORDER: dict[str, Compare] = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def _equal(a: pl.Expr, b: pl.Expr) -> pl.Expr:
    """Non-text `=`: two blanks are equal, one blank is unknown."""
    both = a.is_null() & b.is_null()
    return pl.when(both).then(True).otherwise(a == b)


def _unequal(a: pl.Expr, b: pl.Expr) -> pl.Expr:
    both = a.is_null() & b.is_null()
    return pl.when(both).then(False).otherwise(a != b)


def binary(c: Compiler, node: ast.BinaryOp) -> Col:
    op = node.op
    if op in ("&&", "||"):
        return _logic(c, node)
    left, right = c.node(node.left), c.node(node.right)
    kind = node.type or T.NULL
    if op == "&" or (op == "+" and kind is T.TEXT):
        a, b = c.coerce(left, T.TEXT).expr, c.coerce(right, T.TEXT).expr
        return Col(pl.concat_str([a, b]), T.TEXT)
    if op in _ORDER or op in ("=", "!="):
        return Col(_compare(c, op, left, right), T.CHECKBOX)
    if kind in MOMENTS:
        if left.type in MOMENTS:
            return _shift(c, left, right, 1 if op == "+" else -1)
        return _shift(c, right, left, 1)
    if left.type in MOMENTS:
        return _difference(c, left, right)
    if op in ("+", "-"):
        return c.add(left, right, 1 if op == "+" else -1, kind)
    if op == "*":
        return c.multiply(left, right, kind)
    if op == "/":
        return c.divide(left, right, kind)
    return _power(c, node, left, kind)


def _logic(c: Compiler, node: ast.BinaryOp) -> Col:
    left = c.node(node.left)
    if node.op == "&&":
        with c.guarded(left.expr.fill_null(True)):  # the right side runs unless left is false
            right = c.node(node.right)
        return Col(left.expr & right.expr, T.CHECKBOX)
    with c.guarded(~left.expr.fill_null(False)):
        right = c.node(node.right)
    return Col(left.expr | right.expr, T.CHECKBOX)


def _compare(c: Compiler, op: str, left: Col, right: Col) -> pl.Expr:
    if left.type in TEXTUAL or right.type in TEXTUAL:
        a, b = c.coerce(left, T.TEXT).expr, c.coerce(right, T.TEXT).expr
        if op == "=":
            return a == b
        if op == "!=":
            return a != b
        return _ORDER[op](a, b)
    compare = _ORDER.get(op) or (_equal if op == "=" else _unequal)
    if left.type in NUMERIC or right.type in NUMERIC:
        return c.compare_numbers(left, right, compare)
    kind = right.type if left.type is T.NULL else left.type
    a, b = c.coerce(left, kind).expr, c.coerce(right, kind).expr
    return compare(a, b)


def _shift(c: Compiler, moment: Col, days: Col, sign: int) -> Col:
    number = c.exact(c.as_number(days))
    if moment.type is T.NULL or moment.type is T.TIME:
        raise Unsupported("time arithmetic")
    dated = moment.expr.is_not_null()  # a blank date or datetime shifted is blank, not #Error!
    if moment.type is T.DATE:
        whole = number.expr.cast(pl.Int64) * sign  # Decimal -> Int64 truncates toward zero
        far = (whole.abs() > MAX_SHIFT_DAYS).fill_null(False)
        c.fault(far & dated)
        whole = pl.when(far).then(0).otherwise(whole)
        moved = moment.expr + pl.duration(days=whole)
    else:
        far = (number.expr.cast(pl.Float64).abs() >= 1.2e7).fill_null(False)
        c.fault(far & dated)
        number = c.neutralised(number, far)
        millis = (number.expr * dec(86_400_000 * sign, 0)).round(0, mode="half_away_from_zero")
        whole = millis.cast(pl.Int64)
        c.fault((whole.abs() > MAX_SHIFT_MILLIS) & dated)
        moved = moment.expr + pl.duration(milliseconds=whole)
    year = moved.dt.year()
    c.fault((year < 1) | (year > 9999))
    return Col(moved, moment.type)


def _difference(c: Compiler, left: Col, right: Col) -> Col:
    if left.type is T.DATE:
        days = (left.expr - right.expr).dt.total_days().cast(pl.Decimal(38, 0))
        return Col(days, T.NUMBER, 0)
    if left.type is T.DATETIME:
        micros = (left.expr - right.expr).dt.total_microseconds().cast(pl.Decimal(38, 0))
        per_day = Col(dec(86_400_000_000, 0), T.NUMBER, 0)
        return c.divide(Col(micros, T.NUMBER, 0), per_day, T.NUMBER)
    raise Unsupported("time difference")


def _power(c: Compiler, node: ast.BinaryOp, base: Col, kind: FormulaType) -> Col:
    exponent = node.right
    if not isinstance(exponent, ast.NumberLit) or exponent.value not in range(1, 7):
        raise Unsupported("^ with an exponent other than a literal 1 to 6")
    result = c.as_number(base)
    for _ in range(int(exponent.value) - 1):
        result = c.multiply(result, base, kind)
    return Col(result.expr, kind, result.scale, result.err)
