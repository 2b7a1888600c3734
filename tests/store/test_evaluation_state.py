"""What the evaluation pass reads and writes (store.evaluation_state, store.evaluation_writes),
through OrgScope: two orgs hold rules, alerts, milestones, completions and health under the
same ids, and each function answers (or changes) only its own org's rows."""

from __future__ import annotations

import inspect
from datetime import date, timedelta

from sqlalchemy import Engine
from sqlmodel import Session, SQLModel, select

from rules.health import Health, HealthPart
from rules.lifecycle import Change, Transition
from rules.process import AlertStatus, Resolution, Severity
from store import evaluation_state, evaluation_writes
from store.evaluation_state import (
    alert_messages,
    ended_opportunities,
    evaluation_clock,
    health_row_parts,
    live_alerts,
    load_evaluation_state,
    stored_form,
    stored_part,
    stored_parts,
)
from store.evaluation_writes import AlertChange, EvaluationWrites, RuleHealthUpdate, save_evaluation
from store.models import FieldCatalog, Opportunity, Organization
from store.process_models import (
    Alert,
    AlertEvent,
    AlertRule,
    AlertRuleVersion,
    EvaluationSettings,
    Milestone,
    MilestoneCompletion,
    OpportunityHealth,
)
from tests import factories as f

A, B = f.ORG_A, f.ORG_B
DEAL, RULE, ALERT, MILESTONE, COMPLETION = (
    "006000000000001AAA", "rule_shared", "alert_shared", "ms_shared", "cmp_shared",
)  # fmt: skip
NOW = f.NOW


def populate(engine: Engine, org: str) -> None:
    f.org(engine, org)
    tag = org[-4:]
    rule = {
        "name": f"{tag} rule", "kind": "FIX_REQUIRED", "severity": "HIGH",
        "condition": "ISBLANK(Amount)", "message": "m", "fix_fields": ["Amount"],
    }  # fmt: skip
    f.add(
        engine,
        Organization(org_id=org, id=org, time_zone_sid_key="Asia/Tokyo" if org == B else "UTC"),
        FieldCatalog(org_id=org, sobject="Opportunity", describe={"org": tag}, fetched_at=NOW),
        Opportunity(
            org_id=org, id=DEAL, name=f"{tag} deal", owner_id="005x", stage_name="Prospecting",
            is_closed=org == B, fields={},
        ),
        AlertRule(org_id=org, id=RULE, version=2, **rule),  # type: ignore[arg-type]
        AlertRuleVersion(org_id=org, rule_id=RULE, version=1, **rule),  # type: ignore[arg-type]
        AlertRuleVersion(org_id=org, rule_id=RULE, version=2, **rule),  # type: ignore[arg-type]
        Alert(
            org_id=org, id=ALERT, rule_id=RULE, rule_version=1, opportunity_id=DEAL,
            status="OPEN", message=f"{tag} message", matched_since=NOW, opened_at=NOW,
        ),
        Milestone(org_id=org, id=MILESTONE, name=f"{tag} ms", completion="FORMULA", formula="true"),
        MilestoneCompletion(
            org_id=org, id=COMPLETION, milestone_id=MILESTONE, opportunity_id=DEAL,
            how="FORMULA", completed_at=NOW,
        ),
        OpportunityHealth(
            org_id=org, opportunity_id=DEAL, score=1, progress=0.0, penalty=0, computed_at=NOW
        ),
        EvaluationSettings(
            org_id=org, severity_weights={"HIGH": 7 if org == A else 9},
            last_local_date="2026-02-01" if org == A else "2026-02-02",
        ),
    )  # fmt: skip


MODELS: tuple[type[SQLModel], ...] = (
    Alert, AlertEvent, AlertRule, MilestoneCompletion, OpportunityHealth, EvaluationSettings,
)  # fmt: skip


def rows_of(engine: Engine, org: str) -> list[tuple[str, str]]:
    found = []
    with Session(engine) as session:
        for model in MODELS:
            for row in session.exec(select(model).where(model.org_id == org)):  # type: ignore[attr-defined]
                found.append((model.__name__, repr(sorted(row.model_dump().items()))))
    return sorted(found)


