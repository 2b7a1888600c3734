"""Message templates: {!...} merge fields compiled once and rendered for people."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from rules.formula import ErrorCode, FormulaError
from rules.formula.templates import compile_template, format_for_people
from rules.formula.types import FormulaType

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


def test_datetimes_and_today_are_the_orgs_zone() -> None:
    """At 03:30 UTC on 15 June it is still the 14th in Los Angeles: a merge field of a
    datetime shows that day and time there, and TODAY() is that day."""
    template = compile_template("edited {!LastModifiedDate}, today {!TODAY()}", FIELDS)
    record = {"LastModifiedDate": "2026-06-15T03:05:00Z"}
    early = datetime(2026, 6, 15, 3, 30, tzinfo=UTC)
    assert template.render(record, early, "America/Los_Angeles") == (
        "edited 2026-06-14 20:05 PDT, today 2026-06-14"
    )
    winter = {"LastModifiedDate": "2026-01-15T03:05:00Z"}
    assert template.render(winter, early, ZoneInfo("America/Los_Angeles")).startswith(
        "edited 2026-01-14 19:05 PST"
    )
    assert template.render(record, early) == "edited 2026-06-15 03:05 UTC, today 2026-06-15"
    # Year 1 has no earlier day to show in Los Angeles: that moment stays UTC.
    first = {"LastModifiedDate": "0001-01-01T03:05:00Z"}
    assert template.render(first, early, "America/Los_Angeles").startswith(
        "edited 0001-01-01 03:05 UTC"
    )


def test_format_for_people_shows_a_moment_in_the_zone_given() -> None:
    moment = datetime(2026, 6, 15, 3, 5, tzinfo=UTC)
    la = ZoneInfo("America/Los_Angeles")
    assert format_for_people(moment, FormulaType.DATETIME, la) == "2026-06-14 20:05 PDT"
    assert format_for_people(moment.replace(tzinfo=None), FormulaType.DATETIME, la) == (
        "2026-06-14 20:05 PDT"  # naive means UTC
    )
    assert format_for_people(moment, FormulaType.DATETIME) == "2026-06-15 03:05 UTC"


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
