"""The read side of alerts and health, for the API: an opportunity's alerts, the alerts
connection over what a caller may see, stored health, and the org's evaluation settings.

What the evaluation pass reads and writes is store.evaluation_state's; here are the reads of a
request, one statement each however many keys (DataLoader batches). An alert's kind and severity
are its version's (the rule as it was when the alert opened or was last re-pointed), so a filter
agrees with what the alert shows. PENDING alerts are never listed unless asked for by status:
they are not alerts yet. Every statement is built through store.tenancy.OrgScope; the alerts
connection also through the caller's store.queries.Visibility. Blocking: async callers use
`run_in_threadpool`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, and_, false, func, or_
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from rules.process import VISIBLE_STATUSES, AlertKind, AlertStatus, Severity
from store.engine import conflict_insert, session_scope
from store.models import Opportunity
from store.process_common import by_opportunity
from store.process_models import Alert, AlertRuleVersion, EvaluationSettings, OpportunityHealth
from store.queries import Visibility
from store.tenancy import OrgScope, table_of


@dataclass(frozen=True)
class AlertFilter:
    """Which alerts to list; None: no condition. `statuses` None means the visible ones."""

    kinds: tuple[AlertKind, ...] | None = None
    severities: tuple[Severity, ...] | None = None
    statuses: tuple[AlertStatus, ...] | None = None
    rule_ids: tuple[str, ...] | None = None
    owner_ids: tuple[str, ...] | None = None


@dataclass(frozen=True)
class AlertKey:
    """Where an alert stands in the connection's order (newest opened first, then id): the
    keyset a page continues after, so an alert that opens meanwhile shifts no page."""

    at: datetime
    id: str


@dataclass(frozen=True)
class AlertPage:
    rows: list[Alert]
    has_next: bool


def _names(members: Collection[AlertKind | Severity | AlertStatus]) -> list[str]:
    return sorted(member.name for member in members)


def _opened() -> Any:
    """An alert's place in time: when it opened; a PENDING one, since its condition held."""
    return func.coalesce(col(Alert.opened_at), col(Alert.matched_since))


def alert_key(alert: Alert) -> AlertKey:
    """The key of `alert` in the connection's order (what a cursor encodes)."""
    return AlertKey(at=alert.opened_at or alert.matched_since, id=alert.id)


def _version_join(scope: OrgScope) -> ColumnElement[bool]:
    return and_(
        scope.owns(AlertRuleVersion),
        col(AlertRuleVersion.rule_id) == col(Alert.rule_id),
        col(AlertRuleVersion.version) == col(Alert.rule_version),
    )


def _conditions(
    query: SelectOfScalar[Any],
    scope: OrgScope,
    kinds: Collection[AlertKind] | None,
    severities: Collection[Severity] | None,
    statuses: Collection[AlertStatus] | None,
) -> SelectOfScalar[Any]:
    """`query` over the org's alerts, narrowed by status (the visible ones by default), and
    by kind and severity through the alert's version (joined only when they are asked for)."""
    shown = VISIBLE_STATUSES if statuses is None else statuses
    query = query.where(scope.owns(Alert), col(Alert.status).in_(_names(shown)))
    if kinds is not None or severities is not None:
        query = query.join(AlertRuleVersion, _version_join(scope))
    if kinds is not None:
        query = query.where(col(AlertRuleVersion.kind).in_(_names(kinds)))
    if severities is not None:
        query = query.where(col(AlertRuleVersion.severity).in_(_names(severities)))
    return query


def alerts_by_opportunity(
    engine: Engine,
    org_id: str,
    ids: Collection[str],
    kinds: Collection[AlertKind] | None = None,
    statuses: Collection[AlertStatus] | None = None,
) -> dict[str, list[Alert]]:
    """The alerts of each opportunity (the caller has checked it may see them), newest first,
    in one query; `kinds` None: every kind, `statuses` None: every visible status."""
    scope = OrgScope(org_id)
    query = _conditions(select(Alert), scope, kinds, None, statuses)
    query = query.where(col(Alert.opportunity_id).in_(list(ids)))
    return by_opportunity(engine, query.order_by(_opened().desc(), col(Alert.id).desc()))


