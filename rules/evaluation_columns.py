"""Bulk columns built from whole columns of record values at once: the same Series and unfit
rows as `rules.formula.bulk_frame.column_from_raws` (the reference, which converts every value
with the interpreter's `from_record`), for the shapes the mirror holds, in a fraction of the
time. A column with any other shape (numbers as text, checkboxes as "true", padded dates...)
is handed to the reference whole, so the two never differ; tests hold them equal.

- text, picklist: every value a str or None -> one strict String Series, blank as "".
- checkbox: every value a bool or None -> one strict Boolean Series, blank as false.
- number, currency, percent: every value an int, a float or a Decimal (not a bool) -> each
  value spelled exactly once (repr of a float is the digits from_record reads, an integral
  float is an int), cast to Decimal by Polars at the column's scale. The scale is the largest
  *fewest decimals* of a fitting value: from_record strips trailing zeros and Decimal division
  by 100 (percent) keeps the fewest decimals that are exact.
- date: date objects, or "YYYY-MM-DD" text parsed by Polars (an impossible date is unfit, as
  date.fromisoformat refuses it).
- datetime: aware datetime objects (the mirror's UTC columns).
"""

from __future__ import annotations

import decimal
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import cast

import polars as pl

from rules.formula.bulk_frame import LIMIT, MAX_SCALE, column_from_raws, decimal_dtype
from rules.formula.types import NUMERIC_TYPES, FormulaType

T = FormulaType
Column = tuple[pl.Series, frozenset[int]]
# Fewer values than this convert faster one by one (a Polars query costs about 0.1 ms): what
# a pass over one opportunity reads.
FEW = 200
ISO_DATE = r"^\d{4}-\d{2}-\d{2}$"
# |number| < LIMIT: at most this many integer digits (a percent: 2 more, read as a fraction)
LIMIT_DIGITS = len(str(int(LIMIT))) - 1


class _Unhandled(Exception):
    """A value of a shape the fast path leaves to the reference conversion."""


def bulk_column(name: str, formula_type: FormulaType, raws: Sequence[object]) -> Column:
    """`column_from_raws(name, formula_type, raws)`, faster where it can be."""
    if len(raws) < FEW:
        return column_from_raws(name, formula_type, raws)
    fast = fast_column(name, formula_type, raws)
    return column_from_raws(name, formula_type, raws) if fast is None else fast


def fast_column(name: str, formula_type: FormulaType, raws: Sequence[object]) -> Column | None:
    """The column by a fast path, None when the values have a shape it leaves to the
    reference."""
    fast = _numeric if formula_type in NUMERIC_TYPES else _FAST.get(formula_type)
    if fast is None:
        return None
    try:
        return fast(name, formula_type, raws)
    except (_Unhandled, TypeError):  # TypeError: a strict Series refused a value's type
        return None


def _textual(name: str, _: FormulaType, raws: Sequence[object]) -> Column:
    return pl.Series(name, raws, dtype=pl.String(), strict=True).fill_null(""), frozenset()


def _checkbox(name: str, _: FormulaType, raws: Sequence[object]) -> Column:
    return pl.Series(name, raws, dtype=pl.Boolean(), strict=True).fill_null(False), frozenset()


def _spellings(raws: Sequence[object]) -> pl.Series:
    """Each number as the decimal text from_record reads: a float's repr, an int, a Decimal's
    digits; _Unhandled for any other shape."""
    kinds = {type(raw) for raw in raws} - {type(None)}
    if kinds <= {int, float}:
        return pl.Series([None if raw is None else repr(raw) for raw in raws], dtype=pl.String())
    if kinds == {Decimal}:
        return pl.Series([None if raw is None else str(raw) for raw in raws], dtype=pl.String())
    raise _Unhandled(str(kinds))


