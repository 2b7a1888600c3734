"""Every error class, with its code, position and message."""

# ruff: noqa: E501  (one-line table rows read best)
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from rules.formula import ErrorCode, FormulaError, compile_formula

FIELDS = {
    "Amount": "currency",
    "CloseDate": "date",
    "CreatedDate": "datetime",
    "Name": "string",
    "StageName": "picklist",
    "Tags": "multipicklist",
}
NOW = datetime(2026, 6, 15, tzinfo=UTC)

COMPILE_ERRORS = [
    ("Amont > 1", ErrorCode.UNKNOWN_FIELD, 1, 1, "unknown field 'Amont' at 1:1; did you mean 'Amount'?"),
    ("1 +\n  Nmae", ErrorCode.UNKNOWN_FIELD, 2, 3, "unknown field 'Nmae' at 2:3; did you mean 'Name'?"),
    ("IFF(TRUE, 1, 2)", ErrorCode.UNKNOWN_FUNCTION, 1, 1, "unknown function IFF at 1:1; did you mean IF?"),
    ("1 + (2", ErrorCode.SYNTAX, 1, 7, "unexpected end of formula"),
    ("1 + * 2", ErrorCode.SYNTAX, 1, 5, "unexpected '*'"),
    ("Amount # 2", ErrorCode.SYNTAX, 1, 8, "unexpected character '#'"),
    ("'\\q'", ErrorCode.SYNTAX, 1, 2, "invalid escape sequence"),
    ("", ErrorCode.SYNTAX, 1, 1, "formula is empty"),
    ("1" * 3901, ErrorCode.TOO_LONG, 1, 3901, "limit is 3900"),
    ("(" * 200 + "-" * 150 + "1" + ")" * 200, ErrorCode.TOO_DEEP, 1, 301, "deeper than 100"),
    ("1" + "+1" * 1500, ErrorCode.TOO_DEEP, 1, 2803, "deeper than 100"),
    ("IF(TRUE, 1)", ErrorCode.ARGUMENT_COUNT, 1, 1, "IF at 1:1 takes 3 arguments, got 2"),
    ("CASE(Amount, 1, 2)", ErrorCode.ARGUMENT_COUNT, 1, 1, "takes at least 4 arguments"),
    ("CASE(Amount, 1, 2, 3, 4)", ErrorCode.ARGUMENT_COUNT, 1, 1, "even number"),
    ("Amount & 'x'", ErrorCode.TYPE_MISMATCH, 1, 8, "operator & cannot combine currency and text"),
    ("IF(Amount > 1, 'a', 1)", ErrorCode.TYPE_MISMATCH, 1, 1, "IF results must all have the same type"),
    ("LEN(Amount)", ErrorCode.TYPE_MISMATCH, 1, 5, "LEN argument 1 must be text, not currency"),
    ("CloseDate - CreatedDate", ErrorCode.TYPE_MISMATCH, 1, 11, "cannot combine date and datetime"),
    ("AND(Amount)", ErrorCode.TYPE_MISMATCH, 1, 5, "must be checkbox"),
    ("StageName = 'Won'", ErrorCode.PICKLIST_USAGE, 1, 1, "ISPICKVAL, CASE, TEXT, ISBLANK or ISNULL"),
    ("LEN(StageName)", ErrorCode.PICKLIST_USAGE, 1, 5, "picklist value at 1:5"),
    ("StageName", ErrorCode.PICKLIST_USAGE, 1, 1, "cannot return a picklist"),
    ("TEXT(Tags)", ErrorCode.PICKLIST_USAGE, 1, 6, "INCLUDES, ISBLANK or ISNULL"),
    ("ISPICKVAL(Name, 'x')", ErrorCode.TYPE_MISMATCH, 1, 11, "must be picklist"),
    # Salesforce: the value "cannot be a merge field or the result of a function"
    ("ISPICKVAL(StageName, Name)", ErrorCode.PICKLIST_USAGE, 1, 22, "must be a text literal in quotes"),
    ("ISPICKVAL(StageName, TEXT(StageName))", ErrorCode.PICKLIST_USAGE, 1, 22, "text literal"),
    ("ISPICKVAL(StageName, NULL)", ErrorCode.PICKLIST_USAGE, 1, 22, "text literal"),
    ("INCLUDES(Tags, Name)", ErrorCode.PICKLIST_USAGE, 1, 16, "text literal"),
    ("INCLUDES(Tags, ' ')", ErrorCode.INVALID_ARGUMENT, 1, 16, "not a blank text"),
    ("ISCHANGED(Amount)", ErrorCode.EDIT_TIME_FUNCTION, 1, 1, "evaluates rules continuously"),
    ("PRIORVALUE(Amount) > 1", ErrorCode.EDIT_TIME_FUNCTION, 1, 1, "only has a meaning while a record is being saved"),
    ("ISNEW()", ErrorCode.EDIT_TIME_FUNCTION, 1, 1, "ISNEW"),
    ("ISCLONE()", ErrorCode.EDIT_TIME_FUNCTION, 1, 1, "ISCLONE"),
    ("$User.Id = 'x'", ErrorCode.UNSUPPORTED_FUNCTION, 1, 1, "global '$User.Id'"),
    ("HYPERLINK('a', 'b')", ErrorCode.UNSUPPORTED_FUNCTION, 1, 1, "not supported"),
    ("REGEX(Name, '(a)\\\\1')", ErrorCode.INVALID_ARGUMENT, 1, 13, "backreferences"),
    ("REGEX(Name, '(?=a)')", ErrorCode.INVALID_ARGUMENT, 1, 13, "look-around"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "code", "line", "column", "message"),
    COMPILE_ERRORS,
    ids=[f"{c[1]}:{c[0][:30]}" for c in COMPILE_ERRORS],
)
def test_compile_errors(text: str, code: ErrorCode, line: int, column: int, message: str) -> None:
    with pytest.raises(FormulaError) as caught:
        compile_formula(text, FIELDS)
    error = caught.value
    assert (error.code, error.line, error.column) == (code, line, column), error.message
    assert message in error.message
    assert isinstance(error, ValueError)


