"""The import's outcomes over the store, with the org's rules handed in as the Tooling API
gives them: imported, unchanged, updated (an admin's dealpulse edits kept), skipped (and what
happens to a rule imported earlier), retired rules left alone, a rule whose validation rule is
no longer active retired (once), the evaluation it asks for."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine

from rules.validation_import import ValidationRuleRecord
from services.evaluation import EvaluationReport
from services.validation_import import ImportOutcome, ImportResult, import_validation_rules
from store.alert_rules import create_rule, list_rules, retire_rule, rule_versions, update_rule
from tests import factories as f
from tests.services import evaluation_rows as rows

NOW = f.NOW
AMOUNT = ValidationRuleRecord(
    id="03d000000000001AAA", name="Amount_Required", active=True, description=None,
    error_message="Enter the amount.", error_display_field="Amount",
    formula='AND(ISPICKVAL(StageName, "Proposal"), ISBLANK(Amount))',
)  # fmt: skip
TOP_OF_PAGE = replace(
    AMOUNT, id="03d000000000002AAA", name="Next_Step_Named", error_display_field=None,
    error_message="Say what happens next.", formula="AND(NOT(IsClosed), ISBLANK(NextStep))",
)  # fmt: skip
# The describe of evaluation_rows, and IsClosed, which nobody can edit.
DESCRIBE_FIELDS = [
    *rows.DESCRIBE_FIELDS,
    {"name": "IsClosed", "type": "boolean", "updateable": False},
]
BACKWARDS = replace(
    AMOUNT, id="03d000000000003AAA", name="No_Going_Back", error_display_field="StageName",
    formula='ISPICKVAL(PRIORVALUE(StageName), "Proposal")',
)  # fmt: skip


@dataclass
class FakeOrg:
    """The org's validation rules (as salesforce.gateway.Gateway reads them)."""

    rules: list[ValidationRuleRecord]
    describes: list[str] = field(default_factory=list)

    def validation_rules(self, sobject: str = "Opportunity") -> list[ValidationRuleRecord]:
        assert sobject == "Opportunity"
        return list(self.rules)

    def describe(self, sobject: str, *, refresh: bool = False) -> dict[str, Any]:
        self.describes.append(sobject)
        return {"fields": DESCRIBE_FIELDS}


@dataclass
class Evaluations:
    calls: list[tuple[str, list[str], datetime | None]] = field(default_factory=list)

    def __call__(
        self, org_id: str, *, rule_ids: Collection[str] | None = None, now: datetime | None = None
    ) -> EvaluationReport:
        self.calls.append((org_id, sorted(rule_ids or ()), now))
        return EvaluationReport(org_id, 0, 0, 0, 0, 0, 0)


@pytest.fixture
def team(store_engine: Engine) -> f.Team:
    org_team = f.team(store_engine)
    f.catalog(store_engine, f.ORG_A, DESCRIBE_FIELDS)
    return org_team


def run(
    engine: Engine, org: FakeOrg, evaluations: Evaluations, at: datetime = NOW
) -> list[tuple[str, ImportOutcome, str | None]]:
    results = import_validation_rules(engine, org, f.ORG_A, "005ADMIN", at, evaluate=evaluations)
    return [(r.name, r.outcome, r.reason) for r in results]


def by_name(engine: Engine) -> dict[str, Any]:
    return {r.name: r for r in list_rules(engine, f.ORG_A, include_retired=True)}


