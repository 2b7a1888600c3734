"""Quick-fix values checked against the describe (rules.field_values).

The specs come from two describes: devorg's real Opportunity describe (the fields a quick-fix
edits in the demo) and a small one for the types devorg's Opportunity lacks.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from devorg import catalog
from devorg.describe import describe_sobject
from rules.field_specs import FieldSpec, field_specs
from rules.field_values import (
    MAX_FIELDS,
    CheckedValues,
    FieldProblem,
    FieldValueCode,
    check_values,
)

INVALID = FieldValueCode.INVALID_VALUE
NOT_UPDATEABLE = FieldValueCode.NOT_UPDATEABLE
UNKNOWN = FieldValueCode.UNKNOWN_FIELD
REQUIRED = FieldValueCode.REQUIRED
TOO_LONG = FieldValueCode.TOO_LONG

_OPPORTUNITY = catalog.sobject("Opportunity")
assert _OPPORTUNITY is not None
OPPORTUNITY = field_specs(describe_sobject(catalog.API_VERSION, _OPPORTUNITY))

_MANY = [f"V{i}" for i in range(12)]


def _field(name: str, kind: str, **extra: object) -> dict[str, object]:
    return {"name": name, "label": name.replace("__c", ""), "type": kind, "nillable": True,
            "updateable": True, **extra}  # fmt: skip


OTHER = field_specs(
    {
        "fields": [
            _field("Email__c", "email", length=80),
            _field("Phone__c", "phone", length=40),
            _field("Site__c", "url", length=255),
            _field("Code__c", "combobox", length=5),
            _field("Tags__c", "multipicklist", length=4099, restrictedPicklist=True,
                   picklistValues=[{"value": v, "label": v} for v in ("Red", "Green", "Blue")]),
            _field("Open__c", "multipicklist", length=20),
            _field("Many__c", "picklist", length=255, restrictedPicklist=True,
                   picklistValues=[{"value": v, "label": v} for v in _MANY]),
            _field("Empty__c", "picklist", length=255, restrictedPicklist=True),
            _field("Seats__c", "int", digits=4, precision=0, scale=0),
            _field("Big__c", "int", digits=18, precision=0, scale=0),
            _field("Ratio__c", "double", precision=5, scale=3),
            _field("Loose__c", "double"),
            _field("Done__c", "boolean", nillable=False, defaultedOnCreate=True),
            _field("When__c", "datetime"),
            _field("Where__c", "address"),
            _field("File__c", "base64"),
            _field("Must__c", "string", length=10, nillable=False),
        ]
    }
)  # fmt: skip
SPECS: dict[str, FieldSpec] = {**OPPORTUNITY, **OTHER}

_OK = object()


def _check(values: dict[str, object]) -> CheckedValues:
    return check_values(SPECS, values)


def _outcome(field: str, value: object) -> object:
    """The clean value sent for `field`, or the code of its one problem."""
    found = _check({field: value})
    if found.problems:
        assert len(found.problems) == 1, found
        assert not found.clean, found
        return found.problems[0].code
    return found.clean[field]


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        # text: length boundaries, types, control characters
        ("NextStep", "x" * 255, "x" * 255),
        ("NextStep", "x" * 256, TOO_LONG),
        ("Decision_Maker__c", "é" * 80, "é" * 80),
        ("Decision_Maker__c", "é" * 81, TOO_LONG),
        ("Description", "line one\nline two\r\n\ttabbed", "line one\nline two\r\n\ttabbed"),
        ("NextStep", "bell\x07", INVALID),
        ("NextStep", "nul\x00", INVALID),
        ("Description", "escape\x1b[0m", INVALID),
        ("NextStep", "half \ud800 surrogate", INVALID),
        ("NextStep", 42, INVALID),
        ("NextStep", ["Call"], INVALID),
        ("NextStep", {"text": "Call"}, INVALID),
        ("Phone__c", "+44 20 7946 0000", "+44 20 7946 0000"),
        ("Site__c", "https://example.com/a", "https://example.com/a"),
        ("Code__c", "ABCDE", "ABCDE"),
        ("Code__c", "ABCDEF", TOO_LONG),
        # email
        ("Email__c", "ana@example.com", "ana@example.com"),
        ("Email__c", "ana.b+tag@mail.example.co.uk", "ana.b+tag@mail.example.co.uk"),
        ("Email__c", "ana@example", INVALID),
        ("Email__c", "ana example@x.com", INVALID),
        ("Email__c", "@example.com", INVALID),
        ("Email__c", "a@b@example.com", INVALID),
        ("Email__c", "a@example..com", INVALID),
        # picklists: restricted values match exactly, case included
        ("StageName", "Closed Won", "Closed Won"),
        ("StageName", "closed won", INVALID),
        ("StageName", "Closed Won ", INVALID),
        ("Competitor__c", "Hooli", "Hooli"),
        ("Competitor__c", "Pied Piper", INVALID),
        ("Type", "Anything at all", "Anything at all"),
        ("Type", "t" * 256, TOO_LONG),
        ("Empty__c", "V1", INVALID),
        ("Tags__c", "Red;Blue", "Red;Blue"),
        ("Tags__c", "Red", "Red"),
        ("Tags__c", "Red;Purple", INVALID),
        ("Tags__c", "Red;;Blue", INVALID),
        ("Tags__c", "Red;", INVALID),
        ("Open__c", "any;thing", "any;thing"),
        ("Open__c", "a" * 21, TOO_LONG),
        # dates
        ("CloseDate", "2026-12-31", "2026-12-31"),
        ("CloseDate", "2028-02-29", "2028-02-29"),
        ("CloseDate", "2026-02-29", INVALID),
        ("CloseDate", "2026-02-30", INVALID),
        ("CloseDate", "2026-13-01", INVALID),
        ("CloseDate", "1700-01-01", "1700-01-01"),
        ("CloseDate", "1699-12-31", INVALID),
        ("CloseDate", "4000-12-31", "4000-12-31"),
        ("CloseDate", "4001-01-01", INVALID),
        ("CloseDate", "2026-12-31T10:00:00Z", INVALID),
        ("CloseDate", "20261231", INVALID),
        ("CloseDate", "2026-1-31", INVALID),
        ("CloseDate", "2026-12-31 ", INVALID),
        ("CloseDate", "٢٠٢٦-١٢-٣١", INVALID),  # Arabic-Indic digits are digits to Python
        ("CloseDate", 20261231, INVALID),
        # datetimes: an offset is required, the clean value is UTC with milliseconds
        ("When__c", "2026-12-02T10:15:30Z", "2026-12-02T10:15:30.000Z"),
        ("When__c", "2026-12-02T12:15:30.5+02:00", "2026-12-02T10:15:30.500Z"),
        ("When__c", "2026-12-02T10:15:30.123999+00:00", "2026-12-02T10:15:30.123Z"),
        ("When__c", "2026-12-02T01:00:00-05:00", "2026-12-02T06:00:00.000Z"),
        ("When__c", "2026-12-02T10:15:30", INVALID),
        ("When__c", "2026-12-02", INVALID),
        ("When__c", "yesterday", INVALID),
        ("When__c", "1699-12-31T23:00:00-02:00", "1700-01-01T01:00:00.000Z"),
        ("When__c", "4000-12-31T23:00:00-02:00", INVALID),
        ("When__c", "0001-01-01T00:00:00+01:00", INVALID),
        ("When__c", 1764670530, INVALID),
        # money and other decimals: exact, plain, within precision and scale
        ("Amount", "58500.00", Decimal("58500.00")),
        ("Amount", "1.23", Decimal("1.23")),
        ("Amount", "1.234", INVALID),
        ("Amount", "1.230", Decimal("1.230")),
        ("Amount", "-1.5", Decimal("-1.5")),
        ("Amount", ".5", Decimal("0.5")),
        ("Amount", "0.000", Decimal("0.000")),
        ("Amount", 58500, Decimal(58500)),
        ("Amount", 0.1, Decimal("0.1")),
        ("Amount", 1e16, INVALID),
        ("Amount", "9" * 16 + ".99", Decimal("9" * 16 + ".99")),
        ("Amount", "1" + "0" * 16, INVALID),
        ("Amount", 10**16, INVALID),
        ("Amount", "1e5", INVALID),
        ("Amount", "NaN", INVALID),
        ("Amount", "Infinity", INVALID),
        ("Amount", float("nan"), INVALID),
        ("Amount", float("inf"), INVALID),
        ("Amount", "58,500.00", INVALID),
        ("Amount", " 5", INVALID),
        ("Amount", "", INVALID),
        ("Amount", True, INVALID),
        ("Amount", ["1"], INVALID),
        ("Amount", "9" * 1000, INVALID),
        ("Amount", 10**2000, INVALID),
        ("Probability", 100, Decimal(100)),
        ("Probability", "1000", INVALID),
        ("Probability", "50.5", INVALID),
        ("Ratio__c", "12.345", Decimal("12.345")),
        ("Ratio__c", "123.4", INVALID),
        ("Ratio__c", "1.2345", INVALID),
        ("Loose__c", "9" * 18, Decimal("9" * 18)),
        ("Loose__c", "9" * 19, INVALID),
        # whole numbers: within their digits and 32 bits
        ("Seats__c", 9999, 9999),
        ("Seats__c", "-9999", -9999),
        ("Seats__c", 10000, INVALID),
        ("Seats__c", "12a", INVALID),
        ("Seats__c", 5.0, INVALID),
        ("Seats__c", False, INVALID),
        ("Big__c", 2**31 - 1, 2**31 - 1),
        ("Big__c", -(2**31), -(2**31)),
        ("Big__c", 2**31, INVALID),
        ("Big__c", str(-(2**31) - 1), INVALID),
        # checkboxes: true or false only, never null
        ("Budget_Confirmed__c", True, True),
        ("Budget_Confirmed__c", False, False),
        ("Budget_Confirmed__c", "true", INVALID),
        ("Budget_Confirmed__c", 1, INVALID),
        ("Budget_Confirmed__c", None, INVALID),
        ("Done__c", None, INVALID),
        # references
        ("AccountId", "001000000000001", "001000000000001"),
        ("AccountId", "001000000000001AAA", "001000000000001AAA"),
        ("AccountId", "00100000000001", INVALID),
        ("AccountId", "001000000000001AA", INVALID),
        ("AccountId", "001-00000000001", INVALID),
        ("AccountId", 1, INVALID),
        # clearing: null clears, "" clears text, a required field refuses both
        ("NextStep", None, None),
        ("NextStep", "", None),
        ("Type", "", None),
        ("CloseDate", None, REQUIRED),
        ("Name", "", REQUIRED),
        ("StageName", None, REQUIRED),
        ("Must__c", "", REQUIRED),
        ("Amount", None, None),
        ("CloseDate", "", INVALID),
        ("Next_Meeting_Date__c", None, None),
        ("When__c", None, None),
        ("AccountId", None, None),
        # what dealpulse does not edit
        ("ExpectedRevenue", "1.00", NOT_UPDATEABLE),
        ("IsClosed", True, NOT_UPDATEABLE),
        ("Id", "006000000000001AAA", NOT_UPDATEABLE),
        ("FiscalYear", 2026, NOT_UPDATEABLE),
        ("Where__c", {"city": "Paris"}, NOT_UPDATEABLE),
        ("File__c", "aGk=", NOT_UPDATEABLE),
        ("NoSuchField__c", "x", UNKNOWN),
        ("Amount.Value", "1", UNKNOWN),
        ("1Amount", "1", UNKNOWN),
    ],
)
def test_each_value_is_checked_by_its_describe_type(
    field: str, value: object, expected: object
) -> None:
    found = _outcome(field, value)
    assert found == expected
    # A Decimal compares equal across exponents: the clean value keeps the digits as sent.
    if isinstance(expected, Decimal):
        assert isinstance(found, Decimal)
        assert str(found) == str(expected)


def test_a_float_becomes_the_decimal_it_was_written_as_not_its_binary_value() -> None:
    clean = _check({"Amount": 0.1, "Ratio__c": 0.3}).clean
    assert str(clean["Amount"]) == "0.1"
    assert str(clean["Ratio__c"]) == "0.3"
    assert clean["Amount"] + clean["Ratio__c"] == Decimal("0.4")  # type: ignore[operator]


def test_names_match_in_any_case_and_clean_uses_the_describes_spelling() -> None:
    found = _check({"amount": "10.00", "NEXTSTEP": "Call", "next_meeting_date__C": "2026-12-01"})
    assert found.problems == []
    assert found.clean == {
        "Amount": Decimal("10.00"), "NextStep": "Call", "Next_Meeting_Date__c": "2026-12-01",
    }  # fmt: skip


def test_one_field_named_twice_in_different_cases_is_refused_once() -> None:
    found = _check({"amount": "1.00", "Amount": "2.00", "NextStep": "Call"})
    assert found.clean == {"NextStep": "Call"}
    assert [(p.field, p.code) for p in found.problems] == [("Amount", INVALID)]


def test_every_problem_is_reported_and_clean_keeps_only_the_good_fields() -> None:
    found = _check(
        {
            "NextStep": "Call",
            "Amount": "1.234",
            "closedate": "2026-02-30",
            "Nope__c": 1,
            "IsWon": True,
            "Name": "x" * 121,
            "StageName": None,
            "Competitor__c": "Globex",
        }
    )
    assert found.clean == {"NextStep": "Call", "Competitor__c": "Globex"}
    assert [(p.field, p.code) for p in found.problems] == [
        ("Amount", INVALID),
        ("CloseDate", INVALID),
        ("Nope__c", UNKNOWN),
        ("IsWon", NOT_UPDATEABLE),
        ("Name", TOO_LONG),
        ("StageName", REQUIRED),
    ]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({}, "name at least one field"),
        ({f"F{i}": "x" for i in range(MAX_FIELDS + 1)}, "at most 50 fields at a time, not 51"),
    ],
)
def test_no_field_or_too_many_is_a_problem_with_the_values_as_a_whole(
    values: dict[str, object], message: str
) -> None:
    assert _check(values) == CheckedValues(
        clean={}, problems=[FieldProblem("values", INVALID, message)]
    )


def test_fifty_fields_are_still_checked() -> None:
    specs = field_specs({"fields": [_field(f"F{i}", "string", length=5) for i in range(50)]})
    found = check_values(specs, {f"F{i}": "x" for i in range(50)})
    assert found.problems == []
    assert len(found.clean) == 50


@pytest.mark.parametrize("name", ["A" * 256, "x" * 100 + " DROP", "bad\x00name" + "y" * 300])
def test_a_name_that_cannot_be_a_field_is_not_echoed_in_full(name: str) -> None:
    (problem,) = _check({name: "x"}).problems
    assert problem.code is UNKNOWN
    assert len(problem.field) <= 41
    assert len(problem.message) <= 70
    assert "\x00" not in problem.field + problem.message


def test_a_long_unknown_field_name_within_limits_is_named_back() -> None:
    name = "A" * 255
    (problem,) = _check({name: "x"}).problems
    assert (problem.field, problem.code) == (name, UNKNOWN)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("StageName", "s" * 10_000),
        ("Email__c", "e" * 79),
        ("CloseDate", "2026-99-" + "9" * 90),
        ("When__c", "t" * 99),
        ("Amount", "1," + "0" * 90),
        ("Seats__c", "9x" + "9" * 90),
        ("NextStep", "x" * 10_000),
    ],
)
def test_messages_are_short_and_never_echo_much_of_the_value(field: str, value: str) -> None:
    (problem,) = _check({field: value}).problems
    assert len(problem.message) < 300
    assert value[:61] not in problem.message


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("Amount", "1.234", "at most 2 decimal places"),
        ("Amount", "12345678901234567", "too large: at most 16 digits before the decimal point"),
        ("Probability", "1.5", "a whole number"),
        ("NextStep", "x" * 256, "at most 255 characters"),
        ("CloseDate", None, "Close Date is required"),
        ("Where__c", "x", "dealpulse does not edit address fields"),
        ("IsWon", True, "cannot be edited"),
        ("Seats__c", 12345, "at most 4 digits"),
        ("When__c", "2026-12-02T10:15:30", "offset"),
        ("Budget_Confirmed__c", None, "true or false"),
    ],
)
def test_messages_say_what_is_wrong(field: str, value: object, words: str) -> None:
    (problem,) = _check({field: value}).problems
    assert words in problem.message


def test_a_refused_picklist_value_lists_the_allowed_values_up_to_ten() -> None:
    (stage,) = _check({"StageName": "Won"}).problems
    assert all(f'"{name}"' in stage.message for name in catalog.STAGE_NAMES)
    assert "more" not in stage.message
    (many,) = _check({"Many__c": "V99"}).problems
    assert '"V9"' in many.message
    assert '"V10"' not in many.message
    assert "(and 2 more)" in many.message
