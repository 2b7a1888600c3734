"""No input crashes the engine: random text and random well-formed formulas either compile and
evaluate, or raise FormulaError, never any other exception; and nothing hangs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rules.formula import FormulaError, compile_formula
from tests.rules.formula import formula_strategies as strategies

NOW = datetime(2026, 6, 15, 14, 30, tzinfo=UTC)
FIELDS = {
    "Amount": "currency",
    "Probability": "percent",
    "Count__c": "number",
    "CloseDate": "date",
    "CreatedDate": "datetime",
    "Start__c": "time",
    "Name": "string",
    "StageName": "picklist",
    "Tags__c": "multipicklist",
    "IsWon": "checkbox",
}
AMOUNTS = st.decimals(places=2, min_value=-(10**9), max_value=10**9)
RECORD_VALUES = {
    "Amount": st.one_of(st.none(), st.integers(-(10**12), 10**12), AMOUNTS),
    "Probability": st.one_of(st.none(), st.integers(0, 100)),
    "Count__c": st.one_of(st.none(), st.integers(-1000, 1000)),
    "CloseDate": st.one_of(st.none(), st.dates().map(str)),
    "CreatedDate": st.one_of(st.none(), st.datetimes(timezones=st.just(UTC))),
    "Start__c": st.one_of(st.none(), st.times().map(lambda t: t.isoformat())),
    "Name": st.one_of(st.none(), st.text(max_size=20)),
    "StageName": st.one_of(st.none(), st.sampled_from(["Prospecting", "Closed Won", ""])),
    "Tags__c": st.one_of(st.none(), st.just("A;B")),
    "IsWon": st.booleans(),
}  # fmt: skip
records = st.fixed_dictionaries(RECORD_VALUES)

ATOMS = [*FIELDS, "1", "0", "-3.5", "100000", "'abc'", '""', "TRUE", "FALSE", "NULL",
         "TODAY()", "NOW()", "DATE(2024,2,29)", "'.*'", "'(a+)+b'", "1e5"]  # fmt: skip
FUNCTIONS = ["IF", "AND", "OR", "NOT", "CASE", "ISBLANK", "ISNULL", "BLANKVALUE", "NULLVALUE",
    "ISPICKVAL", "INCLUDES", "ISNUMBER", "ABS", "CEILING", "FLOOR", "ROUND", "MCEILING", "MFLOOR",
    "MOD", "MAX", "MIN", "SQRT", "EXP", "LN", "LOG", "TRUNC", "LEN", "LEFT", "RIGHT", "MID",
    "UPPER", "LOWER", "TRIM", "LPAD", "RPAD", "CONTAINS", "BEGINS", "FIND", "SUBSTITUTE", "TEXT",
    "VALUE", "REGEX", "DATE", "DATEVALUE", "DATETIMEVALUE", "TIMEVALUE", "YEAR", "MONTH", "DAY",
    "WEEKDAY", "ADDMONTHS", "HOUR", "MINUTE", "SECOND", "DAYS_SINCE", "DAYS_UNTIL",
    "BUSINESS_DAYS_BETWEEN", "ISCHANGED", "HYPERLINK", "NOPE"]  # fmt: skip
OPERATORS = ["+", "-", "*", "/", "^", "&", "=", "==", "!=", "<>", "<", "<=", ">", ">=", "&&", "||"]


def formulas() -> st.SearchStrategy[str]:
    """Random formulas from a small grammar: mostly well-formed, often ill-typed."""

    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        call = st.builds(
            lambda name, args: f"{name}({', '.join(args)})",
            st.sampled_from(FUNCTIONS),
            st.lists(inner, min_size=0, max_size=4),
        )
        binary = st.builds(
            lambda a, op, b: f"{a} {op} {b}", inner, st.sampled_from(OPERATORS), inner
        )
        unary = st.builds(lambda op, a: f"{op}{a}", st.sampled_from(["-", "!", "+"]), inner)
        return st.one_of(call, binary, unary, inner.map(lambda a: f"({a})"))

    return st.recursive(st.sampled_from(ATOMS), extend, max_leaves=12)


def run(text: str, record: dict[str, object]) -> None:
    failure: FormulaError | None = None
    try:
        formula = compile_formula(text, FIELDS)
        formula.evaluate(record, now=NOW)
        formula.evaluate(record, now=NOW, errors="raise")
    except FormulaError as error:
        failure = error
    if failure is not None:
        assert failure.code
        assert isinstance(failure.line, int)
        assert isinstance(failure.column, int)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(max_size=200))
def test_random_text_raises_only_formula_error(text: str) -> None:
    run(text, {})


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet="()+-*/^&=!<>|,.'\"\\ 0123456789aIFz_$\n", max_size=120))
def test_random_symbol_soup_raises_only_formula_error(text: str) -> None:
    run(text, {})


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=formulas(), record=records)
def test_random_formulas_raise_only_formula_error(text: str, record: dict[str, object]) -> None:
    run(text, record)


@pytest.mark.parametrize(
    "text",
    [
        "(" * 10000,
        "(" * 3000 + "1" + ")" * 3000,
        "-" * 3899 + "1",
        "!" * 3899 + "TRUE",
        "IF(" * 1000 + "TRUE",
        "1" + "+1" * 1949,
        "'" + "a" * 3898 + "'",
        "1" * 3900,
        "x" * 3901,
        "NOT(" * 120 + "TRUE" + ")" * 120,
    ],
    ids=lambda text: f"{text[:12]}..({len(text)})",
)
def test_huge_and_deep_inputs(text: str) -> None:
    run(text, {})


HOSTILE_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(["2026-02-29", "9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+05:00",
                     "1e5", "24:00", "a;b", " 12 "]),
    st.dates().map(str),
    st.datetimes(timezones=st.none() | st.timezones()),
)  # fmt: skip


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=strategies.formulas(),
    record=st.fixed_dictionaries(dict.fromkeys(strategies.FIELDS, HOSTILE_VALUES)),
)
def test_well_typed_formulas_on_hostile_records_raise_only_formula_error(
    text: str, record: dict[str, object]
) -> None:
    formula = compile_formula(text, strategies.FIELDS)  # the generator makes well-typed formulas
    failure: FormulaError | None = None
    try:
        formula.evaluate(record, now=NOW, errors="raise")
    except FormulaError as error:
        failure = error
    assert failure is None or failure.code in ("bad_record_value", "evaluation"), failure