def test_import_then_nothing_then_an_update(store_engine: Engine, team: f.Team) -> None:
    org, evaluations = FakeOrg([AMOUNT, TOP_OF_PAGE, BACKWARDS]), Evaluations()

    first = run(store_engine, org, evaluations)

    assert [(name, outcome) for name, outcome, _ in first] == [
        ("Amount_Required", ImportOutcome.IMPORTED),
        ("Next_Step_Named", ImportOutcome.IMPORTED),
        ("No_Going_Back", ImportOutcome.SKIPPED),
    ]
    assert "PRIORVALUE" in (first[2][2] or "")
    stored = by_name(store_engine)
    assert set(stored) == {"Amount Required", "Next Step Named"}
    amount = stored["Amount Required"]
    assert (amount.kind, amount.severity, amount.origin, amount.active) == (
        "FIX_REQUIRED", "HIGH", "VALIDATION_RULE", True,
    )  # fmt: skip
    assert (amount.condition, amount.message, amount.fix_fields) == (
        AMOUNT.formula, "Enter the amount.", ["Amount"],
    )  # fmt: skip
    assert (amount.source_id, amount.author_id, amount.created_at) == (AMOUNT.id, "005ADMIN", NOW)
    assert stored["Next Step Named"].fix_fields == ["NextStep"]  # IsClosed cannot be edited
    ids = sorted(r.id for r in stored.values())
    assert evaluations.calls == [(f.ORG_A, ids, NOW)]
    assert org.describes == []  # the mirror's describe, not a new one

    # Again: nothing changed in Salesforce, nothing is written or evaluated.
    assert [o for _, o, _ in run(store_engine, org, evaluations)] == [
        ImportOutcome.UNCHANGED, ImportOutcome.UNCHANGED, ImportOutcome.SKIPPED,
    ]  # fmt: skip
    assert len(evaluations.calls) == 1
    assert [v.version for v in rule_versions(store_engine, f.ORG_A, amount.id)] == [1]

    # An admin raises the severity in dealpulse; then the message changes in Salesforce.
    update_rule(store_engine, f.ORG_A, amount.id, {"severity": "CRITICAL"}, "005ADMIN", NOW)
    org.rules[0] = replace(AMOUNT, error_message="An amount, please.")
    later = NOW + timedelta(hours=1)
    assert [o for _, o, _ in run(store_engine, org, evaluations, later)] == [
        ImportOutcome.UPDATED, ImportOutcome.UNCHANGED, ImportOutcome.SKIPPED,
    ]  # fmt: skip
    updated = by_name(store_engine)["Amount Required"]
    assert (updated.id, updated.version, updated.message, updated.severity) == (
        amount.id, 3, "An amount, please.", "CRITICAL",
    )  # fmt: skip
    assert evaluations.calls[-1] == (f.ORG_A, [amount.id], later)


def test_a_rule_that_became_unimportable_is_kept_and_said_so(
    store_engine: Engine, team: f.Team
) -> None:
    org, evaluations = FakeOrg([AMOUNT]), Evaluations()
    run(store_engine, org, evaluations)
    org.rules[0] = replace(AMOUNT, formula="AND(ISCHANGED(Amount), ISBLANK(Amount))")
    [(_, outcome, reason)] = run(store_engine, org, evaluations)
    assert outcome is ImportOutcome.SKIPPED
    assert reason is not None
    assert reason.startswith("it uses ISCHANGED")
    assert reason.endswith(
        "; the rule imported from it earlier ('Amount Required') is kept as it was"
    )
    assert by_name(store_engine)["Amount Required"].condition == AMOUNT.formula


def test_a_retired_import_is_not_revived(store_engine: Engine, team: f.Team) -> None:
    org, evaluations = FakeOrg([AMOUNT]), Evaluations()
    run(store_engine, org, evaluations)
    rule = by_name(store_engine)["Amount Required"]
    retire_rule(store_engine, f.ORG_A, rule.id, "005ADMIN", NOW)
    assert [o for _, o, _ in run(store_engine, org, evaluations)] == [ImportOutcome.UNCHANGED]
    org.rules[0] = replace(AMOUNT, error_message="Changed")
    results = import_validation_rules(store_engine, org, f.ORG_A, None, NOW, evaluate=evaluations)
    assert results == [
        ImportResult(
            "Amount_Required", ImportOutcome.SKIPPED,
            "it changed in Salesforce, but the rule imported from it was retired in dealpulse",
            rule.id,
        )
    ]  # fmt: skip
    assert len(list_rules(store_engine, f.ORG_A, include_retired=True)) == 1
    assert len(evaluations.calls) == 1


def test_before_the_first_sync_the_gateway_describes(store_engine: Engine) -> None:
    f.team(store_engine)  # no stored describe
    org, evaluations = FakeOrg([TOP_OF_PAGE]), Evaluations()
    assert [o for _, o, _ in run(store_engine, org, evaluations)] == [ImportOutcome.IMPORTED]
    assert org.describes == ["Opportunity"]


