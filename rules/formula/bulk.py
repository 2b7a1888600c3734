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
- Which rows were #Error! is kept (`BulkResult.faults`, row -> message, e.g. "division by
  zero"), so a rule's health can say how many records could not be evaluated and why. Rows
  the bulk path faults are grouped by the first fault mask they are in, in compile order,
  which is the interpreter's order of evaluation; the interpreter re-runs one row per group
  with errors="raise" for the group's message (the rows of a group share it, so a message
  that quotes a value quotes the first row's). Rows the interpreter evaluates give their own.
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

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from functools import cached_property
from typing import Any, overload

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
    "BulkValues",
    "evaluate_bulk",
    "evaluate_bulk_many",
    "plan_bulk",
]


# The message of a faulting row the interpreter did not confirm (the two paths disagree).
UNEXPLAINED_FAULT = "the formula could not be evaluated"


@dataclass(frozen=True)
class BulkResult:
    """One value per row (as `evaluate` returns it), the rows where the interpreter raised
    FormulaError (bad_record_value: a data problem, not a formula result), and the rows whose
    value is #Error! (blank in `values`) with the fault's message."""

    values: Sequence[Value]  # a list, or BulkValues made on first read
    errors: dict[int, FormulaError] = field(default_factory=dict)
    fallback_rows: int = 0  # how many rows the interpreter evaluated
    faults: dict[int, str] = field(default_factory=dict)

    def fault_summary(self) -> str | None:
        """A line for rule health, such as "12 records could not be evaluated: division by
        zero" (the most frequent message, and how many others there were); None when no row
        faulted."""
        if not self.faults:
            return None
        counts = Counter(self.faults.values()).most_common()
        count = len(self.faults)
        noun = "record" if count == 1 else "records"
        others = len(counts) - 1
        also = f" (and {others} other reason{'s' if others > 1 else ''})" if others else ""
        return f"{count} {noun} could not be evaluated: {counts[0][0]}{also}"


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
    fault_masks: tuple[pl.Expr, ...] = ()  # the parts of `fault`, in compile order


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
    return BulkPlan(compiled, True, value, fault, fallback, fault_masks=tuple(compiler.faults))


def _fault_message(error: FormulaError) -> str:
    """The fault alone: "division by zero" of "#Error!: division by zero at 1:7"."""
    message = error.message.removeprefix("#Error!: ")
    if error.line:
        message = message.removesuffix(f" at {error.line}:{error.column}")
    return message


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


@dataclass
class _Interpreted:
    values: dict[int, Value] = field(default_factory=dict)
    errors: dict[int, FormulaError] = field(default_factory=dict)
    faults: dict[int, str] = field(default_factory=dict)


def _interpret(
    compiled: CompiledFormula,
    frame: BulkFrame,
    rows: Sequence[int],
    now: datetime | None,
    zone: tzinfo,
) -> _Interpreted:
    done = _Interpreted()
    for row in rows:
        try:
            done.values[row] = compiled.evaluate(frame.records[row], now, tz=zone, errors="raise")
        except FormulaError as error:
            done.values[row] = None
            if error.code is ErrorCode.EVALUATION:
                done.faults[row] = _fault_message(error)
            else:
                done.errors[row] = error
    return done


def _bulk_faults(
    compiled: CompiledFormula,
    frame: BulkFrame,
    groups: pl.DataFrame,
    now: datetime | None,
    zone: tzinfo,
) -> dict[int, str]:
    """The message of every row the bulk path faulted (`groups`: one row per fault mask,
    with its rows), from the interpreter on the group's first row."""
    faults: dict[int, str] = {}
    for rows in groups.get_column("rows").to_list():
        probe = _interpret(compiled, frame, rows[:1], now, zone)
        message = probe.faults.get(rows[0], UNEXPLAINED_FAULT)
        faults.update(dict.fromkeys(rows, message))
    return faults


