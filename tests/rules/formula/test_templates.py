"""Message templates: {!...} merge fields compiled once and rendered for people."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from rules.formula import ErrorCode, FormulaError
from rules.formula.templates import compile_template

FIELDS = {
    "Amount": "currency",
    "Account.Name": "string",
    "CloseDate": "date",
    "Probability": "percent",
    "Count": "number",
    "LastModifiedDate": "datetime",
    "IsWon": "checkbox",
}
NOW = datetime(2026, 6, 15, 14, 30, tzinfo=UTC)


def test_renders_merge_fields_for_people() -> None:
    template = compile_template(
        "{!Account.Name}: {!Amount} closing {!TEXT(CloseDate)} at {!Probability}, "
        "{!Count} steps, edited {!LastModifiedDate}, won {!IsWon}",
        FIELDS,
    )
    record = {
        "Account.Name": "Acme",
        "Amount": 1250000,
        "CloseDate": "2026-07-01",
        "Probability": 12.5,
        "Count": 1234.5,
        "LastModifiedDate": "2026-06-15T09:05:00Z",
        "IsWon": False,
    }
    assert template.render(record, NOW) == (
        "Acme: 1,250,000.00 closing 2026-07-01 at 12.5%, 1,234.5 steps, "
        "edited 2026-06-15 09:05 UTC, won false"
    )
    assert template.references == {
        "Account.Name", "Amount", "CloseDate", "Probability", "Count", "LastModifiedDate", "IsWon"
    }  # fmt: skip


def test_blank_error_and_braces_in_strings() -> None:
    template = compile_template(
        "[{!Amount}] [{!IF(Count > 1, 'a}b', 'c')}] [{!1 / Count}] [{!DAYS_UNTIL(CloseDate)}]",
        FIELDS,
    )
    assert template.render({"Count": 0, "CloseDate": "2026-06-20"}, NOW) == "[] [c] [#Error!] [5]"


def test_plain_text_only() -> None:
    assert compile_template("no fields {here}", FIELDS).render({}) == "no fields {here}"


def test_errors_point_into_the_template() -> None:
    with pytest.raises(FormulaError) as caught:
        compile_template("Deal\n  worth {!Amont}", FIELDS)
    error = caught.value
    assert (error.code, error.line, error.column) == (ErrorCode.UNKNOWN_FIELD, 2, 11)
    assert error.message == "unknown field 'Amont' at 2:11; did you mean 'Amount'?"
    with pytest.raises(FormulaError) as unclosed:
        compile_template("x {!Amount", FIELDS)
    assert (unclosed.value.code, unclosed.value.column) == (ErrorCode.SYNTAX, 3)
