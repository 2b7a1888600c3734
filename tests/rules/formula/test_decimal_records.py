"""Records may carry money as Decimals (the mirror's exact columns) as well as JSON floats: the
formula engine takes them exactly, per record and in bulk, and a Decimal's trailing zeros
(58500.00 from a column of scale 2) mean what the float 58500.0 means."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from rules.formula import compile_formula
from rules.formula.bulk import evaluate_bulk
from rules.formula.bulk_frame import frame_from_records

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
FIELDS = {"Amount": "currency", "Prior": "currency"}
FORMULAS = [
    "TEXT(Amount)",
    "Amount - Prior",
    "Amount = Prior + 0.01",
    "Amount > 1234567890123456.78",
    "ROUND(Amount, 1)",
    "Amount * 3",
]


@pytest.mark.parametrize("formula", FORMULAS)
def test_a_decimal_means_what_the_same_float_means(formula: str) -> None:
    compiled = compile_formula(formula, FIELDS)
    for amount, prior in [("200000.00", "199999.99"), ("58500.10", "0.30"), ("0.00", "-0.00")]:
        exact = {"Amount": Decimal(amount), "Prior": Decimal(prior)}
        floats = {"Amount": float(amount), "Prior": float(prior)}
        assert compiled.evaluate(exact, now=NOW) == compiled.evaluate(floats, now=NOW)
        assert str(compiled.evaluate(exact, now=NOW)) == str(compiled.evaluate(floats, now=NOW))


def test_decimals_are_taken_exactly_where_floats_cannot_be() -> None:
    low, high = Decimal("1234567890123456.78"), Decimal("1234567890123456.79")
    assert float(low) == float(high)
    record = {"Amount": high, "Prior": low}
    assert compile_formula("Amount - Prior", FIELDS).evaluate(record, now=NOW) == Decimal("0.01")
    assert compile_formula("TEXT(Amount)", FIELDS).evaluate(record, now=NOW) == str(high)
    assert compile_formula("Amount > 1234567890123456.78", FIELDS).evaluate(record, now=NOW)


@pytest.mark.parametrize("formula", FORMULAS)
def test_the_bulk_path_agrees_on_decimal_records(formula: str) -> None:
    compiled = compile_formula(formula, FIELDS)
    records = [
        {"Amount": Decimal("1234567890123456.79"), "Prior": Decimal("1234567890123456.78")},
        {"Amount": Decimal("200000.00"), "Prior": Decimal("0.10")},
        {"Amount": Decimal("0.30"), "Prior": None},
        {"Amount": None, "Prior": Decimal("5")},
    ]
    bulk = evaluate_bulk(compiled, frame_from_records(records, FIELDS), now=NOW)
    assert bulk.values == [compiled.evaluate(record, now=NOW) for record in records]