def test_unknown_name_has_a_suggestion() -> None:
    with pytest.raises(FormulaError) as caught:
        compile_formula("Amont", FIELDS)
    assert caught.value.suggestion == "Amount"
    assert str(caught.value) == "unknown field 'Amont' at 1:1; did you mean 'Amount'?"
    assert caught.value.to_dict()["suggestion"] == "Amount"


def test_unknown_catalog_type() -> None:
    with pytest.raises(FormulaError) as caught:
        compile_formula("1", {"Where__c": "location"})
    assert caught.value.code == ErrorCode.BAD_FIELD_TYPE


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("Amount", "abc"),
        ("Amount", True),
        ("Amount", float("nan")),
        ("Amount", [1]),
        pytest.param("Amount", 10**5000, id="int-of-5001-digits"),  # no repr: ValueError escaped
        ("Amount", "1_000"),  # Python's Decimal() reads 1000
        ("CloseDate", "2026-13-01"),
        ("CloseDate", 20260101),
        ("CreatedDate", "yesterday"),
        ("Name", 12),
    ],
)
def test_bad_record_values(field: str, value: object) -> None:
    formula = compile_formula(f"ISBLANK({field})", FIELDS)
    with pytest.raises(FormulaError) as caught:
        formula.evaluate({field: value}, now=NOW)
    assert caught.value.code == ErrorCode.BAD_RECORD_VALUE
    assert repr(field) in caught.value.message


def test_evaluation_error_is_blank_or_raised_with_position() -> None:
    formula = compile_formula("Amount / (Amount - 5)", FIELDS)
    assert formula.evaluate({"Amount": 5}) is None
    with pytest.raises(FormulaError) as caught:
        formula.evaluate({"Amount": 5}, errors="raise")
    assert (caught.value.code, caught.value.line, caught.value.column) == ("evaluation", 1, 8)
    assert "division by zero" in caught.value.message


def test_clock_needs_now() -> None:
    formula = compile_formula("TODAY() > CloseDate", FIELDS)
    with pytest.raises(FormulaError) as caught:
        formula.evaluate({})
    assert caught.value.code == ErrorCode.MISSING_NOW
