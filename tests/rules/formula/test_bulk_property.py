"""The bulk path agrees with the per-record interpreter, row by row, on random formulas and
random records with blanks."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rules.formula import FormulaError, compile_formula
from rules.formula.bulk import evaluate_bulk
from rules.formula.bulk_frame import frame_from_records
from tests.rules.formula.formula_strategies import FIELDS, NOW, formulas, records

SETTINGS = settings(
    max_examples=500,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def _check(text: str, rows: list[dict[str, Any]]) -> None:
    try:
        compiled = compile_formula(text, FIELDS)
    except FormulaError as error:  # the generator makes well-typed formulas
        pytest.fail(f"generated formula does not compile: {text}: {error}")
    frame = frame_from_records(rows, FIELDS)
    bulk = evaluate_bulk(compiled, frame, NOW)
    for row, record in enumerate(rows):
        expected = compiled.evaluate(record, NOW)
        assert bulk.values[row] == expected, (text, record, bulk.values[row], expected)
        assert type(bulk.values[row]) is type(expected) or expected is None, (text, record)


@SETTINGS
@given(text=formulas(), rows=st.lists(records(), min_size=1, max_size=12))
def test_bulk_equals_interpreter(text: str, rows: list[dict[str, Any]]) -> None:
    _check(text, rows)
