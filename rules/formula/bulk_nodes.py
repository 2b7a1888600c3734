"""Typed formula nodes -> Polars expressions (the bulk path's compiler; see `bulk`).

`Compiler.node` returns a `Col`; numbers carry their decimal scale and, when inexact, an
absolute error bound against the interpreter. Faults and fallbacks are collected as boolean
masks gated by `guard`, the rows where the node is evaluated at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal
from functools import reduce

import polars as pl

from rules.formula import ast
from rules.formula.bulk_frame import (
    LIMIT,
    MAX_SCALE,
    NUMERIC,
    TEXTUAL,
    BulkFrame,
    dtype_of,
    scale_of,
)
from rules.formula.types import FormulaType

T = FormulaType
HALF_LIMIT = float(LIMIT) / 2
ULP = 1e-18


class Unsupported(Exception):
    """The formula (or this shape of it) has no native bulk form: the interpreter does it."""


@dataclass(frozen=True)
class Col:
    expr: pl.Expr
    type: FormulaType
    scale: int = 0
    err: pl.Expr | None = None  # numbers only: |bulk - interpreter| bound, Float64, no nulls


def dec(value: Decimal | int, scale: int) -> pl.Expr:
    return pl.lit(Decimal(value), dtype=pl.Decimal(38, scale))


def any_of(masks: list[pl.Expr]) -> pl.Expr:
    if not masks:
        return pl.lit(False)
    return reduce(lambda a, b: a | b, masks)


class Compiler:
    def __init__(
        self,
        frame: BulkFrame,
        now: datetime | None,
        zone: tzinfo = UTC,
        today: date | None = None,
    ) -> None:
        self.frame = frame
        self.schema = frame.frame.schema
        self.now = now
        self.zone = zone  # dates of datetimes are taken here (see rules.formula.fn_date)
        self.today = today  # the date of `now` in `zone`
        self.guard: pl.Expr | None = None
        self.faults: list[pl.Expr] = []
        self.fallbacks: list[pl.Expr] = []

    # -- masks ------------------------------------------------------------------------------

    def _gated(self, mask: pl.Expr) -> pl.Expr:
        mask = mask.fill_null(False)
        return mask if self.guard is None else self.guard & mask

    def fault(self, mask: pl.Expr) -> None:
        self.faults.append(self._gated(mask))

    def fallback(self, mask: pl.Expr) -> None:
        self.fallbacks.append(self._gated(mask))

    def exact(self, col: Col) -> Col:
        """A consumer that needs the interpreter's exact number: inexact rows fall back."""
        if col.err is not None:
            self.fallback(col.err > 0)
        return replace(col, err=None)

    @contextmanager
    def guarded(self, rows: pl.Expr) -> Iterator[None]:
        previous = self.guard
        rows = rows.fill_null(False)
        self.guard = rows if previous is None else previous & rows
        try:
            yield
        finally:
            self.guard = previous

    # -- entry ------------------------------------------------------------------------------

    def compile_formula(
        self, tree: ast.Node, result_type: FormulaType
    ) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
        col = self.node(tree)
        if result_type in NUMERIC:
            col = self.exact(self.as_number(col))
        value = self.coerce(col, result_type).expr
        return value, any_of(self.faults), any_of(self.fallbacks)

    # -- coercion ---------------------------------------------------------------------------

    def coerce(self, col: Col, target: FormulaType, scale: int | None = None) -> Col:
        """`col` in the dtype of `target` (NULL literals become typed nulls or "")."""
        if target in NUMERIC:
            number = self.as_number(col)
            return self.rescale(number, number.scale if scale is None else scale)
        if col.type is T.NULL:
            if target in TEXTUAL:
                return Col(pl.lit(""), target)
            return Col(pl.lit(None, dtype=dtype_of(target)), target)
        if target in TEXTUAL:
            return Col(col.expr.fill_null(""), target)
        return col

    def as_number(self, col: Col) -> Col:
        if col.type is T.NULL:
            return Col(pl.lit(None, dtype=pl.Decimal(38, 0)), T.NUMBER, 0)
        return col

    def rescale(self, col: Col, scale: int) -> Col:
        if col.scale == scale:
            return col
        return replace(col, expr=col.expr.cast(pl.Decimal(38, scale)), scale=scale)

    def numbers(self, *cols: Col) -> list[Col]:
        nums = [self.as_number(c) for c in cols]
        scale = max(c.scale for c in nums)
        return [self.rescale(c, scale) for c in nums]

    # -- dispatch ---------------------------------------------------------------------------

    def node(self, node: ast.Node) -> Col:
        kind = node.type or T.NULL
        if isinstance(node, ast.NumberLit):
            scale = scale_of(node.value)
            if scale > MAX_SCALE or abs(node.value) >= LIMIT:
                raise Unsupported(f"number literal {node.value} is beyond the bulk range")
            return Col(dec(node.value, scale), kind, scale)
        if isinstance(node, ast.StringLit):
            return Col(pl.lit(node.value), T.TEXT)
        if isinstance(node, ast.BoolLit):
            return Col(pl.lit(node.value), T.CHECKBOX)
        if isinstance(node, ast.NullLit):
            return Col(pl.lit(None), T.NULL)
        if isinstance(node, ast.FieldRef):
            return self.field(node)
        if isinstance(node, ast.UnaryOp):
            return self.unary(node)
        if isinstance(node, ast.BinaryOp):
            from rules.formula.bulk_ops import binary

            return binary(self, node)
        if isinstance(node, ast.Call):
            from rules.formula.bulk_calls import call

            return call(self, node)
        raise Unsupported(f"node {type(node).__name__}")  # pragma: no cover

    def field(self, node: ast.FieldRef) -> Col:
        name = node.field or node.name
        kind = node.type or T.NULL
        dtype = self.schema.get(name)
        if dtype is None:
            raise Unsupported(f"field {name!r} is not in the frame")
        expected = self.frame.types.get(name)
        if expected is not kind:
            raise Unsupported(f"field {name!r} has type {expected} in the frame, not {kind}")
        scale = dtype.scale if isinstance(dtype, pl.Decimal) else 0
        return Col(pl.col(name), kind, scale)

    def unary(self, node: ast.UnaryOp) -> Col:
        operand = self.node(node.operand)
        if node.op == "!":
            return Col(~operand.expr, T.CHECKBOX)
        if node.op == "+":
            return operand
        number = self.as_number(operand)
        return replace(number, expr=-number.expr, type=node.type or T.NUMBER)

    # -- numeric building blocks ------------------------------------------------------------

    def neutralised(self, col: Col, rows: pl.Expr, value: int = 0) -> Col:
        """`col` with `rows` replaced (they fault or fall back; the value no longer matters),
        so that no row can make a Polars decimal operation overflow."""
        return replace(col, expr=pl.when(rows).then(dec(value, col.scale)).otherwise(col.expr))

    def bounded(self, col: Col) -> Col:
        """Rows at or beyond the bulk range fall back; their value is neutralised."""
        over = (col.expr.abs() >= dec(LIMIT, 0)).fill_null(False)
        self.fallback(over)
        return self.neutralised(col, over)

    def add(self, left: Col, right: Col, sign: int, kind: FormulaType) -> Col:
        a, b = self.numbers(left, right)
        expr = a.expr + b.expr if sign > 0 else a.expr - b.expr
        err = _sum_err(a.err, b.err)
        return self.bounded(Col(expr, kind, a.scale, err))

    def multiply(self, left: Col, right: Col, kind: FormulaType) -> Col:
        a, b = self.as_number(left), self.as_number(right)
        over = ((a.expr.cast(pl.Float64) * b.expr.cast(pl.Float64)).abs() >= HALF_LIMIT).fill_null(
            False
        )
        self.fallback(over)
        a, b = self.neutralised(a, over), self.neutralised(b, over)
        scale = a.scale + b.scale
        err = None
        if scale > MAX_SCALE:
            scale = MAX_SCALE
            err = pl.lit(ULP)
        expr = a.expr.cast(pl.Decimal(38, scale)) * b.expr.cast(pl.Decimal(38, scale))
        if a.err is not None or b.err is not None:
            fa, fb = a.expr.cast(pl.Float64).abs(), b.expr.cast(pl.Float64).abs()
            ea = a.err if a.err is not None else pl.lit(0.0)
            eb = b.err if b.err is not None else pl.lit(0.0)
            err = _sum_err(err, (fa * eb + fb * ea + ea * eb) * 1.01)
        return Col(expr, kind, scale, _with_slack(err, expr))

    def divide(self, left: Col, right: Col, kind: FormulaType) -> Col:
        a, b = self.exact(self.as_number(left)), self.exact(self.as_number(right))
        zero = (b.expr == dec(0, 0)).fill_null(False)
        self.fault(zero & a.expr.is_not_null())  # a blank dividend is blank, not #Error!
        b = self.neutralised(b, zero, 1)
        over = ((a.expr.cast(pl.Float64) / b.expr.cast(pl.Float64)).abs() >= HALF_LIMIT).fill_null(
            False
        )
        self.fallback(over)
        a = self.neutralised(a, over)
        q = a.expr.cast(pl.Decimal(38, MAX_SCALE)) / b.expr.cast(pl.Decimal(38, MAX_SCALE))
        exact = (b.expr.abs() >= dec(1, 0)) & (q * b.expr == a.expr)
        err = pl.when(exact.fill_null(True)).then(0.0).otherwise(2 * ULP)
        return Col(q, kind, MAX_SCALE, _with_slack(err, q))

    def rounding(self, col: Col, op: Callable[[pl.Expr], pl.Expr], kind: FormulaType) -> Col:
        """A rounding function of `col`: exact, unless the interpreter's value could lie on
        the other side of a rounding boundary (those rows fall back)."""
        number = self.as_number(col)
        result = op(number.expr)
        if number.err is not None:
            widened = self.rescale(number, MAX_SCALE).expr
            margin = (pl.when(number.err > 0).then(number.err * 1.01 + ULP).otherwise(0.0)).cast(
                pl.Decimal(38, MAX_SCALE)
            )
            self.fallback(op(widened - margin) != op(widened + margin))
        return Col(result, kind, number.scale)

    def float_function(
        self, col: Col, fn: Callable[[pl.Expr], pl.Expr], domain: pl.Expr, kind: FormulaType
    ) -> Col:
        """SQRT/EXP/LN/LOG in binary floating point, with an error bound (see `bulk`)."""
        number = self.exact(self.as_number(col))
        bad = (~domain).fill_null(False)
        self.fault(bad)
        number = self.neutralised(number, bad, 1)
        value = fn(number.expr.cast(pl.Float64))
        over = (value.abs() >= HALF_LIMIT).fill_null(False)
        self.fallback(over)
        expr = pl.when(over).then(0.0).otherwise(value).cast(pl.Decimal(38, MAX_SCALE))
        err = value.abs().fill_null(0.0) * 1e-13 + ULP
        return Col(expr, kind, MAX_SCALE, err)

    def compare_numbers(
        self, left: Col, right: Col, compare: Callable[[pl.Expr, pl.Expr], pl.Expr]
    ) -> pl.Expr:
        a, b = self.numbers(left, right)
        if a.err is not None or b.err is not None:
            tolerance = _sum_err(a.err, b.err)
            assert tolerance is not None
            gap = (a.expr - b.expr).cast(pl.Float64).abs()
            self.fallback(gap <= tolerance * 1.01 + ULP)
        return compare(a.expr, b.expr)


def _sum_err(a: pl.Expr | None, b: pl.Expr | None) -> pl.Expr | None:
    if a is None:
        return b
    if b is None:
        return a
    return a + b


def _with_slack(err: pl.Expr | None, value: pl.Expr) -> pl.Expr | None:
    """Add the interpreter's own rounding (34 significant digits) to an error bound."""
    if err is None:
        return None
    slack = value.cast(pl.Float64).abs() * 1e-30
    return pl.when(err > 0).then(err + slack).otherwise(0.0).fill_null(0.0)


def literal_int(node: ast.Node) -> int:
    sign = 1
    if isinstance(node, ast.UnaryOp) and node.op in ("-", "+"):
        sign = -1 if node.op == "-" else 1
        node = node.operand
    if not isinstance(node, ast.NumberLit):
        raise Unsupported("a digits argument that is not a literal")
    return int(node.value) * sign  # the interpreter truncates toward zero too
