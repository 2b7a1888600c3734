"""Hostile records, clocks and containers: every entry point answers a value or FormulaError,
never another exception (each case below once escaped as OverflowError, AttributeError,
TypeError or ValueError, or was silently misread)."""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from rules.formula import ErrorCode, FormulaError, compile_formula
from rules.formula.bulk import evaluate_bulk
from rules.formula.bulk_frame import frame_from_records
from rules.formula.templates import compile_template

NOW = datetime(2026, 6, 15, 14, 30, tzinfo=UTC)
FIELDS = {
    "Amount": "currency",
    "Rate": "percent",
    "CloseDate": "date",
    "CreatedDate": "datetime",
    "Start": "time",
    "Name": "string",
    "StageName": "picklist",
    "Tags": "multipicklist",
    "IsWon": "checkbox",
}
FORMULAS = [
    "Amount * Rate / 3 > 1",
    "TEXT(CreatedDate) & TEXT(CloseDate) & TEXT(Amount)",
    "DATEVALUE(CreatedDate) - CloseDate",
    "NOW() - CreatedDate",
    "ADDMONTHS(CreatedDate, 1)",
    "CloseDate + Amount",
    "Start + 1000",
    "VALUE(Name) + LEN(Name)",
    "IF(IsWon, TEXT(StageName), Name)",
    "INCLUDES(Tags, 'a')",
]
EAST, WEST = timezone(timedelta(hours=5)), timezone(timedelta(hours=-5))
HOSTILE: list[Any] = [
    None, True, 0, -1, 10**20, 1e308, float("nan"), float("inf"), 5e-324, Decimal("NaN"),
    Decimal("sNaN"), Decimal("-Infinity"), Decimal("1e999999"), "", " ", "1e5", "NaN",
    "x" * 200_000, "2026-06-15", "2026-06-15T10:00:00", "9999-12-31T23:59:59-05:00",
    "0001-01-01T00:00:00+05:00",
    "24:00:00", date(1, 1, 1), date(9999, 12, 31), datetime(9999, 12, 31, 23, 59, 59),
    datetime(1, 1, 1, tzinfo=EAST), datetime(9999, 12, 31, 23, tzinfo=WEST),
    time(23, 59, 59, 999999),
    [], ["a", 1], {"a": 1}, b"abc", object(),
]  # fmt: skip


def _only_formula_errors(call: Any) -> None:
    with contextlib.suppress(FormulaError):
        call()


@pytest.mark.parametrize("text", FORMULAS)
def test_hostile_record_values(text: str) -> None:
    formula = compile_formula(text, FIELDS)
    for value in HOSTILE:
        record = dict.fromkeys(FIELDS, value)
        _only_formula_errors(lambda r=record: formula.evaluate(r, now=NOW, errors="raise"))
        _only_formula_errors(
            lambda r=record: evaluate_bulk(formula, frame_from_records([r, {}], FIELDS), NOW)
        )


def test_a_datetime_in_year_10000_utc_is_a_bad_record_value() -> None:
    formula = compile_formula("CreatedDate", FIELDS)
    for value in ("9999-12-31T23:59:59-05:00", datetime(9999, 12, 31, 23, tzinfo=WEST)):
        with pytest.raises(FormulaError) as caught:
            formula.evaluate({"CreatedDate": value})
        assert caught.value.code == ErrorCode.BAD_RECORD_VALUE


@pytest.mark.parametrize(
    "now", ["2026-06-15", 1_750_000_000, date(2026, 6, 15), datetime(1, 1, 1, tzinfo=EAST)]
)
def test_an_unusable_now_is_a_formula_error(now: Any) -> None:
    formula = compile_formula("Amount > 1", FIELDS)
    for run in (
        lambda: formula.evaluate({}, now=now),
        lambda: evaluate_bulk(formula, frame_from_records([{}], FIELDS), now),
        lambda: compile_template("{!Amount}", FIELDS).render({}, now),
    ):
        with pytest.raises(FormulaError) as caught:
            run()
        assert caught.value.code == ErrorCode.MISSING_NOW


def test_naive_now_is_utc_in_both_paths() -> None:
    formula = compile_formula("TEXT(NOW())", FIELDS)
    naive = datetime(2026, 6, 15, 14, 30)
    assert formula.evaluate({}, now=naive) == "2026-06-15 14:30:00Z"
    assert evaluate_bulk(formula, {"Amount": [1]}, naive).values == ["2026-06-15 14:30:00Z"]


def test_years_below_1000_keep_four_digits() -> None:
    # strftime("%Y") gives "1" for year 1 on Linux; Salesforce's TEXT has a four-digit year
    formula = compile_formula("TEXT(CreatedDate)", FIELDS)
    assert formula.evaluate({"CreatedDate": "0001-02-03T04:05:06Z"}) == "0001-02-03 04:05:06Z"
    template = compile_template("{!CreatedDate}", FIELDS)
    assert template.render({"CreatedDate": "0099-02-03T04:05:06Z"}) == "0099-02-03 04:05 UTC"


@pytest.mark.parametrize(
    "frame",
    [
        5,
        "Amount",
        {"Amount": [1, 2], "Name": ["a"]},  # silently cut to one row before
        {"Amount": 5},
    ],
    ids=["int", "str", "ragged-columns", "scalar-column"],
)
def test_bulk_rejects_what_is_not_a_table(frame: Any) -> None:
    formula = compile_formula("Amount + LEN(Name)", FIELDS)
    with pytest.raises(FormulaError) as caught:
        evaluate_bulk(formula, frame, NOW)
    assert caught.value.code == ErrorCode.BAD_RECORD_VALUE


@pytest.mark.parametrize("records", [5, "ab", [{"Amount": 1}, 7], [None]])
def test_bulk_frame_needs_a_sequence_of_mappings(records: Any) -> None:
    with pytest.raises(FormulaError) as caught:
        frame_from_records(records, FIELDS)
    assert caught.value.code == ErrorCode.BAD_RECORD_VALUE


def test_template_must_be_text() -> None:
    with pytest.raises(FormulaError) as caught:
        compile_template(None, FIELDS)  # type: ignore[arg-type]
    assert caught.value.code == ErrorCode.SYNTAX
