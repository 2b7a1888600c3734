"""Which rows are #Error!: the bulk path (`BulkResult.faults`) names exactly the rows where the
interpreter raises its evaluation error, with the interpreter's message."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rules.formula import ErrorCode, FormulaError, compile_formula
from rules.formula.bulk import BulkResult, evaluate_bulk, evaluate_bulk_many, plan_bulk
from rules.formula.bulk_frame import frame_from_records
from tests.rules.formula.formula_strategies import FIELDS, NOW, formulas, records

pytestmark = pytest.mark.sqlite_only

SETTINGS = settings(
    max_examples=500,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def _interpreter_faults(text: str, rows: list[dict[str, Any]]) -> dict[int, str]:
    compiled = compile_formula(text, FIELDS)
    faults: dict[int, str] = {}
    for row, record in enumerate(rows):
        try:
            compiled.evaluate(record, NOW, errors="raise")
        except FormulaError as error:
            if error.code is ErrorCode.EVALUATION:
                faults[row] = error.message
    return faults


@SETTINGS
@given(text=formulas(), rows=st.lists(records(), min_size=1, max_size=12))
def test_bulk_faults_are_the_interpreters(text: str, rows: list[dict[str, Any]]) -> None:
    compiled = compile_formula(text, FIELDS)
    bulk = evaluate_bulk(compiled, frame_from_records(rows, FIELDS), NOW)
    expected = _interpreter_faults(text, rows)
    assert sorted(bulk.faults) == sorted(expected), (text, rows, bulk.faults, expected)


CATALOG = {"Amount": "currency", "Qty": "double", "Name": "string", "CloseDate": "date"}


def _bulk(text: str, rows: list[dict[str, Any]]) -> BulkResult:
    compiled = compile_formula(text, CATALOG)
    return evaluate_bulk(compiled, frame_from_records(rows, CATALOG), NOW)


def test_rows_dividing_by_zero_are_counted_with_the_interpreters_message() -> None:
    rows = [{"Amount": 10, "Qty": 0}, {"Amount": 10, "Qty": 2}, {"Amount": 3, "Qty": 0}]
    result = _bulk("Amount / Qty > 1", rows)
    assert result.values == [None, True, None]
    assert result.faults == {0: "division by zero", 2: "division by zero"}
    assert result.fallback_rows == 0  # the bulk path decided every row
    assert result.fault_summary() == "2 records could not be evaluated: division by zero"


def test_each_kind_of_fault_keeps_its_own_message() -> None:
    rows = [{"Amount": 4, "Qty": 0}, {"Amount": -4, "Qty": 1}, {"Amount": 4, "Qty": 1}]
    result = _bulk("SQRT(Amount) + Amount / Qty > 0", rows)
    assert result.faults == {0: "division by zero", 1: "SQRT of a negative number"}
    assert result.fault_summary() == (
        "2 records could not be evaluated: division by zero (and 1 other reason)"
    )


def test_rows_the_interpreter_evaluates_are_counted_too() -> None:
    rows = [{"Name": "12.5"}, {"Name": "twelve"}, {"Name": None}]
    compiled = compile_formula("VALUE(Name) > 12", CATALOG)
    frame = frame_from_records(rows, CATALOG)
    assert not plan_bulk(compiled, frame, NOW).native
    result = evaluate_bulk(compiled, frame, NOW)
    assert result.values == [True, None, None]
    assert result.faults == {1: "VALUE of text that is not a number: 'twelve'"}
    assert result.errors == {}


def test_rows_handed_to_the_interpreter_by_a_native_plan_are_counted() -> None:
    rows = [{"Amount": 10**15, "Qty": 0}, {"Amount": 1, "Qty": 0}, {"Amount": 10**15, "Qty": 1}]
    result = _bulk("Amount / Qty > 1", rows)
    assert result.fallback_rows >= 2
    assert result.faults == {0: "division by zero", 1: "division by zero"}
    assert result.values == [None, None, True]


def test_a_bad_record_value_is_an_error_not_a_fault() -> None:
    result = _bulk("Amount / Qty > 1", [{"Amount": "lots", "Qty": 0}])
    assert result.faults == {}
    assert list(result.errors) == [0]


def test_a_fault_in_a_branch_not_taken_is_no_fault() -> None:
    rows = [{"Amount": 10, "Qty": 0}, {"Amount": 10, "Qty": 5}]
    result = _bulk("IF(Qty = 0, FALSE, Amount / Qty > 1)", rows)
    assert result.values == [False, True]
    assert result.faults == {}
    assert result.fault_summary() is None


@pytest.mark.parametrize(
    "text",
    [
        "ISBLANK(Amount / Qty)",
        "ISBLANK(MOD(Amount, Qty))",
        "ISBLANK(CloseDate + Amount)",
        "BLANKVALUE(DATE(2024, Amount, 0), TODAY()) = TODAY()",
    ],
)
def test_a_blank_operand_makes_a_blank_not_a_fault(text: str) -> None:
    """The interpreter returns blank for a blank operand before it looks at the other one
    (Qty 0, an out-of-range day or shift): so does the bulk path, values and faults."""
    rows = [{"Amount": None, "Qty": 0, "CloseDate": None}, {"Amount": 10**13, "Qty": 0}]
    compiled = compile_formula(text, CATALOG)
    result = evaluate_bulk(compiled, frame_from_records(rows, CATALOG), NOW)
    assert result.values[0] is True
    assert result.values == [compiled.evaluate(row, NOW) for row in rows]
    assert 0 not in result.faults


def test_many_formulas_count_their_faults_apart() -> None:
    rows = [{"Amount": 10, "Qty": 0}, {"Amount": 0, "Qty": 2}]
    formulas = [
        compile_formula(text, CATALOG)
        for text in ("Amount / Qty > 1", "Qty / Amount > 1", "Qty > 1")
    ]
    results = evaluate_bulk_many(formulas, frame_from_records(rows, CATALOG), NOW)
    assert [r.faults for r in results] == [{0: "division by zero"}, {1: "division by zero"}, {}]


def test_a_group_shares_its_first_rows_message() -> None:
    """Rows in the same fault mask get the message of the group's first row, even where the
    message quotes a value (the day 60 of the second row is reported as 40)."""
    rows = [{"Name": "x1"}, {"Name": "abc"}, {"Name": "a"}]
    result = _bulk("LEN(TEXT(DATE(2024, 1, LEN(Name) * 20))) > 0", rows)
    assert result.values == [None, None, True]
    assert result.faults == {0: "number 40 out of range", 1: "number 40 out of range"}


def test_a_constant_fault_beside_a_column_is_one_value_per_row() -> None:
    """A constant DATE() that faults, compared with a column: evaluated eagerly, Polars gave
    the constant part one row and refused to broadcast it (ShapeError)."""
    result = _bulk(
        "DATE(2024, 0, 0) < CloseDate", [{"CloseDate": None}, {"CloseDate": "2026-01-01"}]
    )
    assert result.values == [None, None]
    assert result.faults == {0: "number 0 out of range", 1: "number 0 out of range"}
