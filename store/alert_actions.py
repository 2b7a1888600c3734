"""A person's snooze, unsnooze and dismissal of an alert: each one conditional UPDATE (it
applies only if the alert is still in a status the action starts from, so a concurrent
evaluation that resolved it, or a second click, changes nothing) and its alert_event row, in
one transaction. Every statement is built through store.tenancy.OrgScope. Blocking."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from sqlmodel import col

from rules.process import AlertEventKind, AlertStatus
from store.engine import session_scope
from store.evaluation_writes import StoredAlertEvent
from store.process_models import Alert, AlertEvent, new_id
from store.tenancy import OrgScope

SNOOZABLE = (AlertStatus.OPEN, AlertStatus.SNOOZED)
DISMISSABLE = (AlertStatus.OPEN, AlertStatus.SNOOZED)


def _transition(
    engine: Engine,
    org_id: str,
    alert_id: str,
    *,
    from_statuses: Collection[AlertStatus],
    values: dict[str, Any],
    event: AlertEventKind,
    detail: str | None,
    by_id: str,
    at: datetime,
) -> tuple[Alert, StoredAlertEvent] | None:
    """Set `values` on the alert if its status is one of `from_statuses`, and record `event`;
    the alert as it now is and the event to publish, or None when it was in no such status."""
    scope = OrgScope(org_id)
    with session_scope(engine) as session:
        changed = session.execute(
            scope.update(Alert)
            .where(col(Alert.id) == alert_id)
            .where(col(Alert.status).in_([s.name for s in from_statuses]))
            .values(**values, updated_at=at)
        )
        if changed.rowcount != 1:  # type: ignore[attr-defined]
            return None
        alert = scope.get(session, Alert, alert_id)
        assert alert is not None  # just updated, in this transaction
        session.add(
            AlertEvent(
                org_id=org_id,
                id=new_id("evt"),
                alert_id=alert_id,
                at=at,
                kind=event.name,
                status=alert.status,
                detail=detail,
                by_id=by_id,
            )
        )
        return alert, StoredAlertEvent(alert_id, alert.opportunity_id, event, at)


def snooze_alert(
    engine: Engine, org_id: str, alert_id: str, until: datetime, reason: str, by_id: str,
    at: datetime,
) -> tuple[Alert, StoredAlertEvent] | None:  # fmt: skip
    return _transition(
        engine, org_id, alert_id, from_statuses=SNOOZABLE,
        values={"status": AlertStatus.SNOOZED.name, "snoozed_until": until,
                "snooze_reason": reason, "snoozed_by_id": by_id},
        event=AlertEventKind.SNOOZED, detail=reason, by_id=by_id, at=at,
    )  # fmt: skip


def unsnooze_alert(
    engine: Engine, org_id: str, alert_id: str, by_id: str, at: datetime
) -> tuple[Alert, StoredAlertEvent] | None:
    """Back to OPEN at once (the REOPENED event, as when a snooze expires); the snooze's
    reason and author stay on the alert for the record."""
    return _transition(
        engine, org_id, alert_id, from_statuses=(AlertStatus.SNOOZED,),
        values={"status": AlertStatus.OPEN.name, "snoozed_until": None},
        event=AlertEventKind.REOPENED, detail=None, by_id=by_id, at=at,
    )  # fmt: skip


def dismiss_alert(
    engine: Engine, org_id: str, alert_id: str, reason: str, by_id: str, at: datetime
) -> tuple[Alert, StoredAlertEvent] | None:
    """The caller has checked the alert is INFORMATIVE (its rule version says so)."""
    return _transition(
        engine, org_id, alert_id, from_statuses=DISMISSABLE,
        values={"status": AlertStatus.DISMISSED.name, "snoozed_until": None,
                "dismissed_at": at, "dismiss_reason": reason, "dismissed_by_id": by_id},
        event=AlertEventKind.DISMISSED, detail=reason, by_id=by_id, at=at,
    )  # fmt: skip
