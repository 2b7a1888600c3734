"""What an evaluation pass writes, in ONE transaction: the alert transitions (new rows, status
changes, PENDING rows dropped, one AlertEvent per lifecycle event, rendered messages), the
formula milestones' completions and un-completions, health (upserted; frozen when the deal
closed, removed when it was deleted), rule health, and the org's last evaluation.

Each kind of change is one statement executed with many parameter sets, so a pass costs a
constant number of statements (per UPSERT_CHUNK health rows), however many alerts change.
Everything goes through OrgScope.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, bindparam, func, insert
from sqlmodel import Session

from rules.health import Health
from rules.lifecycle import Change, Transition
from rules.process import AlertEventKind, AlertStatus, CompletionHow
from store.engine import session_scope
from store.evaluation_state import health_row_parts
from store.mirror import READ_CHUNK, upsert
from store.process_models import (
    Alert,
    AlertEvent,
    AlertRule,
    EvaluationSettings,
    MilestoneCompletion,
    OpportunityHealth,
    new_id,
)
from store.tenancy import OrgScope, table_of


@dataclass(frozen=True)
class AlertChange:
    transition: Transition
    message: str | None = None  # the message to store with it; None keeps the stored one


@dataclass(frozen=True)
class StoredAlertEvent:
    """An alert_event row a pass wrote (what live updates publish once it is committed)."""

    alert_id: str
    opportunity_id: str
    kind: AlertEventKind
    at: datetime


@dataclass(frozen=True)
class RuleHealthUpdate:
    rule_id: str
    error: str | None  # why the rule (or some of its rows) could not be evaluated
    error_count: int  # rows that evaluated to #Error!


@dataclass(frozen=True)
class EvaluationWrites:
    now: datetime
    alerts: Sequence[AlertChange] = ()
    # Alert id -> its message rendered anew, for live alerts no transition touched.
    messages: Mapping[str, str] = field(default_factory=dict)
    completed: Sequence[tuple[str, str]] = ()  # (milestone id, opportunity id), by formula
    uncompleted: Sequence[str] = ()  # completion ids whose formula no longer holds
    health: Mapping[str, Health] = field(default_factory=dict)  # by opportunity id
    frozen_ids: Collection[str] = ()  # closed: their health is frozen as it is
    deleted_ids: Collection[str] = ()  # deleted: their health is removed
    rule_health: Sequence[RuleHealthUpdate] = ()
    local_date: date | None = None  # a full pass: the org's date then (the midnight check)


# Per change, the event it records (PEND records none: a PENDING row never was an alert).
_EVENTS = {
    Change.OPEN: AlertEventKind.OPENED,
    Change.REOPEN: AlertEventKind.REOPENED,
    Change.REPOINT: AlertEventKind.RERENDERED,
    Change.RESOLVE: AlertEventKind.RESOLVED,
}
_ALERT = table_of(Alert)


def _by_id(scope: OrgScope, **values: Any) -> Any:
    """UPDATE alert SET values WHERE org AND id = :p_id (executed with many parameter sets)."""
    return scope.update(Alert).where(_ALERT.c.id == bindparam("p_id")).values(**values)


def _apply_alerts(
    session: Session, scope: OrgScope, changes: Sequence[AlertChange]
) -> list[StoredAlertEvent]:
    dropped: list[str] = []
    updates: dict[Change, list[dict[str, Any]]] = {}
    inserts: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    stored: list[StoredAlertEvent] = []
    for change in changes:
        t = change.transition
        alert_id = t.alert_id
        if t.change is Change.DROP:
            assert alert_id is not None
            dropped.append(alert_id)
            continue
        if alert_id is None:
            alert_id = new_id("alert")
            inserts.append({
                "id": alert_id, "rule_id": t.rule_id, "rule_version": t.rule_version,
                "opportunity_id": t.opportunity_id, "status": t.status.name,
                "message": change.message or "", "matched_since": t.matched_since,
                "opened_at": t.at if t.status is AlertStatus.OPEN else None, "updated_at": t.at,
            })  # fmt: skip
        else:
            updates.setdefault(t.change, []).append({
                "p_id": alert_id, "p_version": t.rule_version, "p_status": t.status.name,
                "p_at": t.at, "p_message": change.message,
                "p_resolution": t.resolution.name if t.resolution else None,
            })  # fmt: skip
        kind = _EVENTS.get(t.change)
        if kind is not None:
            detail = t.resolution.name if t.change is Change.RESOLVE and t.resolution else None
            events.append({
                "id": new_id("evt"), "alert_id": alert_id, "at": t.at, "kind": kind.name,
                "status": t.status.name, "detail": detail,
            })  # fmt: skip
            stored.append(StoredAlertEvent(alert_id, t.opportunity_id, kind, t.at))
    for start in range(0, len(dropped), READ_CHUNK):
        session.execute(
            scope.delete(Alert).where(_ALERT.c.id.in_(dropped[start : start + READ_CHUNK]))
        )
    # Resolutions before inserts: a rule change resolves an alert and opens its successor,
    # and only one live alert per rule x opportunity may exist.
    statements = {
        Change.RESOLVE: _by_id(
            scope, status=bindparam("p_status"), resolution=bindparam("p_resolution"),
            resolved_at=bindparam("p_at"), updated_at=bindparam("p_at"),
        ),
        Change.OPEN: _by_id(
            scope, status=bindparam("p_status"), rule_version=bindparam("p_version"),
            message=func.coalesce(bindparam("p_message"), _ALERT.c.message),
            opened_at=bindparam("p_at"), updated_at=bindparam("p_at"),
        ),
        Change.REOPEN: _by_id(
            scope, status=bindparam("p_status"), rule_version=bindparam("p_version"),
            message=func.coalesce(bindparam("p_message"), _ALERT.c.message),
            snoozed_until=None, updated_at=bindparam("p_at"),
        ),
        Change.REPOINT: _by_id(
            scope, rule_version=bindparam("p_version"),
            message=func.coalesce(bindparam("p_message"), _ALERT.c.message),
            updated_at=bindparam("p_at"),
        ),
    }  # fmt: skip
    for change_kind, statement in statements.items():
        if updates.get(change_kind):
            session.execute(statement, updates[change_kind])
    if inserts:
        session.execute(insert(_ALERT), scope.stamp(inserts))
    if events:
        session.execute(insert(table_of(AlertEvent)), scope.stamp(events))
    return stored


def _apply_messages(session: Session, scope: OrgScope, messages: Mapping[str, str]) -> None:
    if messages:
        rows = [{"p_id": alert_id, "p_message": text} for alert_id, text in messages.items()]
        session.execute(_by_id(scope, message=bindparam("p_message")), rows)


def _apply_completions(session: Session, scope: OrgScope, writes: EvaluationWrites) -> None:
    if writes.completed:
        rows = [
            {"id": new_id("cmp"), "milestone_id": milestone_id, "opportunity_id": opp_id,
             "how": CompletionHow.FORMULA.name, "completed_at": writes.now}
            for milestone_id, opp_id in writes.completed
        ]  # fmt: skip
        session.execute(insert(table_of(MilestoneCompletion)), scope.stamp(rows))
    if writes.uncompleted:
        table = table_of(MilestoneCompletion)
        statement = (
            scope.update(MilestoneCompletion)
            .where(table.c.id == bindparam("p_id"))
            .values(uncompleted_at=writes.now)
        )
        session.execute(statement, [{"p_id": i} for i in writes.uncompleted])


def _apply_health(session: Session, scope: OrgScope, writes: EvaluationWrites) -> None:
    rows = [
        {
            "opportunity_id": opportunity_id, "score": health.score,
            "progress": health.progress, "penalty": health.penalty,
            "breakdown": health_row_parts(health),
            "computed_at": writes.now, "closed_at": None,
        }
        for opportunity_id, health in writes.health.items()
    ]  # fmt: skip
    upsert(session, OpportunityHealth, scope.stamp(rows))
    table = table_of(OpportunityHealth)
    frozen, deleted = sorted(writes.frozen_ids), sorted(writes.deleted_ids)
    for start in range(0, len(frozen), READ_CHUNK):
        session.execute(
            scope.update(OpportunityHealth)
            .where(table.c.opportunity_id.in_(frozen[start : start + READ_CHUNK]))
            .where(table.c.closed_at.is_(None))
            .values(closed_at=writes.now)
        )
    for start in range(0, len(deleted), READ_CHUNK):
        session.execute(
            scope.delete(OpportunityHealth).where(
                table.c.opportunity_id.in_(deleted[start : start + READ_CHUNK])
            )
        )


def _apply_rule_health(session: Session, scope: OrgScope, writes: EvaluationWrites) -> None:
    if not writes.rule_health:
        return
    table = table_of(AlertRule)
    statement = (
        scope.update(AlertRule)
        .where(table.c.id == bindparam("p_id"))
        .values(
            last_evaluated_at=writes.now,
            last_error=bindparam("p_error"),
            error_count=bindparam("p_count"),
        )
    )
    rows = [
        {"p_id": r.rule_id, "p_error": r.error, "p_count": r.error_count}
        for r in writes.rule_health
    ]
    session.execute(statement, rows)


def _apply_settings(session: Session, scope: OrgScope, writes: EvaluationWrites) -> None:
    if writes.local_date is None:
        return
    settings = scope.get(session, EvaluationSettings)
    if settings is None:
        settings = EvaluationSettings(org_id=scope.org_id)
        session.add(settings)
    settings.last_evaluated_at = writes.now
    settings.last_local_date = writes.local_date.isoformat()


def save_evaluation(
    engine: Engine, org_id: str, writes: EvaluationWrites
) -> list[StoredAlertEvent]:
    """Store what a pass found, in one transaction; the alert events it stored."""
    scope = OrgScope(org_id)
    with session_scope(engine) as session:
        stored = _apply_alerts(session, scope, writes.alerts)
        _apply_messages(session, scope, writes.messages)
        _apply_completions(session, scope, writes)
        _apply_health(session, scope, writes)
        _apply_rule_health(session, scope, writes)
        _apply_settings(session, scope, writes)
    return stored  # committed: session_scope commits on leaving
