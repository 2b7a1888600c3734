"""A formula text over a catalog is compiled once: a pass compiles every rule of an org again,
so the compiled formula (immutable) is shared, and a different catalog compiles anew."""

from __future__ import annotations

import pytest

from rules.formula import compile_formula
from rules.formula.errors import FormulaError

CATALOG = {"Amount": "currency", "StageName": "picklist"}


def test_the_same_text_over_the_same_catalog_is_one_compiled_formula() -> None:
    first = compile_formula("Amount > 100", CATALOG)
    assert compile_formula("Amount > 100", dict(CATALOG)) is first
    assert compile_formula("Amount > 100", {**CATALOG, "Amount": "number"}) is not first
    assert compile_formula("Amount > 100", {"Amount": "currency"}) is not first
    assert compile_formula("Amount > 100", {"Amount": "currency"}).references == {"Amount"}


def test_errors_are_raised_every_time_and_odd_catalogs_still_compile() -> None:
    for _ in range(2):
        with pytest.raises(FormulaError):
            compile_formula("Amount >", CATALOG)
    # an unhashable value is no catalog: refused as before, not by the cache
    with pytest.raises(FormulaError):
        compile_formula("Amount > 1", {"Amount": ["currency"]})  # type: ignore[dict-item]
