"""The mirror as the bulk evaluator reads it: one Polars frame built once, plus the records.

`frame_from_records(records, fields)` converts every value once, with the interpreter's own
`values.from_record`, into a column of the field's formula type:

checkbox -> Boolean (blank is false, as in the interpreter); number, currency, percent ->
Decimal(38, s) with s the largest scale in the column (percent as a fraction, like the
interpreter); date -> Date; datetime -> Datetime("us", "UTC"); time -> Time; text, picklist,
multipicklist -> String with blank as "" (the interpreter makes no difference between them).

A value the bulk path cannot hold exactly is marked, not approximated: a value that is not
valid for its field (the interpreter raises bad_record_value), a number of 10^15 or more, or
one with more than 18 decimal places. Rows with a mark in a field a formula reads are
evaluated by the interpreter instead (`BulkFrame.unfit`).

The original records are kept: rows the bulk path hands to the interpreter are evaluated on
exactly what the interpreter would see.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import polars as pl

from rules.formula.checker import Catalog
from rules.formula.errors import ErrorCode, FormulaError
from rules.formula.types import NUMERIC_TYPES, TEXTUAL_TYPES, FormulaType
from rules.formula.values import from_record

T = FormulaType
MAX_SCALE = 18  # decimal places a bulk number may carry
LIMIT = Decimal("1e15")  # |number| below this: every bulk number has at most 33 digits
NUMERIC = NUMERIC_TYPES
TEXTUAL = TEXTUAL_TYPES


def decimal_dtype(scale: int) -> pl.Decimal:
    return pl.Decimal(38, scale)


def dtype_of(formula_type: FormulaType, scale: int = 0) -> pl.DataType:
    if formula_type is T.CHECKBOX:
        return pl.Boolean()
    if formula_type in NUMERIC:
        return decimal_dtype(scale)
    if formula_type is T.DATE:
        return pl.Date()
    if formula_type is T.DATETIME:
        return pl.Datetime("us", "UTC")
    if formula_type is T.TIME:
        return pl.Time()
    if formula_type is T.NULL:
        return pl.Null()
    return pl.String()


@dataclass(frozen=True)
class BulkFrame:
    """Columns by catalog spelling, the field types, the rows unfit for the bulk path per
    field, and the records themselves."""

    frame: pl.DataFrame
    types: Mapping[str, FormulaType]
    unfit: Mapping[str, frozenset[int]] = field(default_factory=dict)
    records: Sequence[Mapping[str, Any]] = ()

    @property
    def height(self) -> int:
        return len(self.records) if self.records else self.frame.height


def scale_of(number: Decimal) -> int:
    """Decimal places of `number`; beyond MAX_SCALE for NaN and infinities."""
    exponent = number.as_tuple().exponent
    return max(-exponent, 0) if isinstance(exponent, int) else MAX_SCALE + 1


def _fits(number: Decimal) -> bool:
    return abs(number) < LIMIT and scale_of(number) <= MAX_SCALE


def raw_value(record: Mapping[str, Any], name: str) -> object:
    """The value of `name` in `record`, its key matched ignoring case (None when absent)."""
    if name in record:
        return record[name]
    lowered = name.lower()
    for key, value in record.items():
        if str(key).lower() == lowered:
            return value
    return None


def column_from_raws(
    name: str, formula_type: FormulaType, raws: Sequence[object]
) -> tuple[pl.Series, frozenset[int]]:
    """The bulk column of one field from its record values, and the rows unfit for it: the
    reference conversion (`rules.evaluation_columns` has faster equivalents for common shapes)."""
    values: list[object] = []
    unfit: set[int] = set()
    for row, raw in enumerate(raws):
        try:
            value = from_record(name, formula_type, raw)
        except FormulaError:
            unfit.add(row)
            value = None
        if isinstance(value, Decimal) and not _fits(value):
            unfit.add(row)
            value = None
        if formula_type in TEXTUAL and value is None:
            value = ""
        values.append(value)
    scale = 0
    if formula_type in NUMERIC:
        scale = max((scale_of(v) for v in values if isinstance(v, Decimal)), default=0)
    series = pl.Series(name, values, dtype=dtype_of(formula_type, scale), strict=False)
    return series, frozenset(unfit)


def frame_from_records(
    records: Sequence[Mapping[str, Any]], fields: Mapping[str, str]
) -> BulkFrame:
    """Build the bulk frame of `records` for the field catalog `fields` (name -> Salesforce
    type, as given to `compile_formula`). Record keys are matched ignoring case."""
    catalog = Catalog(fields)
    _check_records(records)
    columns: list[pl.Series] = []
    types: dict[str, FormulaType] = {}
    unfit: dict[str, frozenset[int]] = {}
    for name in fields:
        found = catalog.lookup(name)
        if found is None:  # pragma: no cover - every catalog entry looks itself up
            continue
        spelling, formula_type = found
        raws = [
            record[spelling] if spelling in record else raw_value(record, spelling)
            for record in records
        ]
        series, bad = column_from_raws(spelling, formula_type, raws)
        columns.append(series)
        types[spelling] = formula_type
        if bad:
            unfit[spelling] = bad
    return BulkFrame(pl.DataFrame(columns), types, unfit, records)


def _check_records(records: object) -> None:
    """Records are a sequence of mappings, as `CompiledFormula.evaluate` requires of each."""
    if not isinstance(records, Sequence) or isinstance(records, str | bytes):
        raise FormulaError(ErrorCode.BAD_RECORD_VALUE, "records must be a sequence of mappings")
    for row, record in enumerate(records):
        if not isinstance(record, Mapping):
            raise FormulaError(ErrorCode.BAD_RECORD_VALUE, f"record {row} must be a mapping")


def frame_from_columns(
    columns: Mapping[str, Sequence[Any]], fields: Mapping[str, str]
) -> BulkFrame:
    """The same from column lists (`{"Amount": [1, None], ...}`), all of one length."""
    if not all(isinstance(v, Sequence) and not isinstance(v, str) for v in columns.values()):
        raise FormulaError(ErrorCode.BAD_RECORD_VALUE, "every column must be a list of values")
    lengths = {len(values) for values in columns.values()}
    if len(lengths) > 1:
        raise FormulaError(
            ErrorCode.BAD_RECORD_VALUE, f"columns of different lengths: {sorted(lengths)}"
        )
    height = lengths.pop() if lengths else 0
    records = [{name: values[row] for name, values in columns.items()} for row in range(height)]
    return frame_from_records(records, fields)
