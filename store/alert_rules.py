"""Alert rules and their versions: what the API and the validation-rule import write and read.

A rule has a stable id; every edit of its definition adds an AlertRuleVersion and bumps the
rule's `version`, and the AlertRule row keeps a copy of the current definition (what lists and
the evaluation read without a join). Alerts point at the version that opened them. Retiring is
no new version: it stamps `retired_at` and deactivates the rule, and a retired rule is never
edited again (its alerts and versions stay, as history).

Values come already validated (rules.definitions.check_rule) as a dict keyed by column name
(store.process_common). Every statement is built through store.tenancy.OrgScope. Blocking:
async callers use `run_in_threadpool`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import Engine, func, tuple_
from sqlmodel import Session, col, select

from rules.process import AlertStatus
from store.engine import session_scope
from store.models import Opportunity
from store.process_common import claimed, listed, stored_values
from store.process_models import Alert, AlertRule, AlertRuleVersion, new_id
from store.tenancy import OrgScope

# The definition a version records: editing any of these adds a version.
VERSIONED_FIELDS = (
    "name", "kind", "severity", "condition", "message", "recommendation", "fix_fields",
    "hold_seconds",
)  # fmt: skip
# What a caller may set on a rule: its definition, whether it runs, and where it came from.
RULE_FIELDS = frozenset(
    {*VERSIONED_FIELDS, "active", "origin", "source_id", "source_digest"},
)
REQUIRED_FIELDS = ("name", "kind", "severity", "condition", "message")
# The alerts that count against a rule's health: outstanding ones (a snooze only defers).
OUTSTANDING = (AlertStatus.OPEN.name, AlertStatus.SNOOZED.name)


def _version_of(rule: AlertRule) -> AlertRuleVersion:
    """The version row recording `rule`'s current definition."""
    return AlertRuleVersion(
        org_id=rule.org_id,
        rule_id=rule.id,
        version=rule.version,
        **{name: getattr(rule, name) for name in VERSIONED_FIELDS},
        author_id=rule.author_id,
        created_at=rule.updated_at,
    )


def create_rule(
    engine: Engine, org_id: str, values: Mapping[str, Any], author_id: str | None, now: datetime
) -> AlertRule:
    """A new rule at version 1, with its first AlertRuleVersion, in one transaction."""
    stored = stored_values(values, RULE_FIELDS, REQUIRED_FIELDS)
    rule = AlertRule(
        **stored,
        org_id=org_id,
        id=new_id("rule"),
        version=1,
        author_id=author_id,
        created_at=now,
        updated_at=now,
    )
    with session_scope(engine) as session:
        session.add(rule)
        session.add(_version_of(rule))
    return rule


def update_rule(
    engine: Engine,
    org_id: str,
    rule_id: str,
    values: Mapping[str, Any],
    author_id: str | None,
    now: datetime,
) -> AlertRule | None:
    """The rule with `values` applied: a new version when its definition changed (an edit
    that changes only `active` or the import digest is no new version). None, and nothing
    written, when the org has no such rule or it is retired."""
    stored = stored_values(values, RULE_FIELDS)
    with session_scope(engine) as session:
        # Locked: two concurrent edits take turns instead of both writing the next version.
        rule = claimed(session, OrgScope(org_id), AlertRule, rule_id)
        if rule is None or rule.retired_at is not None:
            return None
        redefined = any(
            name in stored and stored[name] != getattr(rule, name) for name in VERSIONED_FIELDS
        )
        for name, value in stored.items():
            setattr(rule, name, value)
        rule.author_id = author_id
        rule.updated_at = now
        if redefined:
            rule.version += 1
            session.add(_version_of(rule))
        session.add(rule)
    return rule


def retire_rule(
    engine: Engine, org_id: str, rule_id: str, author_id: str | None, now: datetime
) -> AlertRule | None:
    """The rule, retired (inactive, `retired_at` set; its next evaluation resolves its alerts
    RULE_RETIRED). None, and nothing written, when the org has no such rule or it is retired
    already, as update_rule: a second retirement (two admins at once) is refused, not
    answered as if it had retired the rule (its retired_at and author stay the first's)."""
    with session_scope(engine) as session:
        rule = claimed(session, OrgScope(org_id), AlertRule, rule_id)
        if rule is None or rule.retired_at is not None:
            return None
        rule.active = False
        rule.retired_at = now
        rule.updated_at = now
        rule.author_id = author_id
        session.add(rule)
    return rule


def rules_by_ids(engine: Engine, org_id: str, ids: Collection[str]) -> dict[str, AlertRule]:
    """The org's rules among `ids`, retired ones included (an alert's rule may be retired)."""
    query = OrgScope(org_id).select(AlertRule).where(col(AlertRule.id).in_(list(ids)))
    with Session(engine) as session:
        return {rule.id: rule for rule in session.exec(query).all()}