class BulkValues(Sequence[Value]):
    """A bulk result's values, one per row, made Python values only when first read: a pass
    reads every condition's true rows, but a message's merge fields only on the few rows
    whose alert it renders (making 70,000 Decimals costs more than the evaluation). The
    rows the interpreter decided (`overrides`) take precedence over the column."""

    def __init__(
        self, column: pl.Series, result_type: FormulaType, overrides: Mapping[int, Value]
    ) -> None:
        self._column = column * 100 if result_type is T.PERCENT else column
        self._text = result_type in (T.TEXT, T.PICKLIST, T.MULTIPICKLIST)
        self._overrides = dict(overrides)

    @cached_property
    def _values(self) -> list[Value]:
        values: list[Value] = self._column.to_list()
        if self._text:
            values = [None if v == "" else v for v in values]
        for row, value in self._overrides.items():
            values[row] = value
        return values

    def true_rows(self) -> list[int]:
        """The rows whose value is True, in order, without making every value."""
        if self._column.dtype != pl.Boolean:
            return [row for row, value in enumerate(self._values) if value is True]
        column_rows: list[int] = self._column.arg_true().to_list()
        if not self._overrides:
            return column_rows
        rows = set(column_rows)
        for row, value in self._overrides.items():
            if value is True:
                rows.add(row)
            else:
                rows.discard(row)
        return sorted(rows)

    def __len__(self) -> int:
        return len(self._column)

    @overload
    def __getitem__(self, index: int) -> Value: ...
    @overload
    def __getitem__(self, index: slice) -> list[Value]: ...
    def __getitem__(self, index: int | slice) -> Value | list[Value]:
        return self._values[index]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, BulkValues):
            return self._values == other._values
        return isinstance(other, list) and self._values == other

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(self._values)


def _first_fault(plan: BulkPlan) -> pl.Expr:
    """The index of the first fault mask a row is in, null where none (or the interpreter
    decides the row)."""
    assert plan.fallback is not None
    positions = [
        pl.when(mask).then(pl.lit(position, dtype=pl.UInt32))
        for position, mask in enumerate(plan.fault_masks)
    ]
    return pl.when(plan.fallback).then(None).otherwise(pl.coalesce(positions))


def _columns(plan: BulkPlan, index: int) -> list[pl.Expr]:
    assert plan.value is not None
    assert plan.fault is not None
    assert plan.fallback is not None
    columns = [
        pl.when(plan.fault).then(None).otherwise(plan.value).alias(f"v{index}"),
        plan.fallback.alias(f"f{index}"),
    ]
    if plan.fault_masks:
        columns.append(_first_fault(plan).alias(f"x{index}"))
    return columns


def _fault_groups(table: pl.DataFrame, plan: BulkPlan, index: int) -> pl.DataFrame | None:
    """The rows the bulk path faulted, grouped by their first fault mask (None: none did)."""
    if not plan.fault_masks:
        return None
    marks = table.select("_row", pl.col(f"x{index}").alias("mask")).drop_nulls("mask")
    if marks.is_empty():
        return None
    return marks.group_by("mask").agg(pl.col("_row").alias("rows")).sort("mask")


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
    # lazily: the optimiser computes the subexpressions the value, fault and fallback columns
    # share once (eagerly, each column recomputed its masks: twice as slow)
    table = base.lazy().select([row_index, *exprs]).collect()
    results: list[BulkResult] = []
    everything = range(frame.height)
    for index, plan in enumerate(plans):
        compiled = plan.compiled
        if not plan.native:
            done = _interpret(compiled, frame, everything, now, zone)
            interpreted: list[Value] = [done.values[row] for row in everything]
            results.append(BulkResult(interpreted, done.errors, frame.height, done.faults))
            continue
        rows = table.get_column(f"f{index}").arg_true().to_list()
        done = _interpret(compiled, frame, rows, now, zone)
        values = BulkValues(table.get_column(f"v{index}"), compiled.result_type, done.values)
        groups = _fault_groups(table, plan, index)
        faults = _bulk_faults(compiled, frame, groups, now, zone) if groups is not None else {}
        faults.update(done.faults)
        results.append(BulkResult(values, done.errors, len(rows), dict(sorted(faults.items()))))
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
