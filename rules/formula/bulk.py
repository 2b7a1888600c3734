"""The bulk path: a typed formula as Polars expressions over the whole mirror at once.

`evaluate_bulk(compiled, frame, now=..., tz=...)` gives, row by row, exactly what
`compiled.evaluate(record, now=..., tz=...)` gives (the interpreter is the reference; property
tests hold both to it, in several time zones). How:

- Every typed node compiles to a `Col`: an expression in the bulk dtype of its type (see
  `bulk_frame`): numbers are Decimal(38, s) with a scale s tracked per node, so `+ - *` are
  exact decimal arithmetic like the interpreter's; text is never null (blank is "").
- Blanks propagate as nulls; comparisons with a blank are null (unknown); AND/OR/NOT are
  Kleene logic, which Polars' boolean operators implement.
- #Error! (division by zero, an impossible date...): the interpreter abandons the whole
  formula for that record and returns blank. Each node adds the rows where it would fault to
  a fault mask, *gated* by the rows where it is evaluated at all (IF/CASE branches,
  BLANKVALUE's substitute, AND/OR after a decisive argument), and rows in the mask come out
  blank.
- Rows the bulk path cannot decide exactly go to the interpreter ("fallback" mask): a value
  unfit for the frame, an intermediate number of 10^15 or more (decimal overflow guard), and
  inexact numbers whose rounding could change the answer. Quotients (and SQRT/EXP/LN/LOG)
  carry an error bound `err` (Float64, absolute, against the interpreter's 34-digit value);
  a comparison or a rounding function is exact unless the operands lie within that bound of
  each other (of a rounding boundary), and only those rows fall back. Other consumers of an
  inexact number (and an inexact numeric result) fall back wherever `err > 0`.
- Functions and argument shapes not compiled natively (named in `bulk_calls`): the
  whole formula is evaluated by the interpreter row by row, which is correct but slow.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

import polars as pl

from rules.formula.bulk_frame import BulkFrame, frame_from_columns
from rules.formula.bulk_nodes import Compiler, Unsupported
from rules.formula.compiler import CompiledFormula
from rules.formula.errors import ErrorCode, FormulaError
from rules.formula.types import FormulaType
from rules.formula.values import Value, formula_zone, local_today, utc_now
from rules.time_zones import TimeZoneLike

T = FormulaType

__all__ = [
    "BulkPlan",
    "BulkResult",
    "evaluate_bulk",
    "evaluate_bulk_many",
    "plan_bulk",
]


@dataclass(frozen=True)
class BulkResult:
    """One value per row (as `evaluate` returns it), and the rows where the interpreter
    raised FormulaError (bad_record_value: a data problem, not a formula result)."""

    values: list[Value]
    errors: dict[int, FormulaError] = field(default_factory=dict)
    fallback_rows: int = 0  # how many rows the interpreter evaluated


@dataclass(frozen=True)
class BulkPlan:
    """A formula compiled for one frame shape: its value, fault and fallback expressions,
    or `native=False` when the interpreter must do every row."""

    compiled: CompiledFormula
    native: bool
    value: pl.Expr | None = None
    fault: pl.Expr | None = None
    fallback: pl.Expr | None = None
    reason: str = ""


def plan_bulk(
    compiled: CompiledFormula, frame: BulkFrame, now: datetime | None, *, tz: TimeZoneLike = None
) -> BulkPlan:
    zone = formula_zone(tz)
    moment = compiled.clock(now)
    today = local_today(moment, zone) if moment is not None and compiled.uses_now else None
    compiler = Compiler(frame, moment, zone, today)
    try:
        value, fault, fallback = compiler.compile_formula(compiled.tree, compiled.result_type)
    except Unsupported as why:
        return BulkPlan(compiled, native=False, reason=str(why))
    for name in compiled.references:
        rows = frame.unfit.get(name)
        if rows:
            fallback = fallback | pl.int_range(pl.len()).is_in(sorted(rows))
    return BulkPlan(compiled, True, value, fault, fallback)


def _as_frame(
    frame: BulkFrame | pl.DataFrame | Mapping[str, Sequence[Any]], compiled: CompiledFormula
) -> BulkFrame:
    if isinstance(frame, BulkFrame):
        return frame
    fields = {name: str(kind) for name, kind in compiled.field_types.items()}
    if isinstance(frame, pl.DataFrame):
        return frame_from_columns(frame.to_dict(as_series=False), fields)
    if isinstance(frame, Mapping):
        return frame_from_columns(frame, fields)
    raise FormulaError(
        ErrorCode.BAD_RECORD_VALUE,
        f"records must be a BulkFrame, a DataFrame or columns by name, not {type(frame).__name__}",
    )


def _interpret(
    compiled: CompiledFormula,
    frame: BulkFrame,
    rows: Sequence[int],
    now: datetime | None,
    zone: tzinfo,
) -> tuple[dict[int, Value], dict[int, FormulaError]]:
    values: dict[int, Value] = {}
    errors: dict[int, FormulaError] = {}
    for row in rows:
        try:
            values[row] = compiled.evaluate(frame.records[row], now, tz=zone)
        except FormulaError as error:
            values[row] = None
            errors[row] = error
    return values, errors


def _to_results(series: pl.Series, result_type: FormulaType) -> list[Value]:
    if result_type is T.PERCENT:
        series = series * 100
    values: list[Value] = series.to_list()
    if result_type in (T.TEXT, T.PICKLIST, T.MULTIPICKLIST):
        return [None if v == "" else v for v in values]
    return values


def _columns(plan: BulkPlan, index: int) -> list[pl.Expr]:
    assert plan.value is not None
    assert plan.fault is not None
    assert plan.fallback is not None
    return [
        pl.when(plan.fault).then(None).otherwise(plan.value).alias(f"v{index}"),
        plan.fallback.alias(f"f{index}"),
    ]


def evaluate_bulk_many(
    formulas: Sequence[CompiledFormula],
    frame: BulkFrame,
    now: datetime | None = None,
    *,
    tz: TimeZoneLike = None,
) -> list[BulkResult]:
    """Evaluate many formulas over one frame in a single Polars query (shared scans, all
    cores), then let the interpreter finish the rows the bulk path handed over. `tz` as in
    `CompiledFormula.evaluate` (FormulaError(unknown_time_zone) for a name that is no zone)."""
    now = utc_now(now)
    zone = formula_zone(tz)
    plans = [plan_bulk(compiled, frame, now, tz=zone) for compiled in formulas]
    native = [(i, plan) for i, plan in enumerate(plans) if plan.native]
    base = frame.frame if frame.frame.width else pl.DataFrame({"_": [0] * frame.height})
    # the row index makes formulas without fields (constants, TODAY()) one value per row
    row_index = pl.int_range(pl.len()).alias("_row")
    exprs = [expr for i, plan in native for expr in _columns(plan, i)]
    table = base.select([row_index, *exprs])
    results: list[BulkResult] = []
    everything = range(frame.height)
    for index, plan in enumerate(plans):
        compiled = plan.compiled
        if not plan.native:
            patched, errors = _interpret(compiled, frame, everything, now, zone)
            values = [patched[row] for row in everything]
            results.append(BulkResult(values, errors, frame.height))
            continue
        values = _to_results(table.get_column(f"v{index}"), compiled.result_type)
        rows = table.get_column(f"f{index}").arg_true().to_list()
        patched, errors = _interpret(compiled, frame, rows, now, zone)
        for row, value in patched.items():
            values[row] = value
        results.append(BulkResult(values, errors, len(rows)))
    return results


def evaluate_bulk(
    compiled: CompiledFormula,
    frame: BulkFrame | pl.DataFrame | Mapping[str, Sequence[Any]],
    now: datetime | None = None,
    *,
    tz: TimeZoneLike = None,
) -> BulkResult:
    """`compiled.evaluate(record, now, tz=tz)` for every row of `frame` (see the module
    docstring). Build the frame once with `frame_from_records`; a DataFrame or column dict is
    converted."""
    return evaluate_bulk_many([compiled], _as_frame(frame, compiled), now, tz=tz)[0]
