"""The sales process's tables: milestones and their completions, alert rules and their
versions, alerts and their lifecycle events, stored health, per-org evaluation settings.

Like the mirror's tables, every row belongs to one org (`org_id` leads every primary key;
statements are built through store.tenancy.OrgScope). dealpulse's own objects have opaque
string ids (`new_id(prefix)`), never Salesforce ids. Enumerated columns hold the names of the
enums in rules/ (rules.process): "FIX_REQUIRED", "OPEN", ...
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from store.models import json_field, utc_field


def new_id(prefix: str) -> str:
    """An opaque id: `prefix` + 20 url-safe random characters ("rule_3kTq...")."""
    return f"{prefix}_{secrets.token_urlsafe(15)}"


class Milestone(SQLModel, table=True):
    """A checkpoint a deal should pass. `stage_name` None is GLOBAL (every open stage); a
    stage's milestone stays applicable in every later open stage by SortOrder. Edited in place
    (completions point at the id, so editing or retiring keeps them)."""

    __tablename__ = "milestone"
    org_id: str = Field(primary_key=True, foreign_key="org.id")
    id: str = Field(primary_key=True)
    name: str
    description: str | None = None
    stage_name: str | None = None  # the OpportunityStage api name; None = GLOBAL
    weight: float = 1.0  # > 0
    completion: str = "MANUAL"  # MANUAL | FORMULA
    formula: str | None = None  # a checkbox formula, for FORMULA
    position: int = 0  # the order milestones are listed in
    active: bool = True
    created_at: datetime | None = utc_field()
    updated_at: datetime | None = utc_field()
    retired_at: datetime | None = utc_field()


class MilestoneCompletion(SQLModel, table=True):
    """One completion of a milestone on an opportunity, kept when it is un-completed
    (`uncompleted_at`): the current completion is the row with no `uncompleted_at`."""

    __tablename__ = "milestone_completion"
    __table_args__ = (
        Index("ix_milestone_completion_opp", "org_id", "opportunity_id"),
        Index("ix_milestone_completion_milestone", "org_id", "milestone_id"),
    )
    org_id: str = Field(primary_key=True, foreign_key="org.id")
    id: str = Field(primary_key=True)
    milestone_id: str
    opportunity_id: str
    how: str  # MANUAL | FORMULA
    completed_at: datetime = utc_field(nullable=False)
    completed_by_id: str | None = None  # the Salesforce user; None when a formula completed it
    note: str | None = None
    uncompleted_at: datetime | None = utc_field()
    uncompleted_by_id: str | None = None


class AlertRule(SQLModel, table=True):
    """A rule's stable identity, its current definition (a copy of its latest version) and its
    health. Every edit adds an AlertRuleVersion and bumps `version`."""

    __tablename__ = "alert_rule"
    # An imported validation rule is imported once (NULL source ids do not collide).
    __table_args__ = (UniqueConstraint("org_id", "source_id", name="uq_alert_rule_source"),)
    org_id: str = Field(primary_key=True, foreign_key="org.id")
    id: str = Field(primary_key=True)
    version: int = 1
    name: str
    kind: str  # INFORMATIVE | FIX_REQUIRED
    severity: str  # LOW | MEDIUM | HIGH | CRITICAL
    condition: str
    message: str
    recommendation: str | None = None
    fix_fields: list[str] = json_field(list)
    hold_seconds: int = 0  # the condition must hold this long before the alert opens
    active: bool = True
    origin: str = "MANUAL"  # MANUAL | VALIDATION_RULE | RECOMMENDED
    author_id: str | None = None  # the Salesforce user who last edited it
    # For origin VALIDATION_RULE: the validation rule's Salesforce id, and a digest of what was
    # imported (condition, message, display field) to tell UPDATED from UNCHANGED on re-import.
    source_id: str | None = None
    source_digest: str | None = None
    created_at: datetime | None = utc_field()
    updated_at: datetime | None = utc_field()
    retired_at: datetime | None = utc_field()
    # Rule health, written by each evaluation pass.
    last_evaluated_at: datetime | None = utc_field()
    last_error: str | None = None
    error_count: int = 0  # rows that evaluated to #Error! in the last pass


class AlertRuleVersion(SQLModel, table=True):
    """One version of a rule's definition, as it was saved (alerts point at it)."""

    __tablename__ = "alert_rule_version"
    org_id: str = Field(primary_key=True, foreign_key="org.id")
    rule_id: str = Field(primary_key=True)
    version: int = Field(primary_key=True)
    name: str
    kind: str
    severity: str
    condition: str
    message: str
    recommendation: str | None = None
    fix_fields: list[str] = json_field(list)
    hold_seconds: int = 0
    author_id: str | None = None
    created_at: datetime | None = utc_field()


