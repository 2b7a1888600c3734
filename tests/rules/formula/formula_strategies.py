"""Hypothesis strategies: random well-typed formulas over a small catalog, and random records
with blanks. Shared by the bulk property tests and the formulon differential tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

FIELDS: dict[str, str] = {
    "Amount": "currency",
    "Qty": "double",
    "Probability": "percent",
    "Discount": "percent",
    "CloseDate": "date",
    "MeetingDate": "date",
    "Created": "datetime",
    "Name": "string",
    "NextStep": "textarea",
    "Stage": "picklist",
    "Tags": "multipicklist",
    "Flag": "boolean",
}
NUMBER_FIELDS = ("Amount", "Qty", "Probability", "Discount")
DATE_FIELDS = ("CloseDate", "MeetingDate")
TEXT_FIELDS = ("Name", "NextStep")
STAGES = ("Prospecting", "Proposal", "Closed Won")
WORDS = ("", "Acme", "acme corp", " TBD ", "a;b", "Call", "x", "Ünïcode")
NOW = datetime(2026, 6, 15, 14, 30, tzinfo=UTC)

Text = st.SearchStrategy[str]


def _maybe(values: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), values)


def records() -> st.SearchStrategy[dict[str, Any]]:
    amounts = st.sampled_from(
        [0, 1, -3, 7, 1234.5, 100000, 0.125, 250000.75, 99.99, 1e13, Decimal("333.333")]
    )
    quantities = st.sampled_from([0, 1, 2, 3, 7, 12, 365, -4, 0.5])
    percents = st.sampled_from([0, 10, 12.5, 50, 75, 100, 33])
    days = st.integers(-400, 400).map(lambda d: (NOW.date() + timedelta(days=d)).isoformat())
    moments = st.integers(-(10**8), 10**8).map(lambda s: (NOW + timedelta(seconds=s)).isoformat())
    return st.fixed_dictionaries(
        {
            "Amount": _maybe(amounts),
            "Qty": _maybe(quantities),
            "Probability": _maybe(percents),
            "Discount": _maybe(percents),
            "CloseDate": _maybe(days),
            "MeetingDate": _maybe(days),
            "Created": _maybe(moments),
            "Name": _maybe(st.sampled_from(WORDS)),
            "NextStep": _maybe(st.sampled_from(WORDS)),
            "Stage": _maybe(st.sampled_from(STAGES)),
            "Tags": _maybe(st.sampled_from(["a", "a;b", "b;c", "c"])),
            "Flag": _maybe(st.booleans()),
        }
    )


def _quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def number_literals() -> Text:
    return st.sampled_from(["0", "1", "2", "3", "7", "0.5", "1.25", "100", "1000", "0.1", "30"])


def _call(name: str, *args: Text) -> Text:
    return st.tuples(*args).map(lambda parts: f"{name}({', '.join(parts)})")


def _op(left: Text, op: str, right: Text) -> Text:
    return st.tuples(left, right).map(lambda p: f"({p[0]} {op} {p[1]})")


def numbers(depth: int) -> Text:
    leaves = st.one_of(st.sampled_from(NUMBER_FIELDS), number_literals())
    if depth <= 0:
        return leaves
    n, b = numbers(depth - 1), checkboxes(depth - 1)
    d, t = dates(depth - 1), texts(depth - 1)
    return st.one_of(
        leaves,
        st.sampled_from(["+", "-", "*", "/"]).flatmap(lambda op: _op(n, op, n)),
        _call("ROUND", n, st.sampled_from(["0", "1", "2", "-1"])),
        _call("TRUNC", n, st.sampled_from(["0", "1", "-2"])),
        st.sampled_from(["FLOOR", "CEILING", "MCEILING", "MFLOOR", "ABS"]).flatmap(
            lambda f: _call(f, n)
        ),
        _call("MOD", n, n),
        st.sampled_from(["MAX", "MIN"]).flatmap(lambda f: _call(f, n, n)),
        _call("SQRT", _call("ABS", n)),
        _call("LEN", t),
        _call("FIND", st.sampled_from(["'a'", "'c'", "' '"]), t),
        st.sampled_from(["YEAR", "MONTH", "DAY", "WEEKDAY"]).flatmap(lambda f: _call(f, d)),
        _op(d, "-", d),
        st.just("(NOW() - Created)"),
        _call("IF", b, n, n),
        _call("BLANKVALUE", n, n),
        st.tuples(st.sampled_from(STAGES), n, n).map(
            lambda p: f"CASE(Stage, {_quote(p[0])}, {p[1]}, {p[2]})"
        ),
        _op(n, "^", st.sampled_from(["2", "3"])),
    )


def dates(depth: int) -> Text:
    leaves = st.one_of(st.sampled_from(DATE_FIELDS), st.just("TODAY()"))
    if depth <= 0:
        return leaves
    n, b = numbers(depth - 1), checkboxes(depth - 1)
    d = dates(depth - 1)
    return st.one_of(
        leaves,
        st.sampled_from(["+", "-"]).flatmap(lambda op: _op(d, op, n)),
        _call("ADDMONTHS", d, st.sampled_from(["1", "-1", "12", "0"])),
        st.just("DATEVALUE(Created)"),
        _call("DATE", st.sampled_from(["2024", "2025"]), n, n),
        _call("IF", b, d, d),
        _call("BLANKVALUE", d, d),
    )


def texts(depth: int) -> Text:
    leaves = st.one_of(st.sampled_from(TEXT_FIELDS), st.sampled_from(WORDS).map(_quote))
    if depth <= 0:
        return leaves
    n, b = numbers(depth - 1), checkboxes(depth - 1)
    t, d = texts(depth - 1), dates(depth - 1)
    return st.one_of(
        leaves,
        _op(t, "&", t),
        st.sampled_from(["UPPER", "LOWER", "TRIM"]).flatmap(lambda f: _call(f, t)),
        st.sampled_from(["LEFT", "RIGHT"]).flatmap(lambda f: _call(f, t, n)),
        st.just("TEXT(Stage)"),
        _call("TEXT", d),
        _call("TEXT", b),
        _call("SUBSTITUTE", t, st.sampled_from(["'a'", "' '", "''"]), st.just("'-'")),
        _call("IF", b, t, t),
        _call("BLANKVALUE", t, t),
    )


def checkboxes(depth: int) -> Text:
    leaves = st.one_of(
        st.just("Flag"),
        st.sampled_from(["TRUE", "FALSE"]),
        st.sampled_from(STAGES).map(lambda s: f"ISPICKVAL(Stage, {_quote(s)})"),
        st.sampled_from(["'a'", "'b'", "'c'"]).map(lambda s: f"INCLUDES(Tags, {s})"),
        st.sampled_from(list(FIELDS)).map(lambda f: f"ISBLANK({f})"),
    )
    if depth <= 0:
        return leaves
    n, b = numbers(depth - 1), checkboxes(depth - 1)
    t, d = texts(depth - 1), dates(depth - 1)
    comparisons = st.sampled_from(["=", "!=", "<", "<=", ">", ">="])
    return st.one_of(
        leaves,
        comparisons.flatmap(lambda op: _op(n, op, n)),
        comparisons.flatmap(lambda op: _op(d, op, d)),
        comparisons.flatmap(lambda op: _op(t, op, t)),
        st.sampled_from(["AND", "OR"]).flatmap(
            lambda f: st.lists(b, min_size=1, max_size=3).map(lambda a: f"{f}({', '.join(a)})")
        ),
        st.sampled_from(["&&", "||"]).flatmap(lambda op: _op(b, op, b)),
        _call("NOT", b),
        _call("IF", b, b, b),
        st.sampled_from(["CONTAINS", "BEGINS"]).flatmap(lambda f: _call(f, t, t)),
        _call("REGEX", t, st.sampled_from(["'[a-z]+'", "'.*c.*'", "''"])),
        _call("ISNULL", n),
        _call("ISBLANK", t),
    )


def formulas(depth: int = 3) -> Text:
    return st.one_of(checkboxes(depth), numbers(depth), dates(depth - 1), texts(depth - 1))
