"""Targeted bulk-path cases per function family: each is checked against the interpreter and
against the value Salesforce documents."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import polars as pl
import pytest

from rules.formula import ErrorCode, FormulaError, compile_formula
from rules.formula.bulk import evaluate_bulk, evaluate_bulk_many, plan_bulk
from rules.formula.bulk_frame import frame_from_records

NOW = datetime(2026, 6, 15, 14, 30, tzinfo=UTC)
FIELDS = {
    "Amount": "currency",
    "Qty": "number",
    "Probability": "percent",
    "CloseDate": "date",
    "Created": "datetime",
    "Name": "string",
    "Stage": "picklist",
    "Tags": "multipicklist",
    "Flag": "checkbox",
}


def _bulk(text: str, rows: list[dict[str, Any]]) -> list[Any]:
    compiled = compile_formula(text, FIELDS)
    frame = frame_from_records(rows, FIELDS)
    assert plan_bulk(compiled, frame, NOW).native, text
    result = evaluate_bulk(compiled, frame, NOW)
    assert result.values == [compiled.evaluate(row, NOW) for row in rows], text
    return result.values


CASES: list[tuple[str, list[dict[str, Any]], list[Any]]] = [
    # blanks stay blank; comparisons with a blank are unknown (None) and never fire
    ("Amount + 1", [{"Amount": None}, {"Amount": 1.5}], [None, Decimal("2.5")]),
    ("Amount > 100", [{"Amount": None}, {"Amount": 101}], [None, True]),
    ("Amount = Qty", [{}, {"Amount": 1}], [True, None]),
    ("Name = ''", [{"Name": None}, {"Name": ""}, {"Name": "x"}], [True, True, False]),
    ("AND(Amount > 1, FALSE)", [{}], [False]),
    ("OR(Amount > 1, TRUE)", [{}], [True]),
    ("NOT(Amount > 1)", [{}], [None]),
    ("IF(Amount > 1, 'big', 'small')", [{}, {"Amount": 5}], ["small", "big"]),
    ("ISBLANK(Name) && ISBLANK(Amount) && NOT(ISBLANK(Flag))", [{}], [True]),
    ("BLANKVALUE(Amount, 0) + 1", [{}, {"Amount": 2}], [Decimal(1), Decimal(3)]),
    ("NULLVALUE(Name, 'x')", [{}], [None]),  # text is never null
    # decimal, not binary float
    ("0.1 + 0.2 = 0.3", [{}], [True]),
    ("Amount * 3 = 0.3", [{"Amount": 0.1}], [True]),
    ("Probability", [{"Probability": 12.5}], [Decimal("12.5")]),
    ("Probability * 2 > 0.2", [{"Probability": 12.5}], [True]),
    # rounding as Salesforce documents it
    ("ROUND(Amount, 0)", [{"Amount": 2.5}, {"Amount": -2.5}], [Decimal(3), Decimal(-3)]),
    ("ROUND(Amount, -2)", [{"Amount": 250}, {"Amount": -149.9}], [Decimal(300), Decimal(-100)]),
    ("FLOOR(Amount)", [{"Amount": -2.5}], [Decimal(-2)]),
    ("CEILING(Amount)", [{"Amount": -2.5}], [Decimal(-3)]),
    ("MFLOOR(Amount)", [{"Amount": -2.5}], [Decimal(-3)]),
    ("TRUNC(Amount, 1)", [{"Amount": -2.56}], [Decimal("-2.5")]),
    ("MOD(Amount, 3)", [{"Amount": -5}, {"Amount": 5}], [Decimal(-2), Decimal(2)]),
    ("MAX(Amount, Qty)", [{"Amount": 1}, {"Amount": 1, "Qty": 4}], [None, Decimal(4)]),
    # #Error!: the whole formula is blank for that record, only where it is evaluated
    ("Amount / Qty > 1", [{"Amount": 1, "Qty": 0}, {"Amount": 3, "Qty": 2}], [None, True]),
    ("IF(Qty = 0, 0, Amount / Qty)", [{"Amount": 1, "Qty": 0}], [Decimal(0)]),
    ("OR(TRUE, 1 / Qty > 1)", [{"Qty": 0}], [True]),
    ("OR(FALSE, 1 / Qty > 1)", [{"Qty": 0}], [None]),
    ("SQRT(Amount) > 1", [{"Amount": -4}, {"Amount": 4}], [None, True]),
    # inexact quotients: decided natively unless a tie is possible
    ("Amount / 3 > 33", [{"Amount": 100}, {"Amount": 99}], [True, False]),
    ("ROUND(Amount / 3, 2)", [{"Amount": 100}], [Decimal("33.33")]),
    ("FLOOR(Qty / 7) >= 6", [{"Qty": 42}, {"Qty": 41}], [True, False]),
    # text
    ("LEN(Name) + FIND('b', Name)", [{"Name": "ébc"}, {}], [Decimal(5), Decimal(0)]),
    ("UPPER(LEFT(Name, 2)) & RIGHT(Name, 1)", [{"Name": "abc"}], ["ABc"]),
    ("TRIM(Name)", [{"Name": "  "}], [None]),
    ("CONTAINS(Name, '') && BEGINS(Name, 'A')", [{"Name": "Acme"}], [True]),
    ("SUBSTITUTE(Name, 'a', 'xy')", [{"Name": "banana"}], ["bxynxynxy"]),
    ("REGEX(Name, '[A-Z][a-z]+')", [{"Name": "Acme"}, {"Name": "Acme!"}], [True, False]),
    ("ISPICKVAL(Stage, 'Won') || INCLUDES(Tags, 'b')", [{"Tags": "a;b"}, {}], [True, False]),
    ("CASE(Stage, 'A', 1, 'B', 2, 0)", [{"Stage": "B"}, {}], [Decimal(2), Decimal(0)]),
    ("TEXT(Stage) & TEXT(CloseDate) & TEXT(Flag)", [{"Stage": "A"}], ["Afalse"]),
    # dates
    ("CloseDate < TODAY()", [{"CloseDate": "2026-06-14"}, {}], [True, None]),
    ("CloseDate + 1.9", [{"CloseDate": "2024-02-28"}], [date(2024, 2, 29)]),
    ("CloseDate - 1.9", [{"CloseDate": "2024-03-01"}], [date(2024, 2, 29)]),
    ("ADDMONTHS(CloseDate, 1)", [{"CloseDate": "2024-02-29"}], [date(2024, 3, 31)]),
    ("ADDMONTHS(CloseDate, 1)", [{"CloseDate": "2024-01-30"}], [date(2024, 2, 29)]),
    ("TODAY() - CloseDate", [{"CloseDate": "2026-06-01"}], [Decimal(14)]),
    ("NOW() - Created > 0.5", [{"Created": "2026-06-15T02:30:00Z"}], [False]),
    (
        "Created + 0.5",
        [{"Created": "2026-06-15T02:30:00Z"}],
        [datetime(2026, 6, 15, 14, 30, tzinfo=UTC)],
    ),
    ("WEEKDAY(CloseDate)", [{"CloseDate": "2026-06-14"}], [Decimal(1)]),  # a Sunday
    ("DATE(2024, Qty, 30)", [{"Qty": 2}, {"Qty": 4}], [None, date(2024, 4, 30)]),
    ("DAYS_SINCE(Created)", [{"Created": "2026-06-10T23:00:00Z"}], [Decimal(5)]),
]


@pytest.mark.parametrize(("text", "rows", "expected"), CASES, ids=[c[0] for c in CASES])
def test_bulk_case(text: str, rows: list[dict[str, Any]], expected: list[Any]) -> None:
    assert _bulk(text, rows) == expected


def test_constant_formula_gives_one_value_per_row() -> None:
    assert _bulk("1 + 1", [{}, {}, {}]) == [Decimal(2)] * 3


def test_bad_record_value_is_the_interpreters_error_for_that_row_only() -> None:
    compiled = compile_formula("Amount > 1", FIELDS)
    result = evaluate_bulk(compiled, frame_from_records([{"Amount": "abc"}, {"Amount": 2}], FIELDS))
    assert result.values == [None, True]
    assert result.errors[0].code is ErrorCode.BAD_RECORD_VALUE
    assert list(result.errors) == [0]


def test_numbers_beyond_the_bulk_range_go_to_the_interpreter() -> None:
    rows = [{"Amount": 10**14, "Qty": 10**14}, {"Amount": 2, "Qty": 3}]
    compiled = compile_formula("Amount * Qty", FIELDS)
    result = evaluate_bulk(compiled, frame_from_records(rows, FIELDS), NOW)
    assert result.values == [Decimal(10**28), Decimal(6)]
    assert result.fallback_rows == 1


def test_interpreter_only_functions_still_agree() -> None:
    rows = [{"Name": "12.50"}, {"Name": "x"}]
    compiled = compile_formula("VALUE(Name) > 12", FIELDS)
    frame = frame_from_records(rows, FIELDS)
    assert not plan_bulk(compiled, frame, NOW).native
    assert evaluate_bulk(compiled, frame, NOW).values == [True, None]


def test_formula_reading_the_clock_needs_now() -> None:
    compiled = compile_formula("CloseDate < TODAY()", FIELDS)
    with pytest.raises(FormulaError) as caught:
        evaluate_bulk(compiled, frame_from_records([{}], FIELDS))
    assert caught.value.code is ErrorCode.MISSING_NOW


def test_frame_and_column_dict_inputs() -> None:
    compiled = compile_formula("Amount > 1", FIELDS)
    assert evaluate_bulk(compiled, {"Amount": [0, 5, None]}).values == [False, True, None]
    assert evaluate_bulk(compiled, pl.DataFrame({"Amount": [0.5, 5.0]})).values == [False, True]


def test_many_formulas_in_one_query() -> None:
    formulas = [compile_formula(t, FIELDS) for t in ("Amount > 1", "ISBLANK(Name)", "1/0")]
    frame = frame_from_records([{"Amount": 2}, {"Name": "x"}], FIELDS)
    results = evaluate_bulk_many(formulas, frame, NOW)
    assert [r.values for r in results] == [[True, None], [True, False], [None, None]]
