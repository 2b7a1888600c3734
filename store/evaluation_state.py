"""What an evaluation pass reads besides the evaluation frame (store.evaluation): the org's
active rules (current version, with the version their condition dates from), its active
milestones, stages, describes and time zone, the live alerts and current completions of the
opportunities concerned, its severity weights, and which of them are closed or deleted.

A constant number of statements per pass (per READ_CHUNK ids when ids are given), however
many rules, milestones or opportunities there are. Everything goes through OrgScope. The
pass's writes are in store.evaluation_writes (one transaction).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple

import polars as pl
from sqlalchemy import Engine, String, cast, select, true
from sqlmodel import Session, col

from rules.catalog import RELATIONSHIPS
from rules.health import Health, HealthPart, MilestoneSpec, StageOrder, severity_weights
from rules.lifecycle import LiveAlert, RuleSpec
from rules.process import AlertKind, AlertStatus, Severity
from store.alert_rules import VersionedCondition, condition_version
from store.column_reads import FLOAT, INTEGER, TEXT, UTC_TIME, read_table
from store.mirror import READ_CHUNK
from store.models import FieldCatalog, Opportunity, OpportunityStage, Organization
from store.process_models import (
    Alert,
    AlertRule,
    AlertRuleVersion,
    EvaluationSettings,
    Milestone,
    MilestoneCompletion,
    OpportunityHealth,
)
from store.tenancy import OrgScope

OPPORTUNITY = "Opportunity"
# The describes the formula catalog is built from: the opportunity's and its related records'.
DESCRIBED = (OPPORTUNITY, *dict.fromkeys(RELATIONSHIPS.values()))
_RESOLVED = AlertStatus.RESOLVED.name


@dataclass(frozen=True)
class RuleState:
    """An active rule's current version, as the pass needs it."""

    id: str
    version: int
    condition_version: int  # the earliest version with the current condition and fix fields
    name: str
    kind: AlertKind
    severity: Severity
    condition: str
    message: str
    hold_seconds: int

    @property
    def spec(self) -> RuleSpec:
        return RuleSpec(self.id, self.version, self.condition_version, self.kind, self.hold_seconds)


class StoredHealth(NamedTuple):
    """An opportunity's health as the last pass stored it (a row of HEALTH_SCHEMA's table
    but its opportunity id)."""

    score: int
    progress: float
    penalty: int
    breakdown: str  # the JSON text of its parts, as stored


def health_row_parts(health: Health) -> list[dict[str, Any]]:
    """The breakdown of `health` as OpportunityHealth stores it."""
    return [{"label": part.label, "points": part.points} for part in health.breakdown]


def stored_part(part: HealthPart) -> str:
    """The JSON text of one part of a stored breakdown."""
    return json.dumps({"label": part.label, "points": part.points})


def stored_parts(health: Health, start: int = 0) -> str:
    """The JSON text of the breakdown's parts from `start` on, without the brackets: what
    the stored text holds between them (json.dumps's own separators)."""
    return ", ".join(stored_part(part) for part in health.breakdown[start:])


def stored_form(health: Health) -> StoredHealth:
    """`health` as `load_evaluation_state` reads it back once stored."""
    text = f"[{stored_parts(health)}]"
    return StoredHealth(health.score, health.progress, health.penalty, text)