class Alert(SQLModel, table=True):
    """One alert: a rule x an opportunity, from the moment its condition held until it is
    resolved. Re-firing after resolution is a new row, so history is kept. `status` PENDING
    means the condition holds but not yet for the rule's hold time (never shown to clients)."""

    __tablename__ = "alert"
    __table_args__ = (
        Index("ix_alert_org_status", "org_id", "status"),
        Index("ix_alert_org_opp", "org_id", "opportunity_id"),
        Index("ix_alert_org_rule", "org_id", "rule_id"),
        # At most one live (not RESOLVED) alert per rule x opportunity, whoever writes it.
        Index(
            "uq_alert_live",
            "org_id",
            "rule_id",
            "opportunity_id",
            unique=True,
            sqlite_where=text("status != 'RESOLVED'"),
            postgresql_where=text("status != 'RESOLVED'"),
        ),
    )
    org_id: str = Field(primary_key=True, foreign_key="org.id")
    id: str = Field(primary_key=True)
    rule_id: str
    rule_version: int
    opportunity_id: str
    status: str  # PENDING | OPEN | SNOOZED | DISMISSED | RESOLVED
    message: str = ""  # rendered from the rule's template for the opportunity
    matched_since: datetime = utc_field(nullable=False)  # the condition has held since
    opened_at: datetime | None = utc_field()
    snoozed_until: datetime | None = utc_field()
    snooze_reason: str | None = None
    snoozed_by_id: str | None = None
    dismissed_at: datetime | None = utc_field()
    dismiss_reason: str | None = None
    dismissed_by_id: str | None = None
    resolved_at: datetime | None = utc_field()
    resolution: str | None = None  # CONDITION_CLEARED | RULE_CHANGED | ... (rules.process)
    updated_at: datetime | None = utc_field()


class AlertEvent(SQLModel, table=True):
    """The lifecycle history of an alert: one row per transition."""

    __tablename__ = "alert_event"
    __table_args__ = (Index("ix_alert_event_alert", "org_id", "alert_id"),)
    org_id: str = Field(primary_key=True, foreign_key="org.id")
    id: str = Field(primary_key=True)
    alert_id: str
    at: datetime = utc_field(nullable=False)
    kind: str  # OPENED | SNOOZED | REOPENED | DISMISSED | RESOLVED | RERENDERED
    status: str  # the alert's status after the event
    detail: str | None = None  # a resolution, a snooze or dismiss reason
    by_id: str | None = None  # the Salesforce user, for a person's action


class OpportunityHealth(SQLModel, table=True):
    """The health of an opportunity as the last evaluation computed it; frozen (`closed_at`)
    when the deal closed, so a closed deal reports the health it had then."""

    __tablename__ = "opportunity_health"
    org_id: str = Field(primary_key=True, foreign_key="org.id")
    opportunity_id: str = Field(primary_key=True)
    score: int
    progress: float
    penalty: int
    breakdown: list[dict[str, Any]] = json_field(list)  # [{"label": ..., "points": ...}]
    computed_at: datetime = utc_field(nullable=False)
    closed_at: datetime | None = utc_field()


class EvaluationSettings(SQLModel, table=True):
    """Per-org evaluation settings: the health points an open alert takes off, by severity
    (absent keys use rules.process's documented defaults), and when the org was last
    evaluated (the clock job's midnight check reads `last_local_date`)."""

    __tablename__ = "evaluation_settings"
    org_id: str = Field(primary_key=True, foreign_key="org.id")
    severity_weights: dict[str, int] = json_field(dict)
    last_evaluated_at: datetime | None = utc_field()
    last_local_date: str | None = None  # ISO date in the org's time zone at the last pass
