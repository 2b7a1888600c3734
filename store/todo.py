"""The reads of a to-do list: every open opportunity of one owner (among those the caller may
see) with its OPEN fix-alerts, the stored Opportunity describe and the org's severity weights.

Three statements whatever the list's length: the items are one join (opportunity x alert x the
alert's version: kind and severity are the version's, as store.alerts reads them), ordered by
opportunity then oldest alert. The whole list is read: its priority is computed at read time,
so it cannot be a stored keyset (a rep has hundreds of items at most; resolvers.todo pages it
in memory). Blocking: async callers use `run_in_threadpool`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, and_, distinct, false, func
from sqlmodel import Session, col, select

from rules.process import AlertKind, AlertStatus, Severity
from store.alerts import evaluation_settings
from store.models import FieldCatalog, Opportunity
from store.process_models import Alert, AlertRuleVersion
from store.queries import Visibility


@dataclass(frozen=True)
class TodoAlert:
    alert: Alert
    severity: Severity
    fix_fields: tuple[str, ...]


@dataclass
class TodoRow:
    opportunity: Opportunity
    alerts: list[TodoAlert] = field(default_factory=list)


@dataclass(frozen=True)
class TodoRows:
    rows: list[TodoRow]
    describe: dict[str, Any] | None  # the stored Opportunity describe; None before the first
    weights: dict[Severity, int]  # the org's severity weights that differ from the defaults


def _open_fix_alerts(visibility: Visibility, owner_id: str, *columns: Any) -> Any:
    """SELECT `columns` over the owner's open, visible opportunities x their OPEN fix-alerts x
    the alerts' versions (the to-do list's join)."""
    scope = visibility.scope
    query = (
        select(*columns)
        .select_from(Opportunity)
        .join(
            Alert,
            and_(scope.owns(Alert), col(Alert.opportunity_id) == col(Opportunity.id)),
        )
        .join(
            AlertRuleVersion,
            and_(
                scope.owns(AlertRuleVersion),
                col(AlertRuleVersion.rule_id) == col(Alert.rule_id),
                col(AlertRuleVersion.version) == col(Alert.rule_version),
            ),
        )
        .where(
            scope.owns(Opportunity),
            col(Opportunity.owner_id) == owner_id,
            col(Opportunity.is_deleted) == false(),
            col(Opportunity.is_closed) == false(),
            col(Alert.status) == AlertStatus.OPEN.name,
            col(AlertRuleVersion.kind) == AlertKind.FIX_REQUIRED.name,
        )
    )
    if visibility.owner_ids is not None:
        query = query.where(col(Opportunity.owner_id).in_(sorted(visibility.owner_ids)))
    return query


def todo_count(engine: Engine, visibility: Visibility, owner_id: str) -> int:
    """How many items the owner's to-do list has (opportunities with an open fix-alert), in
    one COUNT statement: what a write answers as `remainingTodoCount`, without the list."""
    items = func.count(distinct(col(Opportunity.id)))
    with Session(engine) as session:
        return int(session.exec(_open_fix_alerts(visibility, owner_id, items)).one())


def todo_rows(engine: Engine, visibility: Visibility, owner_id: str) -> TodoRows:
    scope = visibility.scope
    query = _open_fix_alerts(visibility, owner_id, Opportunity, Alert, AlertRuleVersion).order_by(
        col(Opportunity.id), col(Alert.opened_at), col(Alert.id)
    )
    catalog = scope.select(FieldCatalog).where(col(FieldCatalog.sobject) == "Opportunity")
    rows: dict[str, TodoRow] = {}
    with Session(engine) as session:
        for opportunity, alert, version in session.exec(query).all():
            row = rows.setdefault(opportunity.id, TodoRow(opportunity))
            row.alerts.append(
                TodoAlert(alert, Severity[version.severity], tuple(version.fix_fields))
            )
        stored = session.exec(catalog).first()
    settings = evaluation_settings(engine, visibility.org_id)
    weights = {
        Severity[name]: points
        for name, points in settings.severity_weights.items()
        if name in Severity.__members__
    }
    return TodoRows(list(rows.values()), None if stored is None else stored.describe, weights)