@dataclass(frozen=True)
class EvaluationState:
    time_zone: str | None  # the org's TimeZoneSidKey (None before it is mirrored)
    describes: dict[str, dict[str, Any]]  # by sObject; Opportunity absent before the first sync
    rules: list[RuleState]  # every active rule, by id
    milestones: list[MilestoneSpec]  # every active milestone, by position
    formulas: dict[str, str]  # milestone id -> the formula of each active FORMULA milestone
    stages: list[StageOrder]
    # The live (not RESOLVED) alerts of the opportunities concerned (ALERT_SCHEMA), their
    # current completions (COMPLETION_SCHEMA) and their stored health not frozen
    # (HEALTH_SCHEMA): tables, since a full pass reads hundreds of thousands of rows and
    # acts on the few that change.
    alerts: pl.DataFrame
    completions: pl.DataFrame
    health: pl.DataFrame
    weights: dict[Severity, int]
    last_local_date: date | None  # the org's date at its last full pass (None before one)

    def not_among(self, ids: Sequence[str]) -> list[str]:
        """The opportunities with a live alert or a health not frozen that are not `ids`."""
        concerned = pl.concat([self.alerts.select("opportunity_id"),
                               self.health.select("opportunity_id")]).unique()  # fmt: skip
        found = pl.DataFrame({"opportunity_id": pl.Series(ids, dtype=pl.String)})
        return (
            concerned.join(found, on="opportunity_id", how="anti")
            .get_column("opportunity_id")
            .to_list()
        )


def _chunks(ids: Collection[str] | None) -> Iterator[list[str] | None]:
    if ids is None:
        yield None
        return
    unique = sorted(set(ids))
    for start in range(0, len(unique), READ_CHUNK):
        yield unique[start : start + READ_CHUNK]


_RULE_COLUMNS = (
    col(AlertRule.id), col(AlertRule.version), col(AlertRule.name), col(AlertRule.kind),
    col(AlertRule.severity), col(AlertRule.condition), col(AlertRule.message),
    col(AlertRule.hold_seconds),
)  # fmt: skip
_VERSION_COLUMNS = (
    col(AlertRuleVersion.rule_id), col(AlertRuleVersion.version),
    col(AlertRuleVersion.condition), col(AlertRuleVersion.fix_fields),
)  # fmt: skip


def _rules(session: Session, scope: OrgScope) -> list[RuleState]:
    """Columns, not ORM rows: a pass over one deal reads every rule of the org."""
    rules = session.execute(
        select(*_RULE_COLUMNS)
        .where(scope.owns(AlertRule), col(AlertRule.active) == true())
        .where(col(AlertRule.retired_at).is_(None))
        .order_by(col(AlertRule.id))
    ).all()
    if not rules:
        return []
    history: dict[str, list[VersionedCondition]] = {}
    versions = select(*_VERSION_COLUMNS).where(
        scope.owns(AlertRuleVersion), col(AlertRuleVersion.rule_id).in_([r.id for r in rules])
    )
    for version in session.execute(versions):
        history.setdefault(version.rule_id, []).append(version)
    return [
        RuleState(
            id=rule.id,
            version=rule.version,
            # A rule stored without its versions (never through store.alert_rules) has only
            # its current one.
            condition_version=condition_version(history[rule.id])
            if rule.id in history
            else rule.version,
            name=rule.name,
            kind=AlertKind[rule.kind],
            severity=Severity[rule.severity],
            condition=rule.condition,
            message=rule.message,
            hold_seconds=rule.hold_seconds,
        )
        for rule in rules
    ]


def _milestones(session: Session, scope: OrgScope) -> tuple[list[MilestoneSpec], dict[str, str]]:
    rows = session.exec(
        scope.select(Milestone)
        .where(col(Milestone.active) == true(), col(Milestone.retired_at).is_(None))
        .order_by(col(Milestone.position), col(Milestone.id))
    ).all()
    specs = [
        MilestoneSpec(m.id, m.name, m.stage_name, m.weight, m.active, m.position) for m in rows
    ]
    formulas = {m.id: m.formula for m in rows if m.completion == "FORMULA" and m.formula}
    return specs, formulas


ALERT_SCHEMA = {
    "alert_id": TEXT, "rule_id": TEXT, "rule_version": INTEGER, "opportunity_id": TEXT,
    "status": TEXT, "matched_since": UTC_TIME, "snoozed_until": UTC_TIME,
}  # fmt: skip
_ALERT_COLUMNS = (
    col(Alert.id), col(Alert.rule_id), col(Alert.rule_version), col(Alert.opportunity_id),
    col(Alert.status), col(Alert.matched_since), col(Alert.snoozed_until),
)  # fmt: skip


