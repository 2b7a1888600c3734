"""Rows of the sales process for evaluation tests, written straight to the store (the
repositories of store/alert_rules.py and store/milestones.py are other tests' subject): rules
with their versions, milestones, alerts in a given state, the Opportunity describe."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from store.process_models import (
    Alert,
    AlertEvent,
    AlertRule,
    AlertRuleVersion,
    Milestone,
    MilestoneCompletion,
    OpportunityHealth,
    new_id,
)
from tests import factories as f

DESCRIBE_FIELDS = [
    {"name": "Id", "type": "id", "updateable": False},
    {"name": "Name", "type": "string", "updateable": True},
    {"name": "StageName", "type": "picklist", "updateable": True},
    {"name": "Amount", "type": "currency", "updateable": True},
    {"name": "CloseDate", "type": "date", "updateable": True},
    {"name": "NextStep", "type": "string", "updateable": True},
    {"name": "Decision_Maker__c", "type": "string", "updateable": True},
]


def describe(engine: Engine, org_id: str = f.ORG_A) -> None:
    f.catalog(engine, org_id, DESCRIBE_FIELDS)


def rule(
    engine: Engine,
    condition: str,
    message: str = "Check {!Name}",
    *,
    org_id: str = f.ORG_A,
    name: str | None = None,
    kind: str = "FIX_REQUIRED",
    severity: str = "HIGH",
    hold_seconds: int = 0,
    fix_fields: Sequence[str] = ("Amount",),
    active: bool = True,
) -> AlertRule:
    rule_id = new_id("rule")
    values = {
        "name": name or f"Rule {rule_id[-4:]}", "kind": kind, "severity": severity,
        "condition": condition, "message": message, "fix_fields": list(fix_fields),
        "hold_seconds": hold_seconds,
    }  # fmt: skip
    row = AlertRule(org_id=org_id, id=rule_id, version=1, active=active, **values)  # type: ignore[arg-type]
    f.add(engine, row, AlertRuleVersion(org_id=org_id, rule_id=rule_id, version=1, **values))  # type: ignore[arg-type]
    return row


def edit_rule(engine: Engine, row: AlertRule, **changes: object) -> AlertRule:
    """A new version of `row` with `changes` (as store.alert_rules.update_rule makes it)."""
    with Session(engine, expire_on_commit=False) as session:
        stored = session.get(AlertRule, (row.org_id, row.id))
        assert stored is not None
        for name, value in changes.items():
            setattr(stored, name, value)
        stored.version += 1
        keys = ("name", "kind", "severity", "condition", "message", "fix_fields", "hold_seconds")
        session.add(
            AlertRuleVersion(
                org_id=row.org_id, rule_id=row.id, version=stored.version,
                **{key: getattr(stored, key) for key in keys},
            )
        )  # fmt: skip
        session.add(stored)
        session.commit()
        return stored


def milestone(
    engine: Engine,
    name: str,
    *,
    org_id: str = f.ORG_A,
    stage: str | None = None,
    weight: float = 1.0,
    formula: str | None = None,
    position: int = 0,
) -> Milestone:
    row = Milestone(
        org_id=org_id, id=new_id("ms"), name=name, stage_name=stage, weight=weight,
        completion="FORMULA" if formula else "MANUAL", formula=formula, position=position,
    )  # fmt: skip
    f.add(engine, row)
    return row


def complete(engine: Engine, ms: Milestone, opportunity_id: str, at: datetime) -> None:
    f.add(
        engine,
        MilestoneCompletion(
            org_id=ms.org_id, id=new_id("cmp"), milestone_id=ms.id,
            opportunity_id=opportunity_id, how="MANUAL", completed_at=at,
        ),
    )  # fmt: skip


def alerts(engine: Engine, org_id: str = f.ORG_A) -> list[Alert]:
    with Session(engine) as session:
        query = select(Alert).where(Alert.org_id == org_id).order_by(col(Alert.opportunity_id))
        return list(session.exec(query).all())


def live(engine: Engine, org_id: str = f.ORG_A) -> dict[tuple[str, str], Alert]:
    """(rule id, opportunity id) -> its alert that is not RESOLVED."""
    return {
        (a.rule_id, a.opportunity_id): a for a in alerts(engine, org_id) if a.status != "RESOLVED"
    }


def events(engine: Engine, alert_id: str) -> list[tuple[str, str, str | None]]:
    with Session(engine) as session:
        query = select(AlertEvent).where(AlertEvent.alert_id == alert_id)
        rows = session.exec(query.order_by(col(AlertEvent.at), col(AlertEvent.kind))).all()
        return [(e.kind, e.status, e.detail) for e in rows]


def set_alert(engine: Engine, alert_id: str, **values: object) -> None:
    with Session(engine) as session:
        row = session.exec(select(Alert).where(Alert.id == alert_id)).one()
        for name, value in values.items():
            setattr(row, name, value)
        session.add(row)
        session.commit()


def health(engine: Engine, org_id: str = f.ORG_A) -> dict[str, OpportunityHealth]:
    with Session(engine) as session:
        query = select(OpportunityHealth).where(OpportunityHealth.org_id == org_id)
        return {h.opportunity_id: h for h in session.exec(query).all()}


def completions(engine: Engine, org_id: str = f.ORG_A) -> list[MilestoneCompletion]:
    with Session(engine) as session:
        query = select(MilestoneCompletion).where(MilestoneCompletion.org_id == org_id)
        return list(session.exec(query.order_by(col(MilestoneCompletion.completed_at))).all())
