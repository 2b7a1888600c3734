"""Factories for the sales process's rows (rules, milestones, alerts), as tests/factories.py
is for the mirror's: each test arranges exactly the definitions and alerts it needs."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from rules.process import AlertKind, AlertStatus, MilestoneCompletionMode, Resolution, Severity
from store import alert_rules, milestones
from store.models import Opportunity
from store.process_models import Alert, AlertRule, Milestone, new_id
from tests.factories import NOW, add


def rule_values(**values: Any) -> dict[str, Any]:
    """A valid FIX_REQUIRED rule's values, overridden by `values`."""
    return {
        "name": "Close date in the past",
        "kind": AlertKind.FIX_REQUIRED,
        "severity": Severity.HIGH,
        "condition": "CloseDate < TODAY()",
        "message": "Close date {!CloseDate} is in the past",
        "fix_fields": ("CloseDate",),
        **values,
    }


def rule(engine: Engine, org_id: str, *, author_id: str | None = None, **values: Any) -> AlertRule:
    return alert_rules.create_rule(engine, org_id, rule_values(**values), author_id, NOW)


def milestone_values(**values: Any) -> dict[str, Any]:
    """A valid manual GLOBAL milestone's values, overridden by `values`."""
    return {
        "name": "Decision maker identified",
        "description": None,
        "stage_name": None,
        "weight": 1.0,
        "completion": MilestoneCompletionMode.MANUAL,
        "formula": None,
        **values,
    }


def milestone(engine: Engine, org_id: str, **values: Any) -> Milestone:
    return milestones.create_milestone(engine, org_id, milestone_values(**values), NOW)


def alert(
    engine: Engine,
    rule_row: AlertRule,
    opportunity: Opportunity,
    status: AlertStatus = AlertStatus.OPEN,
    *,
    opened_at: datetime | None = None,
    **values: Any,
) -> Alert:
    """An alert of the rule's current version on the opportunity, as evaluation writes one."""
    opened = opened_at or NOW - timedelta(hours=1)
    resolved = status is AlertStatus.RESOLVED
    row = Alert(
        org_id=rule_row.org_id,
        id=new_id("alert"),
        rule_id=rule_row.id,
        rule_version=rule_row.version,
        opportunity_id=opportunity.id,
        status=status.name,
        message=f"{rule_row.name} on {opportunity.name}",
        matched_since=opened,
        opened_at=None if status is AlertStatus.PENDING else opened,
        resolved_at=NOW if resolved else None,
        resolution=Resolution.CONDITION_CLEARED.name if resolved else None,
        updated_at=opened,
        **values,
    )
    add(engine, row)
    return row