def _alerts(session: Session, scope: OrgScope, ids: Collection[str] | None) -> pl.DataFrame:
    """Not the messages (`alert_messages`): a full pass reads every live alert of the org."""
    queries = []
    for chunk in _chunks(ids):
        query = select(*_ALERT_COLUMNS).where(scope.owns(Alert), col(Alert.status) != _RESOLVED)
        if chunk is not None:
            query = query.where(col(Alert.opportunity_id).in_(chunk))
        # No ORDER BY: SQLite would walk the primary key for it instead of the opportunity index.
        queries.append(query)
    return read_table(session.connection(), queries, ALERT_SCHEMA)


def live_alerts(alerts: pl.DataFrame) -> list[LiveAlert]:
    """The rows of an ALERT_SCHEMA table as the lifecycle takes them."""
    statuses = {status.name: status for status in AlertStatus}
    return [
        LiveAlert(alert_id, rule_id, version, opp_id, statuses[status], since, until)
        for alert_id, rule_id, version, opp_id, status, since, until in alerts.select(
            *ALERT_SCHEMA
        ).iter_rows()
    ]


def alert_messages(
    engine: Engine,
    org_id: str,
    *,
    rule_ids: Collection[str],
    opportunity_ids: Collection[str] | None = None,
) -> dict[str, str]:
    """The stored message of each live alert of `rule_ids` on `opportunity_ids` (None: on
    every opportunity), by alert id: what a pass compares the messages it renders with."""
    scope = OrgScope(org_id)
    messages: dict[str, str] = {}
    if not rule_ids:
        return messages
    wanted = set(rule_ids)
    with Session(engine) as session:
        for chunk in _chunks(opportunity_ids):
            query = select(col(Alert.id), col(Alert.rule_id), col(Alert.message)).where(
                scope.owns(Alert), col(Alert.status) != _RESOLVED
            )
            # One filter, so the database takes the index that fits: by opportunity when
            # they are given (a few), by rule otherwise.
            if chunk is not None:
                query = query.where(col(Alert.opportunity_id).in_(chunk))
            else:
                query = query.where(col(Alert.rule_id).in_(sorted(wanted)))
            for alert_id, rule_id, text in session.execute(query):
                if rule_id in wanted:
                    messages[alert_id] = text
    return messages


HEALTH_SCHEMA = {
    "opportunity_id": TEXT, "score": INTEGER, "progress": FLOAT, "penalty": INTEGER,
    "breakdown": TEXT,
}  # fmt: skip


def _stored_health(session: Session, scope: OrgScope, ids: Collection[str] | None) -> pl.DataFrame:
    """The health rows not frozen yet, to write only those a pass changes (the breakdown as
    its stored JSON text: compared, never decoded)."""
    columns = (
        col(OpportunityHealth.opportunity_id), col(OpportunityHealth.score),
        col(OpportunityHealth.progress), col(OpportunityHealth.penalty),
        cast(col(OpportunityHealth.breakdown), String),
    )  # fmt: skip
    queries = []
    for chunk in _chunks(ids):
        query = select(*columns).where(
            scope.owns(OpportunityHealth), col(OpportunityHealth.closed_at).is_(None)
        )
        if chunk is not None:
            query = query.where(col(OpportunityHealth.opportunity_id).in_(chunk))
        queries.append(query)
    return read_table(session.connection(), queries, HEALTH_SCHEMA)


COMPLETION_SCHEMA = {
    "completion_id": TEXT, "milestone_id": TEXT, "opportunity_id": TEXT, "how": TEXT,
}  # fmt: skip


