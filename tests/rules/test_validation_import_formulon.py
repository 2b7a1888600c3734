"""The imported conditions of devorg's validation rules agree with formulon (the JavaScript
implementation of Salesforce formulas) on a grid of deals, blanks included: devorg runs its
rules with dealpulse's own engine, so agreeing with devorg alone would prove nothing."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from devorg import catalog, validation
from devorg.describe import describe_sobject
from rules.catalog import rule_catalog
from rules.formula import compile_formula
from rules.validation_import import ImportDraft, ValidationRuleRecord, imported_rule
from tests.rules.formula.formulon import client
from tests.rules.formula.test_differential_formulon import formulon  # noqa: F401 (fixture)

NOW = datetime(2026, 6, 15, 12, tzinfo=UTC)
DESCRIBE = describe_sobject("62.0", catalog.OPPORTUNITY)
CATALOG = rule_catalog(DESCRIBE)
FIELDS = {
    "StageName": "picklist",
    "Amount": "currency",
    "Decision_Maker__c": "string",
    "Next_Meeting_Date__c": "date",
    "IsClosed": "boolean",
}
GRID = [
    dict(zip(FIELDS, values, strict=True))
    for values in itertools.product(
        ("Prospecting", "Proposal/Price Quote", "Negotiation/Review", "Closed Won"),
        (None, 0, 125000.5),
        (None, "Ann Lee"),
        (None, date(2026, 6, 14), date(2026, 6, 15), date(2026, 7, 1)),
        (False, True),
    )
]


def conditions() -> list[str]:
    found = []
    for rule in validation.RULES:
        result = imported_rule(
            ValidationRuleRecord(
                "03d000000000001AAA", rule.name, True, None, rule.message, rule.display_field,
                rule.formula,
            ),
            CATALOG,
            DESCRIBE,
        )  # fmt: skip
        if isinstance(result, ImportDraft):
            found.append(result.draft.condition)
    return found


def as_json(deal: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in deal.items()}


def test_imported_conditions_agree_with_formulon(formulon: Path) -> None:  # noqa: F811
    texts = conditions()
    assert len(texts) == 3  # the PRIORVALUE rule is skipped
    cases = [(text, deal) for text in texts for deal in GRID]
    payload = [
        {"formula": text, "identifiers": client.to_identifiers(FIELDS, as_json(deal))}
        for text, deal in cases
    ]
    answers = [client.from_formulon(a) for a in client.run(formulon, payload, NOW)]
    disagreements: list[tuple[str, dict[str, Any], Any, Any]] = []
    for (text, deal), theirs in zip(cases, answers, strict=True):
        ours = compile_formula(text, CATALOG).evaluate(deal, now=NOW)
        if ours is not theirs:
            disagreements.append((text[:40], deal, ours, theirs))
    assert disagreements == []
    assert set(answers) == {True, False}
