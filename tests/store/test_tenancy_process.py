"""Tenancy of the sales process's repositories (store.alert_rules, store.milestones,
store.alerts), as tests/store/test_tenancy.py checks the mirror's: two orgs hold rules,
milestones, completions and alerts under the same ids, and every function answers (or changes)
only its own org's rows. The last test checks that every public function is exercised here."""

from __future__ import annotations

import inspect
from datetime import timedelta
from types import ModuleType

from sqlalchemy import Engine
from sqlmodel import Session, SQLModel, select

from rules.process import AlertKind, Severity
from store import alert_feed, alert_rules, alerts, milestones
from store.alerts import AlertFilter
from store.process_models import (
    Alert,
    AlertRule,
    AlertRuleVersion,
    EvaluationSettings,
    Milestone,
    MilestoneCompletion,
    OpportunityHealth,
)
from store.queries import Visibility
from tests import factories as f
from tests.store.test_tenancy import AMOUNT, DEAL, DEALS, TAG, USER, two_orgs

A, B = f.ORG_A, f.ORG_B
# Ids as store.process_models.new_id makes them (prefix, "_", 20 characters), so that the API
# takes them too (tests/api/test_tenancy_schema.py runs GraphQL over these same two orgs).
RULE, MILESTONE = "rule_shared00000000000000", "ms_shared00000000000000"
COMPLETION, ALERT = "cmp_shared00000000000000", "alert_shared00000000000000"
SOURCE = "03d000000000001AAA"
LATER = f.NOW + timedelta(hours=1)
PROCESS_MODELS: tuple[type[SQLModel], ...] = (
    AlertRule, AlertRuleVersion, Milestone, MilestoneCompletion, Alert, OpportunityHealth,
    EvaluationSettings,
)  # fmt: skip
SCORE = {A: 40, B: 60}


def _process_rows(org: str) -> list[SQLModel]:
    tag = TAG[org]
    definition = {
        "name": f"{tag} rule", "kind": "FIX_REQUIRED", "severity": "HIGH",
        "condition": f"{tag} condition", "message": f"{tag} message", "fix_fields": ["CloseDate"],
    }  # fmt: skip
    versions = [1] if org == A else [1, 2]  # B's rule was edited once
    return [
        AlertRule(
            org_id=org, id=RULE, version=versions[-1], **definition, source_id=SOURCE,
            created_at=f.NOW,
        ),
        *(
            AlertRuleVersion(org_id=org, rule_id=RULE, version=v, **definition)
            for v in versions
        ),
        Milestone(org_id=org, id=MILESTONE, name=f"{tag} milestone", position=0),
        MilestoneCompletion(
            org_id=org, id=COMPLETION, milestone_id=MILESTONE, opportunity_id=DEAL, how="MANUAL",
            completed_at=f.NOW, completed_by_id=USER, note=f"{tag} note",
        ),
        Alert(
            org_id=org, id=ALERT, rule_id=RULE, rule_version=versions[-1], opportunity_id=DEAL,
            status="OPEN", message=f"{tag} alert", matched_since=f.NOW, opened_at=f.NOW,
        ),
        OpportunityHealth(
            org_id=org, opportunity_id=DEAL, score=SCORE[org], progress=0.5, penalty=0,
            computed_at=f.NOW,
        ),
        EvaluationSettings(org_id=org, severity_weights={"HIGH": SCORE[org]}),
    ]  # fmt: skip


def two_orgs_with_process(engine: Engine) -> None:
    two_orgs(engine)
    f.add(engine, *_process_rows(A), *_process_rows(B))


