"""devorg's PRIORVALUE: the stage-regression rule judges a save against the stored row."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from devorg import validation

pytestmark = pytest.mark.sqlite_only

NOW = datetime(2026, 6, 15, 12, tzinfo=UTC)
BACKWARDS = next(r for r in validation.RULES if r.name == "Stage_Cannot_Move_Backwards")


def fires(rule: validation.ValidationRuleDef, row: dict[str, object], before: object) -> bool:
    prior = None if before is None else {**row, "StageName": before}
    return bool(validation.failing_rules([rule], row, NOW, before=prior))


@pytest.mark.parametrize(
    ("before", "after", "refused"),
    [
        ("Needs Analysis", "Qualification", True),
        ("Negotiation/Review", "Prospecting", True),
        ("Closed Won", "Negotiation/Review", True),  # reopening a closed deal
        ("Qualification", "Needs Analysis", False),
        ("Needs Analysis", "Needs Analysis", False),
        ("Closed Won", "Closed Lost", False),  # the outcome of a closed deal may change
        ("Closed Lost", "Closed Won", False),
        (None, "Prospecting", False),  # insert: PRIORVALUE is the new value
        (None, "Closed Lost", False),
    ],
)
def test_stage_regression(before: str | None, after: str, refused: bool) -> None:
    assert fires(BACKWARDS, {"StageName": after, "IsClosed": 0}, before) is refused


def test_the_rule_is_the_formula_real_orgs_write() -> None:
    assert BACKWARDS.formula.startswith('CASE(StageName, "Prospecting", 1, "Qualification", 2,')
    assert 'CASE(PRIORVALUE(StageName), "Prospecting", 1,' in BACKWARDS.formula
    assert '"Closed Won", 9, "Closed Lost", 9, 0)' in BACKWARDS.formula


def rule(formula: str) -> validation.ValidationRuleDef:
    return validation.ValidationRuleDef("Test", "", formula, "No", None)


def test_priorvalue_inside_a_string_is_text() -> None:
    formula = 'AND(PRIORVALUE( Amount ) > Amount, NextStep = "PRIORVALUE(Amount)")'
    row = {"StageName": "Prospecting", "Amount": 5, "NextStep": "PRIORVALUE(Amount)"}
    assert validation.failing_rules([rule(formula)], row, NOW, before={**row, "Amount": 9})
    assert not validation.failing_rules([rule(formula)], row, NOW, before={**row, "Amount": 1})
    picklist = 'ISPICKVAL(PRIORVALUE(StageName), "Closed Won")'
    assert validation.failing_rules([rule(picklist)], row, NOW, before={"StageName": "Closed Won"})


@pytest.mark.parametrize(
    "formula",
    [
        "PRIORVALUE(Account.Name) = 'x'",  # a related field
        "PRIORVALUE(Nope__c) = 'x'",
        "PRIORVALUE(Amount, Amount) > 1",
        "PRIORVALUE(Amount /* why */) > 1",
        "ISCHANGED(Amount)",
    ],
)
def test_what_devorg_cannot_run_is_ignored(formula: str) -> None:
    row = {"StageName": "Prospecting", "Amount": 5}
    assert validation.failing_rules([rule(formula)], row, NOW, before=row) == []