def _listed(visibility: Visibility, where: AlertFilter, query: Any) -> Any:
    """`query` over the alerts `where` selects among those of opportunities the caller may
    see (the read API's visibility: its org, not deleted, its owners)."""
    scope = visibility.scope
    query = query.join(
        Opportunity,
        and_(scope.owns(Opportunity), col(Opportunity.id) == col(Alert.opportunity_id)),
    )
    query = query.where(col(Opportunity.is_deleted) == false())
    if visibility.owner_ids is not None:
        query = query.where(col(Opportunity.owner_id).in_(sorted(visibility.owner_ids)))
    if where.owner_ids is not None:
        query = query.where(col(Opportunity.owner_id).in_(where.owner_ids))
    if where.rule_ids is not None:
        query = query.where(col(Alert.rule_id).in_(where.rule_ids))
    return _conditions(query, scope, where.kinds, where.severities, where.statuses)


def list_alerts(
    engine: Engine,
    visibility: Visibility,
    where: AlertFilter,
    first: int,
    after: AlertKey | None = None,
) -> AlertPage:
    """One page of the connection, newest first (one query, one row more than asked to know
    whether there is a next page), continuing after the alert `after` names."""
    query = _listed(visibility, where, select(Alert))
    opened = _opened()
    if after is not None:
        query = query.where(
            or_(opened < after.at, and_(opened == after.at, col(Alert.id) < after.id))
        )
    query = query.order_by(opened.desc(), col(Alert.id).desc()).limit(first + 1)
    with Session(engine) as session:
        rows = list(session.exec(query).all())
    return AlertPage(rows=rows[:first], has_next=len(rows) > first)


def count_alerts(engine: Engine, visibility: Visibility, where: AlertFilter) -> int:
    """How many alerts the connection holds in all (its totalCount)."""
    query = _listed(visibility, where, select(func.count()).select_from(Alert))
    with Session(engine) as session:
        return int(session.exec(query).one())


def health_by_opportunity(
    engine: Engine, org_id: str, ids: Collection[str]
) -> dict[str, OpportunityHealth]:
    """The stored health of each opportunity that has one (none before its first
    evaluation; a closed deal's is the one frozen when it closed)."""
    query = (
        OrgScope(org_id)
        .select(OpportunityHealth)
        .where(col(OpportunityHealth.opportunity_id).in_(list(ids)))
    )
    with Session(engine) as session:
        return {row.opportunity_id: row for row in session.exec(query).all()}


def evaluation_settings(engine: Engine, org_id: str) -> EvaluationSettings:
    """The org's settings; the defaults (not stored) for an org that has none yet."""
    with Session(engine) as session:
        found = OrgScope(org_id).get(session, EvaluationSettings)
    return found or EvaluationSettings(org_id=org_id, severity_weights={})


def set_severity_weights(
    engine: Engine, org_id: str, weights: Mapping[Severity, int]
) -> EvaluationSettings:
    """The org's settings with its severity weights replaced by `weights` (severities left out
    take rules.process's defaults again), keeping what the evaluation pass recorded there."""
    stored = {severity.name: int(points) for severity, points in weights.items()}
    if any(points < 0 for points in stored.values()):
        raise ValueError("a severity weight is a number of points >= 0")
    table = table_of(EvaluationSettings)
    with session_scope(engine) as session:
        insert = conflict_insert(session.get_bind().dialect, table)
        row = OrgScope(org_id).stamp([{"severity_weights": stored}])[0]
        session.execute(
            insert.values(row).on_conflict_do_update(
                index_elements=[table.c.org_id], set_={"severity_weights": stored}
            )
        )
    return evaluation_settings(engine, org_id)