def list_rules(engine: Engine, org_id: str, include_retired: bool = False) -> list[AlertRule]:
    """The org's rules by name (then id), without retired ones unless asked."""
    query = OrgScope(org_id).select(AlertRule)
    return listed(engine, query, AlertRule, include_retired, col(AlertRule.name))


def rule_by_source(engine: Engine, org_id: str, source_id: str) -> AlertRule | None:
    """The rule imported from the validation rule `source_id`, retired or not (a source is
    imported once: re-importing updates that rule)."""
    query = OrgScope(org_id).select(AlertRule).where(col(AlertRule.source_id) == source_id)
    with Session(engine) as session:
        return session.exec(query).first()


def rule_versions(engine: Engine, org_id: str, rule_id: str) -> list[AlertRuleVersion]:
    """Every version of the rule, oldest first."""
    query = (
        OrgScope(org_id)
        .select(AlertRuleVersion)
        .where(col(AlertRuleVersion.rule_id) == rule_id)
        .order_by(col(AlertRuleVersion.version))
    )
    with Session(engine) as session:
        return list(session.exec(query).all())


def versions_by_keys(
    engine: Engine, org_id: str, keys: Collection[tuple[str, int]]
) -> dict[tuple[str, int], AlertRuleVersion]:
    """The versions named by (rule id, version) pairs, in one query (an alert's version:
    its kind, severity, recommendation and fix fields as they were when it opened)."""
    if not keys:
        return {}
    pairs = tuple_(col(AlertRuleVersion.rule_id), col(AlertRuleVersion.version))
    query = OrgScope(org_id).select(AlertRuleVersion).where(pairs.in_(sorted(set(keys))))
    with Session(engine) as session:
        return {(row.rule_id, row.version): row for row in session.exec(query).all()}


class VersionedCondition(Protocol):
    """What `condition_version` reads of a rule version (a row, or its columns)."""

    @property
    def version(self) -> int: ...
    @property
    def condition(self) -> str: ...
    @property
    def fix_fields(self) -> list[str]: ...


def condition_version(versions: Sequence[VersionedCondition]) -> int:
    """The earliest version from which the condition and fix fields have stayed what the
    latest version says: alerts opened by an older version are outdated (RULE_CHANGED).
    Counted back without a gap: after A, B, A only the last A counts, since the alerts of the
    first A were opened under a condition that changed in between."""
    ordered = sorted(versions, key=lambda row: row.version)
    if not ordered:
        raise ValueError("a rule has at least one version")
    latest = ordered[-1]
    earliest = latest.version
    for row in reversed(ordered[:-1]):
        if (row.condition, row.fix_fields) != (latest.condition, latest.fix_fields):
            break
        earliest = row.version
    return earliest


def condition_versions(
    engine: Engine, org_id: str, rule_ids: Collection[str] | None = None
) -> dict[str, int]:
    """condition_version of each rule of the org (or of `rule_ids`), in one query."""
    query = OrgScope(org_id).select(AlertRuleVersion)
    if rule_ids is not None:
        query = query.where(col(AlertRuleVersion.rule_id).in_(list(rule_ids)))
    by_rule: dict[str, list[AlertRuleVersion]] = {}
    with Session(engine) as session:
        for row in session.exec(query).all():
            by_rule.setdefault(row.rule_id, []).append(row)
    return {rule_id: condition_version(rows) for rule_id, rows in by_rule.items()}


@dataclass(frozen=True)
class RuleHealthFigures:
    """A rule's outstanding (OPEN or SNOOZED) alerts and the amount of their opportunities."""

    open_alerts: int
    pipeline_amount: Decimal


NO_ALERTS = RuleHealthFigures(open_alerts=0, pipeline_amount=Decimal("0.00"))


def rule_health(
    engine: Engine, org_id: str, rule_ids: Collection[str]
) -> dict[str, RuleHealthFigures]:
    """The figures of each rule in `rule_ids` (NO_ALERTS for a rule with none), in one grouped
    query. An opportunity carries one live alert per rule, so the sum counts each once."""
    scope = OrgScope(org_id)
    query = (
        select(Alert.rule_id, func.count(), func.sum(col(Opportunity.amount)))
        .outerjoin(
            Opportunity,
            scope.owns(Opportunity) & (col(Opportunity.id) == col(Alert.opportunity_id)),
        )
        .where(
            scope.owns(Alert),
            col(Alert.rule_id).in_(list(rule_ids)),
            col(Alert.status).in_(OUTSTANDING),
        )
        .group_by(col(Alert.rule_id))
    )
    figures = dict.fromkeys(rule_ids, NO_ALERTS)
    with Session(engine) as session:
        for rule_id, count, amount in session.exec(query).all():
            total = NO_ALERTS.pipeline_amount if amount is None else amount
            figures[rule_id] = RuleHealthFigures(open_alerts=int(count), pipeline_amount=total)
    return figures
