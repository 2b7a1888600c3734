"""Semantics of operators and functions, blanks included, against Salesforce's documentation."""

# ruff: noqa: E501  (one-line table rows read best)
from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal

import pytest

from rules.formula import compile_formula

NOW = datetime(2026, 6, 15, 14, 30, tzinfo=UTC)  # a Monday
FIELDS = {
    "Amount": "currency",
    "Discount": "percent",
    "Count": "number",
    "CloseDate": "date",
    "CreatedDate": "datetime",
    "Start": "time",
    "Name": "string",
    "StageName": "picklist",
    "Tags": "multipicklist",
    "IsWon": "checkbox",
}
BLANK: dict[str, object] = {}
D = Decimal


def ev(text: str, record: dict[str, object] | None = None) -> object:
    return compile_formula(text, FIELDS).evaluate(record or {}, now=NOW)


CASES: list[tuple[str, dict[str, object], object]] = [
    # arithmetic and precedence
    ("1 + 2 * 3", BLANK, D(7)),
    ("(1 + 2) * 3", BLANK, D(9)),
    ("-2 ^ 2", BLANK, D(-4)),
    ("2 ^ 3 ^ 2", BLANK, D(64)),
    ("0.1 + 0.2 = 0.3", BLANK, True),
    ("10 / 4", BLANK, D("2.5")),
    ("1 / 0", BLANK, None),
    ("Amount * Discount", {"Amount": 1000, "Discount": 15}, D("150.00")),
    ("Discount", {"Discount": 12.5}, D("12.5")),
    ("Amount + 1", BLANK, None),
    ("'a' & 'b' + 'c'", BLANK, "abc"),
    ("Name & '!'", BLANK, "!"),
    # comparisons and blanks
    ("Amount > 5", BLANK, None),
    ("Amount = NULL", BLANK, True),
    ("Amount != 5", BLANK, None),
    ("Amount <> 5", {"Amount": 6}, True),
    ("Amount == 5", {"Amount": 5}, True),
    ("Name = ''", BLANK, True),
    ("Name != 'x'", BLANK, True),
    ("'a' < 'b'", BLANK, True),
    ("CloseDate < TODAY()", {"CloseDate": "2026-06-14"}, True),
    ("TRUE && FALSE || TRUE", BLANK, True),
    ("!(1 > 2)", BLANK, True),
    # logic
    ("AND(TRUE, Amount > 5)", BLANK, None),
    ("AND(FALSE, Amount > 5)", BLANK, False),
    ("OR(TRUE, Amount > 5)", BLANK, True),
    ("NOT(Amount > 5)", BLANK, None),
    ("IF(Amount > 5, 1, 2)", BLANK, D(2)),
    ("IF(Count = 0, 0, 1 / Count)", {"Count": 0}, D(0)),
    ("CASE(Count, 1, 'one', 2, 'two', 'many')", {"Count": 2}, "two"),
    ("CASE(Count, 1, 'one', 'many')", BLANK, "many"),
    ("CASE(StageName, 'Won', 1, 0)", {"StageName": "Won"}, D(1)),
    ("ISBLANK(Amount)", BLANK, True),
    ("ISBLANK(Name)", {"Name": ""}, True),
    ("ISBLANK(StageName)", BLANK, True),
    ("ISNULL(Amount)", BLANK, True),
    ("ISNULL(Name)", BLANK, False),
    ("BLANKVALUE(Amount, 7)", BLANK, D(7)),
    ("BLANKVALUE(Name, 'n/a')", {"Name": ""}, "n/a"),
    ("NULLVALUE(Amount, 7)", {"Amount": 3}, D(3)),
    ("ISPICKVAL(StageName, 'Closed Won')", {"StageName": "Closed Won"}, True),
    ("ISPICKVAL(StageName, '')", BLANK, True),
    ("INCLUDES(Tags, 'B')", {"Tags": "A;B"}, True),
    ("INCLUDES(Tags, 'C')", {"Tags": ["A", "B"]}, False),
    ("ISNUMBER('12.5')", BLANK, True),
    ("ISNUMBER('12a')", BLANK, False),
    ("IsWon", BLANK, False),
    # math
    ("ROUND(2.5, 0)", BLANK, D(3)),
    ("ROUND(-2.5, 0)", BLANK, D(-3)),
    ("ROUND(1234.5678, -2)", BLANK, D(1200)),
    ("CEILING(-2.5)", BLANK, D(-3)),
    ("FLOOR(-2.5)", BLANK, D(-2)),
    ("MCEILING(-2.5)", BLANK, D(-2)),
    ("MFLOOR(-2.5)", BLANK, D(-3)),
    ("TRUNC(-2.78, 1)", BLANK, D("-2.7")),
    ("MOD(-5, 3)", BLANK, D(-2)),
    ("MOD(5, 0)", BLANK, None),
    ("MAX(1, 5, 3)", BLANK, D(5)),
    ("MIN(1, Amount)", BLANK, None),
    ("ABS(-4)", BLANK, D(4)),
    ("SQRT(16)", BLANK, D(4)),
    ("SQRT(-1)", BLANK, None),
    ("LOG(1000)", BLANK, D(3)),
    ("LN(0)", BLANK, None),
    ("ROUND(EXP(1), 4)", BLANK, D("2.7183")),
    ("2 ^ 100000000", BLANK, None),
    # text
    ("LEN('hello')", BLANK, D(5)),
    ("LEN(Name)", BLANK, D(0)),
    ("LEFT('hello', 2)", BLANK, "he"),
    ("RIGHT('hello', 3)", BLANK, "llo"),
    ("MID('hello', 2, 3)", BLANK, "ell"),
    ("MID('hello', 10, 3)", BLANK, None),
    ("MID('hello', -1, 2)", BLANK, "he"),
    ("UPPER('abc') & LOWER('DEF')", BLANK, "ABCdef"),
    ("TRIM('  a b  ')", BLANK, "a b"),
    ("LPAD('7', 3, '0')", BLANK, "007"),
    ("RPAD('ab', 5, 'xy')", BLANK, "abxyx"),
    ("LPAD('abcdef', 3)", BLANK, "abc"),
    ("LPAD('x', 1000000000)", BLANK, None),
    ("CONTAINS('Acme Corp', 'Corp')", BLANK, True),
    ("BEGINS('Acme', 'ac')", BLANK, False),
    ("FIND('c', 'abcabc')", BLANK, D(3)),
    ("FIND('c', 'abcabc', 4)", BLANK, D(6)),
    ("FIND('z', 'abc')", BLANK, D(0)),
    ("SUBSTITUTE('a-b-c', '-', '+')", BLANK, "a+b+c"),
    ("TEXT(500000)", BLANK, "500000"),
    ("TEXT(CloseDate)", {"CloseDate": "2026-07-01"}, "2026-07-01"),
    ("TEXT(CreatedDate)", {"CreatedDate": "2026-07-01T10:00:00Z"}, "2026-07-01 10:00:00Z"),
    ("TEXT(StageName)", {"StageName": "Prospecting"}, "Prospecting"),
    ("TEXT(Amount)", BLANK, None),
    ("TEXT(Discount)", {"Discount": 30}, "0.3"),  # Salesforce: percents as a decimal
    ("TEXT(Discount)", {"Discount": 12.5}, "0.125"),
    ("VALUE('42.5') + 1", BLANK, D("43.5")),
    ("VALUE('abc')", BLANK, None),
    ("VALUE(' 2E2 ')", BLANK, D("2E2")),
    ("VALUE('1_000')", BLANK, None),  # Python's Decimal() would read 1000
    ("VALUE('١٢٣')", BLANK, None),  # and 123 from Arabic-Indic digits
    # ISNUMBER: Salesforce documents FALSE for blanks, spaces and special characters, TRUE for "2E2"
    ("ISNUMBER('2E2')", BLANK, True),
    ("ISNUMBER('123.123')", BLANK, True),
    ("ISNUMBER('')", BLANK, False),
    ("ISNUMBER('1 000')", BLANK, False),
    ("ISNUMBER(' 12')", BLANK, False),
    ("ISNUMBER('1_000')", BLANK, False),
    ("ISNUMBER('NaN')", BLANK, False),
    ("ISNUMBER('１２')", BLANK, False),
    ("TEXT(Amount)", {"Amount": 200000.0}, "200000"),  # a JSON float has no scale to keep
    ("TEXT(Amount)", {"Amount": 1000.5}, "1000.5"),
    ("REGEX('ABC-123', '[A-Z]+-[0-9]+')", BLANK, True),
    ("REGEX('xABC-123', '[A-Z]+-[0-9]+')", BLANK, False),
    ("REGEX('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!', '(a+)+b')", BLANK, False),
    # dates and times
    ("TODAY()", BLANK, date(2026, 6, 15)),
    ("NOW()", BLANK, NOW),
    ("CloseDate + 10", {"CloseDate": "2026-06-25"}, date(2026, 7, 5)),
    ("CloseDate - 1.9", {"CloseDate": "2026-06-25"}, date(2026, 6, 24)),
    ("CloseDate - TODAY()", {"CloseDate": "2026-06-25"}, D(10)),
    ("NOW() - CreatedDate", {"CreatedDate": "2026-06-14T02:30:00Z"}, D("1.5")),
    ("CreatedDate + 0.5", {"CreatedDate": "2026-06-14T02:30:00Z"}, datetime(2026, 6, 14, 14, 30, tzinfo=UTC)),
    ("CloseDate + 1", BLANK, None),
    ("DATE(2024, 2, 29)", BLANK, date(2024, 2, 29)),
    ("DATE(2023, 2, 29)", BLANK, None),
    ("DATE(99999, 1, 1)", BLANK, None),
    ("ADDMONTHS(DATE(2024, 1, 31), 1)", BLANK, date(2024, 2, 29)),
    ("ADDMONTHS(DATE(2024, 2, 29), 1)", BLANK, date(2024, 3, 31)),
    ("ADDMONTHS(DATE(2024, 3, 15), -3)", BLANK, date(2023, 12, 15)),
    ("ADDMONTHS(DATE(2024, 3, 15), 100000000)", BLANK, None),
    ("YEAR(TODAY()) * 100 + MONTH(TODAY())", BLANK, D(202606)),
    ("DAY(DATE(2026, 6, 7))", BLANK, D(7)),
    ("WEEKDAY(DATE(2026, 6, 14))", BLANK, D(1)),
    ("WEEKDAY(DATE(2026, 6, 20))", BLANK, D(7)),
    ("DATEVALUE('2026-06-01')", BLANK, date(2026, 6, 1)),
    ("DATEVALUE(CreatedDate)", {"CreatedDate": "2026-06-14T23:30:00-02:00"}, date(2026, 6, 15)),
    ("DATEVALUE('June 1')", BLANK, None),
    ("DATETIMEVALUE('2026-06-01 10:20:30')", BLANK, datetime(2026, 6, 1, 10, 20, 30, tzinfo=UTC)),
    ("TIMEVALUE('17:30:45.125')", BLANK, time(17, 30, 45, 125000)),
    ("HOUR(Start) + MINUTE(Start) + SECOND(Start)", {"Start": "10:20:30"}, D(60)),
    ("Start + 1000", {"Start": "23:59:59.500"}, time(0, 0, 0, 500000)),
    ("DAYS_SINCE(CloseDate)", {"CloseDate": "2026-06-01"}, D(14)),
    ("DAYS_UNTIL(CloseDate)", {"CloseDate": "2026-06-01"}, D(-14)),
    ("DAYS_SINCE(CreatedDate)", BLANK, None),
    ("BUSINESS_DAYS_BETWEEN(DATE(2026, 6, 12), DATE(2026, 6, 16))", BLANK, D(2)),
    ("BUSINESS_DAYS_BETWEEN(DATE(2026, 6, 16), DATE(2026, 6, 12))", BLANK, D(-2)),
    ("BUSINESS_DAYS_BETWEEN(DATE(2026, 6, 1), DATE(2026, 6, 29))", BLANK, D(20)),
    ("$System.OriginDateTime", BLANK, datetime(1900, 1, 1, tzinfo=UTC)),
]  # fmt: skip