def _b_rows(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return sorted(
            f"{model.__name__} {sorted(row.model_dump().items())!r}"
            for model in PROCESS_MODELS
            for row in session.exec(select(model).where(model.org_id == B))  # type: ignore[attr-defined]
        )


RULE_READS = {
    "rules_by_ids", "list_rules", "rule_by_source", "rule_versions", "versions_by_keys",
    "condition_versions", "rule_health",
}  # fmt: skip
RULE_WRITES = {"create_rule", "update_rule", "retire_rule"}
MILESTONE_READS = {
    "list_milestones", "milestones_by_ids", "completions_by_opportunity", "completion_history",
}  # fmt: skip
MILESTONE_WRITES = {
    "create_milestone", "update_milestone", "retire_milestone", "reorder_milestones",
    "complete_milestone", "uncomplete_milestone",
}  # fmt: skip
ALERT_READS = {
    "alerts_by_opportunity", "list_alerts", "count_alerts", "health_by_opportunity",
    "evaluation_settings",
}  # fmt: skip
ALERT_WRITES = {"set_severity_weights"}
FEED_READS = {"opportunity_owners", "alerts_by_ids"}
# Functions of these modules that take no org: they compute over rows already read.
PURE = {"condition_version", "alert_key"}


def test_every_rule_read_answers_only_its_orgs_rows(store_engine: Engine) -> None:
    two_orgs_with_process(store_engine)
    engine = store_engine
    assert {k: r.name for k, r in alert_rules.rules_by_ids(engine, A, [RULE]).items()} == {
        RULE: "A rule"
    }
    assert [r.name for r in alert_rules.list_rules(engine, A, include_retired=True)] == ["A rule"]
    found = alert_rules.rule_by_source(engine, A, SOURCE)
    assert found is not None
    assert found.name == "A rule"
    assert [v.version for v in alert_rules.rule_versions(engine, A, RULE)] == [1]
    by_key = alert_rules.versions_by_keys(engine, A, [(RULE, 1), (RULE, 2)])
    assert {k: v.name for k, v in by_key.items()} == {(RULE, 1): "A rule"}
    assert alert_rules.condition_versions(engine, A) == {RULE: 1}
    health = alert_rules.rule_health(engine, A, [RULE])[RULE]
    assert (health.open_alerts, health.pipeline_amount) == (1, AMOUNT[A])


def test_every_milestone_read_answers_only_its_orgs_rows(store_engine: Engine) -> None:
    two_orgs_with_process(store_engine)
    engine = store_engine
    listed = milestones.list_milestones(engine, A, include_retired=True)
    assert [m.name for m in listed] == ["A milestone"]
    assert {k: m.name for k, m in milestones.milestones_by_ids(engine, A, [MILESTONE]).items()} == {
        MILESTONE: "A milestone"
    }
    for read in (milestones.completions_by_opportunity, milestones.completion_history):
        found = read(engine, A, DEALS)
        assert {k: [c.note for c in v] for k, v in found.items()} == {DEAL: ["A note"]}


def test_every_alert_read_answers_only_its_orgs_rows(store_engine: Engine) -> None:
    two_orgs_with_process(store_engine)
    engine, everyone = store_engine, Visibility(A, None)
    found = alerts.alerts_by_opportunity(engine, A, DEALS)
    assert {k: [a.message for a in v] for k, v in found.items()} == {DEAL: ["A alert"]}
    for where in (AlertFilter(), AlertFilter(kinds=(AlertKind.FIX_REQUIRED,))):
        page = alerts.list_alerts(engine, everyone, where, first=10)
        assert [a.message for a in page.rows] == ["A alert"]  # a join would duplicate rows
        assert alerts.count_alerts(engine, everyone, where) == 1
    health = alerts.health_by_opportunity(engine, A, DEALS)
    assert {k: h.score for k, h in health.items()} == {DEAL: SCORE[A]}
    assert alerts.evaluation_settings(engine, A).severity_weights == {"HIGH": SCORE[A]}


def test_every_alert_feed_read_answers_only_its_orgs_rows(store_engine: Engine) -> None:
    two_orgs_with_process(store_engine)
    with Session(store_engine) as session:
        every_alert = [(a.org_id, a.id) for a in session.exec(select(Alert)).all()]
    assert {org for org, _ in every_alert} == {A, B}
    found = alert_feed.alerts_by_ids(store_engine, A, [alert_id for _, alert_id in every_alert])
    assert {a.org_id for a in found.values()} == {A}
    assert [a.message for a in found.values()] == ["A alert"]
    owners = alert_feed.opportunity_owners(store_engine, A, DEALS)
    assert set(owners) == {DEAL}  # B_ONLY_DEAL is org B's alone


def test_every_write_changes_only_its_orgs_rows(store_engine: Engine) -> None:
    two_orgs_with_process(store_engine)
    engine, before = store_engine, _b_rows(store_engine)
    created = alert_rules.create_rule(
        engine, A, {"name": "new", "kind": "INFORMATIVE", "severity": "LOW", "condition": "true",
                    "message": "m"}, USER, LATER,
    )  # fmt: skip
    assert created.org_id == A
    edited = alert_rules.update_rule(engine, A, RULE, {"condition": "edited"}, USER, LATER)
    assert edited is not None
    assert (edited.name, edited.version) == ("A rule", 2)  # A's version 1, not B's 2
    assert alert_rules.retire_rule(engine, A, RULE, USER, LATER) is not None
    ms = milestones.create_milestone(
        engine, A, {"name": "new", "weight": 1.0, "completion": "MANUAL"}, LATER
    )
    assert ms.position == 1
    assert milestones.update_milestone(engine, A, MILESTONE, {"name": "A edited"}, LATER)
    assert milestones.reorder_milestones(engine, A, [ms.id, MILESTONE], LATER) is not None
    undone = milestones.uncomplete_milestone(engine, A, MILESTONE, DEAL, USER, LATER)
    assert undone is not None
    assert undone.note == "A note"
    assert milestones.complete_milestone(engine, A, MILESTONE, DEAL, USER, "again", LATER)
    assert milestones.retire_milestone(engine, A, MILESTONE, LATER) is not None
    alerts.set_severity_weights(engine, A, {Severity.LOW: 1})
    assert _b_rows(store_engine) == before


def _public_functions(module: ModuleType) -> set[str]:
    return {
        name
        for name, function in inspect.getmembers(module, inspect.isfunction)
        if function.__module__ == module.__name__ and not name.startswith("_")
    }


def test_every_process_repository_function_is_checked_here() -> None:
    checked = {
        alert_rules: RULE_READS | RULE_WRITES,
        milestones: MILESTONE_READS | MILESTONE_WRITES,
        alerts: ALERT_READS | ALERT_WRITES,
        alert_feed: FEED_READS,
    }
    for module, names in checked.items():
        assert _public_functions(module) - PURE == names, f"check {module.__name__}'s new function"
