"""The fast column builders give exactly the reference conversion's Series (values and dtype,
so the scale too) and unfit rows, whatever the values; and they are the path taken for the
shapes the mirror holds."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rules.evaluation_columns import FEW, bulk_column, fast_column
from rules.formula.bulk_frame import column_from_raws
from rules.formula.types import FormulaType

T = FormulaType


def _same(name: str, kind: FormulaType, raws: list[object]) -> None:
    """bulk_column, and the fast path where it takes the values, give the reference's column
    (bulk_column converts few values one by one, like the reference)."""
    expected, expected_unfit = column_from_raws(name, kind, raws)
    fast = fast_column(name, kind, raws)
    for series, unfit in [bulk_column(name, kind, raws), *([fast] if fast else [])]:
        assert series.dtype == expected.dtype
        assert series.name == expected.name
        assert series.to_list() == expected.to_list()
        assert unfit == expected_unfit


numbers = st.one_of(
    st.none(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=-1e6, max_value=1e6).map(lambda x: round(x, 2)),
    st.decimals(allow_nan=False, allow_infinity=False, places=4, max_value=10**16),
    st.decimals(allow_nan=True, allow_infinity=True),
)
anything = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=12),
    st.sampled_from(["true", " False", "2026-02-30", "2026-01-05", " 2026-01-05", "0000-01-01",
                     "12.50", "1e3", "2026-01-05T10:00:00Z"]),
    st.dates(), st.datetimes(timezones=st.just(UTC)),
    st.lists(st.text(max_size=3), max_size=2),
)  # fmt: skip


@pytest.mark.parametrize("kind", [T.NUMBER, T.CURRENCY, T.PERCENT])
@settings(max_examples=150, deadline=None)
@given(raws=st.lists(numbers, max_size=12))
def test_numbers_of_every_shape_convert_as_the_reference_does(
    kind: FormulaType, raws: list[object]
) -> None:
    _same("Amount", kind, raws)


# Columns as the mirror gives them: all ints and floats, or all Decimals (money columns).
# (Floats of 1e16 and more, or below 1e-4, print with an exponent: left to the reference.)
@pytest.mark.parametrize("kind", [T.NUMBER, T.CURRENCY, T.PERCENT])
@settings(max_examples=150, deadline=None)
@given(
    raws=st.one_of(
        st.lists(st.one_of(st.none(), st.integers(-(10**18), 10**18),
                           st.floats(-1e15, 1e15).map(lambda x: round(x, 3))), max_size=12),
        st.lists(st.one_of(st.none(), st.decimals(places=3, min_value=-(10**17),
                                                  max_value=10**17)), max_size=12),
    )
)  # fmt: skip
def test_uniform_number_columns_take_the_fast_path(kind: FormulaType, raws: list[object]) -> None:
    _same("Amount", kind, raws)
    assert fast_column("Amount", kind, raws) is not None


@pytest.mark.parametrize(
    "kind", [T.TEXT, T.PICKLIST, T.MULTIPICKLIST, T.CHECKBOX, T.DATE, T.DATETIME, T.TIME]
)
@settings(max_examples=150, deadline=None)
@given(raws=st.lists(anything, max_size=10))
def test_any_values_convert_as_the_reference_does(kind: FormulaType, raws: list[object]) -> None:
    _same("Field__c", kind, raws)


@pytest.mark.parametrize(
    ("kind", "raws"),
    [
        (T.TEXT, ["Acme", None, "", "Ünïcode"]),
        (T.PICKLIST, ["Prospecting", None]),
        (T.CHECKBOX, [True, False, None]),
        (T.DATE, ["2026-01-05", None, "2026-02-30", "0000-01-01"]),
        (T.DATE, [date(2026, 1, 5), None]),
        (T.DATETIME, [datetime(2026, 1, 5, 23, 30, tzinfo=UTC), None,
                      datetime(2026, 1, 5, 8, tzinfo=timezone(timedelta(hours=-8)))]),
        (T.CURRENCY, [Decimal("392489.29"), Decimal("200000.00"), None, Decimal("-0.00"),
                      Decimal("1234567890123456.78")]),
        (T.NUMBER, [1, 2.5, None, 200000.0, 0.1 + 0.2, -3, 10**15, 999999999999999]),
        (T.PERCENT, [12.5, 10, 1200, None, 5, 0.5, -7, 10**17, 99999999999999999]),
    ],
)  # fmt: skip
def test_edge_values_of_the_mirror_take_the_fast_path(
    kind: FormulaType, raws: list[object]
) -> None:
    _same("Field__c", kind, raws)
    assert fast_column("Field__c", kind, raws) is not None


def test_values_of_another_shape_are_left_to_the_reference() -> None:
    # a JSON true in a text field, "true" in a checkbox, a padded date, numbers as text
    assert fast_column("F", T.TEXT, ["a", True]) is None
    assert fast_column("F", T.CHECKBOX, [True, "true"]) is None
    assert fast_column("F", T.DATE, [" 2026-01-05"]) is None
    assert fast_column("F", T.NUMBER, ["12.50", 3]) is None
    assert fast_column("F", T.NUMBER, [1e-05]) is None  # an exponent
    assert fast_column("F", T.NUMBER, [True]) is None
    # a percent of more digits than Decimal division keeps: the reference rounds it
    many_digits = [Decimal("148117351724.094553266346478724")] * FEW
    assert fast_column("F", T.PERCENT, many_digits) is None
    _same("F", T.PERCENT, many_digits)
    series, unfit = bulk_column("F", T.TEXT, ["a", True])
    assert (series.to_list(), unfit) == (["a", ""], frozenset({1}))


def test_many_values_take_the_fast_path_in_bulk_column() -> None:
    raws: list[object] = [12.5, None, 3, 0.25] * (FEW // 2)
    assert bulk_column("P", T.PERCENT, raws)[0].equals(column_from_raws("P", T.PERCENT, raws)[0])


def test_an_empty_column_has_the_reference_dtype() -> None:
    for kind in T:
        _same("F", kind, [])
    assert bulk_column("F", T.CURRENCY, [None])[0].dtype == pl.Decimal(38, 0)