@pytest.mark.parametrize(("text", "record", "expected"), CASES, ids=[c[0] for c in CASES])
def test_semantics(text: str, record: dict[str, object], expected: object) -> None:
    result = ev(text, record)
    assert result == expected
    assert type(result) is type(expected)


def test_interface_example() -> None:
    formula = compile_formula(
        "AND(Amount > 100000, ISPICKVAL(StageName, 'Negotiation/Review'))",
        fields={"Amount": "currency", "StageName": "picklist"},
    )
    assert formula.result_type == "checkbox"
    assert formula.references == {"Amount", "StageName"}
    record = {"Amount": 150000, "StageName": "Negotiation/Review"}
    assert formula.evaluate(record, now=NOW) is True


def test_names_ignore_case_and_keep_catalog_spelling() -> None:
    formula = compile_formula("amount > 1 && isblank(closedate)", FIELDS)
    assert formula.references == {"Amount", "CloseDate"}
    assert formula.evaluate({"AMOUNT": 5}, now=NOW) is True


def test_compile_once_evaluate_many() -> None:
    formula = compile_formula("Amount * 2", FIELDS)
    assert [formula.evaluate({"Amount": n}) for n in (1, 2, None)] == [D(2), D(4), None]


def test_dotted_names_are_catalog_fields() -> None:
    formula = compile_formula("UPPER(Account.Name)", {"Account.Name": "string"})
    assert formula.evaluate({"Account.Name": "acme"}) == "ACME"