def _completions(session: Session, scope: OrgScope, ids: Collection[str] | None) -> pl.DataFrame:
    columns = (
        col(MilestoneCompletion.id),
        col(MilestoneCompletion.milestone_id),
        col(MilestoneCompletion.opportunity_id),
        col(MilestoneCompletion.how),
    )
    queries = []
    for chunk in _chunks(ids):
        query = select(*columns).where(
            scope.owns(MilestoneCompletion), col(MilestoneCompletion.uncompleted_at).is_(None)
        )
        if chunk is not None:
            query = query.where(col(MilestoneCompletion.opportunity_id).in_(chunk))
        queries.append(query)
    return read_table(session.connection(), queries, COMPLETION_SCHEMA)


def ended_opportunities(
    engine: Engine, org_id: str, ids: Collection[str]
) -> tuple[frozenset[str], frozenset[str]]:
    """(closed, deleted) among `ids` (deleted: or never mirrored). A full pass asks about the
    opportunities with a live alert or a health not frozen that it did not find open."""
    scope = OrgScope(org_id)
    closed: set[str] = set()
    deleted: set[str] = set()
    with Session(engine) as session:
        for chunk in _chunks(ids):
            assert chunk is not None
            found: set[str] = set()
            query = select(
                col(Opportunity.id), col(Opportunity.is_closed), col(Opportunity.is_deleted)
            ).where(scope.owns(Opportunity), col(Opportunity.id).in_(chunk))
            for opportunity_id, is_closed, is_deleted in session.execute(query):
                found.add(opportunity_id)
                if is_deleted:
                    deleted.add(opportunity_id)
                elif is_closed:
                    closed.add(opportunity_id)
            deleted.update(set(chunk) - found)
    return frozenset(closed), frozenset(deleted)


def evaluation_clock(engine: Engine, org_id: str) -> tuple[date | None, str | None]:
    """The org's calendar date at its last full evaluation pass (None before the first) and
    its time zone, for the evaluation clock's midnight check."""
    scope = OrgScope(org_id)
    with Session(engine) as session:
        settings = scope.get(session, EvaluationSettings)
        organization = scope.get(session, Organization)
    last = settings.last_local_date if settings is not None else None
    zone = organization.time_zone_sid_key if organization is not None else None
    return (date.fromisoformat(last) if last else None), zone


def load_evaluation_state(
    engine: Engine, org_id: str, opportunity_ids: Collection[str] | None = None
) -> EvaluationState:
    """What a pass over `opportunity_ids` (None: every opportunity of the org) needs, in
    one read transaction."""
    scope = OrgScope(org_id)
    with Session(engine) as session:
        organization = scope.get(session, Organization)
        describes = {
            row.sobject: dict(row.describe)
            for row in session.exec(
                scope.select(FieldCatalog).where(col(FieldCatalog.sobject).in_(DESCRIBED))
            )
        }
        stages = [
            StageOrder(s.api_name, s.sort_order, s.is_closed)
            for s in session.exec(
                scope.select(OpportunityStage).order_by(col(OpportunityStage.sort_order))
            )
        ]
        settings = scope.get(session, EvaluationSettings)
        milestones, formulas = _milestones(session, scope)
        return EvaluationState(
            time_zone=organization.time_zone_sid_key if organization is not None else None,
            describes=describes,
            rules=_rules(session, scope),
            milestones=milestones,
            formulas=formulas,
            stages=stages,
            alerts=_alerts(session, scope, opportunity_ids),
            health=_stored_health(session, scope, opportunity_ids),
            completions=_completions(session, scope, opportunity_ids),
            weights=severity_weights(settings.severity_weights if settings else {}),
            last_local_date=(
                date.fromisoformat(settings.last_local_date)
                if settings is not None and settings.last_local_date
                else None
            ),
        )


__all__ = [
    "ALERT_SCHEMA",
    "COMPLETION_SCHEMA",
    "HEALTH_SCHEMA",
    "EvaluationState",
    "RuleState",
    "StoredHealth",
    "alert_messages",
    "ended_opportunities",
    "evaluation_clock",
    "health_row_parts",
    "live_alerts",
    "load_evaluation_state",
    "stored_form",
    "stored_part",
    "stored_parts",
]