def _numeric(name: str, formula_type: FormulaType, raws: Sequence[object]) -> Column:
    percent = formula_type is T.PERCENT
    raw = pl.col("raw")
    text = (
        pl.when(raw.str.contains(".", literal=True))
        .then(
            raw.str.strip_chars_end("0").str.strip_chars_end(".")  # 200000.0 is 200000
        )
        .otherwise(raw)
    )
    parts = pl.col("text").str.split_exact(".", 1)
    whole = parts.struct.field("field_0").str.strip_chars_start("-")
    decimals = parts.struct.field("field_1").str.len_chars().fill_null(0)
    if percent:  # read as a fraction: 12.5 -> 0.125, 10 -> 0.1, 1200 -> 12
        tail = whole.str.zfill(2).str.slice(-2)
        integral = pl.when(tail == "00").then(0).when(tail.str.ends_with("0")).then(1).otherwise(2)
        places = pl.when(decimals > 0).then(decimals + 2).otherwise(integral)
    else:
        places = decimals
    bound = LIMIT_DIGITS + 2 if percent else LIMIT_DIGITS
    fits = (places <= MAX_SCALE) & (whole.str.len_chars() <= bound)
    table = (
        pl.DataFrame({"raw": _spellings(raws)})
        .lazy()
        # Left to the reference: exponents, nan, inf (repr of 1e-05, str of Decimal("1E+3"));
        # and, for a percent, more digits than Decimal division keeps (from_record divides
        # by 100 in the current context, rounding to its precision: 28 digits by default).
        .with_columns(
            odd=raw.str.contains(r"[^0-9.\-]")
            | (percent & (raw.str.count_matches(r"[0-9]") > decimal.getcontext().prec)),
            text=text,
        )
        .with_columns(decimals=decimals, places=places, fits=pl.col("text").is_null() | fits)
        .collect()
    )
    if table.get_column("odd").any():
        raise _Unhandled("a number in scientific notation or not finite")
    fitting = table.filter(pl.col("fits") & pl.col("text").is_not_null())
    read_scale = _largest(fitting.get_column("decimals"))
    scale = _largest(fitting.get_column("places"))
    kept = table.select(pl.when(pl.col("fits")).then(pl.col("text"))).to_series()
    unfit = frozenset((~table.get_column("fits")).arg_true().to_list())
    if percent:
        widened = kept.cast(decimal_dtype(read_scale + 2))
        series = (widened / pl.Series([Decimal(100)], dtype=decimal_dtype(0))).cast(
            decimal_dtype(scale)
        )
    else:
        series = kept.cast(decimal_dtype(read_scale))
    return series.alias(name), unfit


def _largest(counts: pl.Series) -> int:
    return 0 if counts.is_empty() else int(counts.cast(pl.Int64).max() or 0)  # type: ignore[arg-type]


def _date(name: str, _: FormulaType, raws: Sequence[object]) -> Column:
    kinds = {type(raw) for raw in raws} - {type(None)}
    if kinds <= {date}:
        return pl.Series(name, raws, dtype=pl.Date(), strict=True), frozenset()
    if kinds != {str}:
        raise _Unhandled(str(kinds))
    texts = pl.Series(name, raws, dtype=pl.String())
    if not texts.drop_nulls().str.contains(ISO_DATE).all():
        raise _Unhandled("a date that is not YYYY-MM-DD")
    dates = texts.str.to_date("%Y-%m-%d", strict=False)
    # year 0 parses in Polars; date.fromisoformat refuses it, like February 30
    refused = texts.is_not_null() & (dates.is_null() | texts.str.starts_with("0000"))
    unfit = frozenset(refused.arg_true().to_list())
    if unfit:
        dates = dates.scatter(sorted(unfit), None)
    return dates, unfit


def _datetime(name: str, _: FormulaType, raws: Sequence[object]) -> Column:
    for raw in raws:
        if raw is not None and (type(raw) is not datetime or raw.utcoffset() is None):
            raise _Unhandled(type(raw).__name__)
    moments = [None if raw is None else cast(datetime, raw).astimezone(UTC) for raw in raws]
    return pl.Series(name, moments, dtype=pl.Datetime("us", "UTC"), strict=True), frozenset()


_FAST: dict[FormulaType, Callable[[str, FormulaType, Sequence[object]], Column]] = {
    T.TEXT: _textual,
    T.PICKLIST: _textual,
    T.CHECKBOX: _checkbox,
    T.DATE: _date,
    T.DATETIME: _datetime,
}