def test_reads_answer_only_their_org_s_rows(store_engine: Engine) -> None:
    populate(store_engine, A)
    populate(store_engine, B)
    state = load_evaluation_state(store_engine, A)
    assert (state.time_zone, state.describes) == ("UTC", {"Opportunity": {"org": "1AAA"}})
    assert [(r.name, r.version, r.condition_version) for r in state.rules] == [("1AAA rule", 2, 1)]
    assert [(a.alert_id, a.rule_version) for a in live_alerts(state.alerts)] == [(ALERT, 1)]
    assert alert_messages(store_engine, A, rule_ids=[RULE]) == {ALERT: "1AAA message"}
    assert alert_messages(store_engine, B, rule_ids=[RULE], opportunity_ids=[DEAL]) == {
        ALERT: "2AAA message"
    }
    assert [m.name for m in state.milestones] == ["1AAA ms"]
    assert state.completions.select("completion_id", "opportunity_id").rows() == [
        (COMPLETION, DEAL)
    ]
    assert state.weights[Severity.HIGH] == 7
    assert ended_opportunities(store_engine, A, [DEAL, "006GONE"]) == (set(), {"006GONE"})
    assert ended_opportunities(store_engine, B, [DEAL]) == ({DEAL}, set())
    # a full pass asks about what it did not find open among its alerts' and health's deals
    assert state.not_among([]) == [DEAL]
    assert state.not_among([DEAL]) == []
    assert evaluation_clock(store_engine, A) == (date(2026, 2, 1), "UTC")
    assert evaluation_clock(store_engine, B) == (date(2026, 2, 2), "Asia/Tokyo")


def test_writes_change_only_their_org_s_rows(store_engine: Engine) -> None:
    populate(store_engine, A)
    populate(store_engine, B)
    before = rows_of(store_engine, B)
    later = NOW + timedelta(hours=1)
    resolve = Transition(
        Change.RESOLVE, RULE, 1, DEAL, ALERT, AlertStatus.RESOLVED,
        Resolution.CONDITION_CLEARED, later, NOW,
    )  # fmt: skip
    opened = Transition(
        Change.OPEN, RULE, 2, DEAL, None, AlertStatus.OPEN, None, later, later
    )  # fmt: skip
    writes = EvaluationWrites(
        now=later,
        alerts=[AlertChange(resolve), AlertChange(opened, "new")],
        uncompleted=[COMPLETION],
        health={DEAL: Health(50, 0.5, 0, (HealthPart("Progress", 50),))},
        rule_health=[RuleHealthUpdate(RULE, "boom", 3)],
        local_date=date(2026, 3, 1),
    )
    save_evaluation(store_engine, A, writes)
    assert rows_of(store_engine, B) == before
    with Session(store_engine) as session:
        alerts = session.exec(select(Alert).where(Alert.org_id == A)).all()
        assert sorted((a.status, a.message) for a in alerts) == [
            ("OPEN", "new"), ("RESOLVED", "1AAA message"),
        ]  # fmt: skip
        rule = session.get(AlertRule, (A, RULE))
        assert rule is not None
        assert (rule.last_error, rule.error_count) == ("boom", 3)
        health = session.get(OpportunityHealth, (A, DEAL))
        assert health is not None
        assert health.score == 50
        completion = session.get(MilestoneCompletion, (A, COMPLETION))
        assert completion is not None
        assert completion.uncompleted_at == later
    save_evaluation(store_engine, A, EvaluationWrites(now=later, frozen_ids=[DEAL]))
    save_evaluation(store_engine, B, EvaluationWrites(now=later, deleted_ids=[DEAL]))
    with Session(store_engine) as session:
        frozen = session.get(OpportunityHealth, (A, DEAL))
        assert frozen is not None
        assert frozen.closed_at == later
        assert session.get(OpportunityHealth, (B, DEAL)) is None


def test_stored_health_reads_back_as_its_stored_form(store_engine: Engine) -> None:
    """A pass writes only the health that changed: what it stored must read back equal."""
    populate(store_engine, A)
    health = Health(42, 0.125, 20, (HealthPart("Progress: 1 of 8", 62), HealthPart("é", -20)))
    save_evaluation(store_engine, A, EvaluationWrites(now=NOW, health={DEAL: health}))
    [(opportunity_id, *stored)] = load_evaluation_state(store_engine, A).health.rows()
    assert (opportunity_id, tuple(stored)) == (DEAL, stored_form(health))
    assert health_row_parts(health)[1] == {"label": "é", "points": -20}
    # what a pass compares without making Health values: the parts' text, after the first
    assert stored_part(health.breakdown[1]) == stored_parts(health, 1)
    assert stored_parts(health, 1) == '{"label": "\\u00e9", "points": -20}'


def test_every_function_is_checked_here() -> None:
    public = {
        f"{module.__name__}.{name}"
        for module in (evaluation_state, evaluation_writes)
        for name, function in inspect.getmembers(module, inspect.isfunction)
        if function.__module__ == module.__name__ and not name.startswith("_")
    }
    assert public == {
        "store.evaluation_state.alert_messages",
        "store.evaluation_state.ended_opportunities",
        "store.evaluation_state.evaluation_clock",
        "store.evaluation_state.health_row_parts",
        "store.evaluation_state.live_alerts",
        "store.evaluation_state.stored_form",
        "store.evaluation_state.stored_part",
        "store.evaluation_state.stored_parts",
        "store.evaluation_state.load_evaluation_state",
        "store.evaluation_writes.save_evaluation",
    }, "check a new repository function above"