def test_the_import_of_another_org_is_its_own(store_engine: Engine, team: f.Team) -> None:
    f.team(store_engine, f.ORG_B)
    f.catalog(store_engine, f.ORG_B, DESCRIBE_FIELDS)
    org, evaluations = FakeOrg([AMOUNT]), Evaluations()
    run(store_engine, org, evaluations)
    [result] = import_validation_rules(store_engine, org, f.ORG_B, None, NOW, evaluate=evaluations)
    assert result.outcome is ImportOutcome.IMPORTED  # the same Salesforce id, another org
    assert [r.org_id for r in list_rules(store_engine, f.ORG_B)] == [f.ORG_B]


def test_a_rule_gone_from_salesforce_is_retired_once(store_engine: Engine, team: f.Team) -> None:
    org, evaluations = FakeOrg([AMOUNT, TOP_OF_PAGE]), Evaluations()
    run(store_engine, org, evaluations)
    amount = by_name(store_engine)["Amount Required"]
    # A manual rule of the same name (no source) and a recommended one are not the import's.
    manual = create_rule(
        store_engine, f.ORG_A,
        {"name": "Amount Required", "kind": "FIX_REQUIRED", "severity": "LOW",
         "condition": "ISBLANK(Amount)", "message": "m"},
        "005ADMIN", NOW,
    )  # fmt: skip
    recommended = create_rule(
        store_engine, f.ORG_A,
        {"name": "Recommended", "kind": "INFORMATIVE", "severity": "LOW", "origin": "RECOMMENDED",
         "source_id": "rec-1", "condition": "ISBLANK(Amount)", "message": "m"},
        None, NOW,
    )  # fmt: skip
    org.rules = [TOP_OF_PAGE]  # Amount_Required deactivated (or deleted) in Salesforce
    later = NOW + timedelta(hours=1)

    results = import_validation_rules(
        store_engine, org, f.ORG_A, "005ADMIN", later, evaluate=evaluations
    )

    assert [(r.name, r.outcome, r.reason, r.rule_id) for r in results] == [
        ("Next_Step_Named", ImportOutcome.UNCHANGED, None, results[0].rule_id),
        ("Amount_Required", ImportOutcome.SKIPPED,
         "no longer active in Salesforce: its alert rule was retired", amount.id),
    ]  # fmt: skip
    rules = {r.id: r for r in list_rules(store_engine, f.ORG_A, include_retired=True)}
    retired = rules[amount.id]
    assert (retired.active, retired.retired_at, retired.author_id) == (False, later, "005ADMIN")
    assert (rules[manual.id].retired_at, rules[manual.id].active) == (None, True)
    assert (rules[recommended.id].retired_at, rules[recommended.id].active) == (None, True)
    assert evaluations.calls[-1] == (f.ORG_A, [amount.id], later)  # resolves its alerts

    # Again: retired already, it is left alone and not reported; nothing is evaluated.
    again = run(store_engine, org, evaluations, later + timedelta(hours=1))
    assert again == [("Next_Step_Named", ImportOutcome.UNCHANGED, None)]
    assert len(evaluations.calls) == 2
    assert rule_versions(store_engine, f.ORG_A, amount.id)[-1].version == 1
    still = {r.id: r for r in list_rules(store_engine, f.ORG_A, include_retired=True)}
    assert (still[amount.id].retired_at, still[amount.id].updated_at) == (later, later)


def test_a_retired_rule_resolves_its_alerts_rule_retired(
    store_engine: Engine, team: f.Team
) -> None:
    """Without an evaluate of the caller's: evaluate_org resolves the retired rule's alerts."""
    f.opportunity(store_engine, team.reps[0], stage="Proposal", amount=None)
    org = FakeOrg([AMOUNT])
    import_validation_rules(store_engine, org, f.ORG_A, "005ADMIN", NOW)
    [alert] = rows.alerts(store_engine)
    assert alert.status == "OPEN"
    org.rules = []
    import_validation_rules(store_engine, org, f.ORG_A, "005ADMIN", NOW + timedelta(hours=1))
    [alert] = rows.alerts(store_engine)
    assert (alert.status, alert.resolution) == ("RESOLVED", "RULE_RETIRED")
