"""The bulk path agrees with the interpreter on shapes the random generator does not make:
CASE/IF mixing currency, percent and number, nested BLANKVALUE/NULLVALUE, percent
arithmetic, date and datetime arithmetic at month ends, leap days, years 1 and 9999 and across
a US daylight-saving change (UTC has none), case-sensitive text and picklist comparisons."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from rules.formula import FormulaError, compile_formula
from rules.formula.bulk import evaluate_bulk
from rules.formula.bulk_frame import frame_from_records

NOW = datetime(2026, 3, 8, 9, 30, tzinfo=UTC)  # US clocks went forward at 07:00 UTC that day
FIELDS = {
    "P": "percent", "P2": "percent", "A": "currency", "N": "number", "T": "text", "T2": "text",
    "D": "date", "D2": "date", "DT": "datetime", "DT2": "datetime", "PL": "picklist",
    "MP": "multipicklist", "B": "checkbox",
}  # fmt: skip
ROWS: list[dict[str, Any]] = [
    {},
    {
        "P": 12.5,
        "A": 100.5,
        "N": 3,
        "T": "Acme",
        "T2": "acme",
        "D": "2024-02-29",
        "D2": "2024-03-31",
        "DT": "2026-03-08T01:59:59Z",
        "DT2": "2026-11-01T06:00:00Z",
        "PL": "Closed Won",
        "MP": "a;b",
        "B": True,
    },
    {
        "P": 0,
        "A": -2.5,
        "N": -7,
        "T": "",
        "T2": "",
        "D": "2024-01-31",
        "D2": "2023-02-28",
        "DT": "2026-03-08T10:00:00+05:00",
        "DT2": "2026-03-08T10:00:00Z",
        "PL": "closed won",
        "MP": "A",
        "B": False,
    },
    {
        "P": 100,
        "A": 0,
        "N": 0.5,
        "T": " x ",
        "T2": "X",
        "D": "2024-12-31",
        "D2": "2024-12-30",
        "DT": "2024-02-29T23:59:59.999Z",
        "DT2": "2024-03-01T00:00:00Z",
        "PL": "",
        "MP": "",
        "B": None,
    },
    {
        "P": 33.333,
        "A": 1e12,
        "N": 1e-9,
        "T": "B",
        "T2": "b",
        "D": "0001-01-01",
        "D2": "9999-12-31",
        "DT": "9999-12-31T00:00:00Z",
        "PL": "Prospecting",
        "MP": "b;c",
    },
]
FRAME = frame_from_records(ROWS, FIELDS)
CASES = [
    pytest.param("IF(B, A, P)", id="mixed numeric IF"),
    pytest.param("IF(B, P, N)", id="percent and number IF"),
    pytest.param("CASE(N, 3, A, -7, P, N)", id="CASE currency/percent results"),
    pytest.param(
        "CASE(PL, 'Closed Won', P, 'closed won', A, 0)", id="CASE picklist is case-sensitive"
    ),
    pytest.param("CASE(T, 'Acme', 1, 'acme', 2, 3)", id="CASE text is case-sensitive"),
    pytest.param("CASE(N, 3, 'x', NULL, 'blank', 'other')", id="CASE with a NULL value"),
    pytest.param("CASE(D, DATE(2024,2,29), 'leap', 'no')", id="CASE on a date"),
    pytest.param("CASE(B, TRUE, 'y', 'n')", id="CASE on a checkbox"),
    pytest.param("CASE(N, 3, NULL, 5)", id="CASE NULL result"),
    pytest.param("BLANKVALUE(BLANKVALUE(A, P), N)", id="nested BLANKVALUE numbers"),
    pytest.param("BLANKVALUE(T, BLANKVALUE(T2, 'none'))", id="nested BLANKVALUE text"),
    pytest.param("NULLVALUE(T, 'x')", id="NULLVALUE of text"),
    pytest.param("NULLVALUE(NULLVALUE(N, A), 0)", id="nested NULLVALUE"),
    pytest.param("BLANKVALUE(D, D2)", id="BLANKVALUE dates"),
    pytest.param("P", id="percent"),
    pytest.param("P * 2", id="percent arithmetic"),
    pytest.param("P + P2", id="percent sum"),
    pytest.param("P * A", id="percent of currency"),
    pytest.param("ROUND(P, 2)", id="ROUND of percent"),
    pytest.param("P > 0.125", id="percent comparison"),
    pytest.param("P = 0.125", id="percent equality"),
    pytest.param("MAX(P, 0.5)", id="MAX with percent"),
    pytest.param("-P", id="negated percent"),
    pytest.param("P ^ 2", id="percent squared"),
    pytest.param("D - D2", id="date minus date"),
    pytest.param("DT - DT2", id="datetime minus datetime"),
    pytest.param("DT + 0.5", id="datetime plus half a day"),
    pytest.param("NOW() - DT", id="NOW minus datetime across a US DST change"),
    pytest.param("DATEVALUE(DT) = TODAY()", id="DATEVALUE of datetime"),
    pytest.param("DT > NOW()", id="datetime comparison"),
    pytest.param("ADDMONTHS(D, 1)", id="ADDMONTHS month end"),
    pytest.param("ADDMONTHS(D, -12)", id="ADDMONTHS Feb 29 back a year"),
    pytest.param("ADDMONTHS(D, 12)", id="ADDMONTHS leap forward"),
    pytest.param("ADDMONTHS(D2, -1)", id="ADDMONTHS last day back"),
    pytest.param("WEEKDAY(D)", id="WEEKDAY"),
    pytest.param("T = T2", id="text = is case-sensitive"),
    pytest.param("T < T2", id="text <"),
    pytest.param("T != T2", id="text !="),
    pytest.param("CONTAINS(T, T2)", id="CONTAINS case-sensitive"),
    pytest.param("T + T2", id="text +"),
    pytest.param("ISBLANK(TRIM(T))", id="TRIM to blank"),
    pytest.param("ISPICKVAL(PL, 'Closed Won')", id="ISPICKVAL exact"),
    pytest.param("ISPICKVAL(PL, '')", id="ISPICKVAL blank"),
    pytest.param("TEXT(PL) = T", id="TEXT(picklist) = text"),
    pytest.param("INCLUDES(MP, 'A')", id="INCLUDES case-sensitive"),
    pytest.param("ISNULL(PL)", id="ISNULL of picklist"),
    pytest.param("ISNULL(T)", id="ISNULL of text"),
    pytest.param("IF(N = 0, 0, A / N)", id="guarded division"),
    pytest.param("MOD(A, N)", id="MOD signs"),
    pytest.param("CEILING(A / N)", id="CEILING of quotient"),
    pytest.param("TRUNC(A, -1)", id="TRUNC to tens"),
    pytest.param("AND(B, A / N > 1)", id="AND short-circuit"),
    pytest.param("IF(A > 1, TRUE, NULL)", id="IF with NULL checkbox"),
    pytest.param("IF(B, D, NULL)", id="IF date or NULL"),
]


def _interpreted(text: str, record: dict[str, Any]) -> object:
    try:
        return compile_formula(text, FIELDS).evaluate(record, NOW)
    except FormulaError as error:
        return error.code


@pytest.mark.parametrize("text", CASES)
def test_bulk_agrees_with_the_interpreter(text: str) -> None:
    result = evaluate_bulk(compile_formula(text, FIELDS), FRAME, NOW)
    for row, record in enumerate(ROWS):
        got = result.errors[row].code if row in result.errors else result.values[row]
        expected = _interpreted(text, record)
        assert got == expected, (row, got, expected)
        assert type(got) is type(expected), (row, got, expected)


@pytest.mark.parametrize("zone", ["America/Los_Angeles", "Asia/Kolkata"])
@pytest.mark.parametrize("text", CASES)
def test_bulk_agrees_with_the_interpreter_in_a_time_zone(text: str, zone: str) -> None:
    """The same shapes, dates taken in a zone: the rows above cross its midnight and a
    daylight-saving change, and reach years 1 and 9999 (which the interpreter decides)."""
    compiled = compile_formula(text, FIELDS)
    result = evaluate_bulk(compiled, FRAME, NOW, tz=zone)
    for row, record in enumerate(ROWS):
        got = result.errors[row].code if row in result.errors else result.values[row]
        try:
            expected: object = compiled.evaluate(record, NOW, tz=zone)
        except FormulaError as error:
            expected = error.code
        assert got == expected, (row, got, expected)
        assert type(got) is type(expected), (row, got, expected)
