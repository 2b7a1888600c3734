"""Per-request DataLoaders: every relation or computed field of a page resolves through
these, so a page costs one query per relation however many rows it has.

They are built after the principal is known, so each is bound to one org (and the opportunity
loader to the principal's visibility) and can never be asked about another org's rows.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from strawberry.dataloader import DataLoader

from rules.process import AlertKind, AlertStatus
from store import alert_rules, alerts, audit, milestones, queries
from store.alert_rules import NO_ALERTS, RuleHealthFigures
from store.models import (
    Account,
    DerivedFacts,
    Opportunity,
    OpportunityHistory,
    OpportunityStage,
    SfUser,
    UserRole,
)
from store.process_models import (
    Alert,
    AlertRule,
    AlertRuleVersion,
    Milestone,
    MilestoneCompletion,
    OpportunityHealth,
)
from store.queries import Visibility
from store.write_models import AuditEntry

K = TypeVar("K")
V = TypeVar("V")
# Well below SQLite's and PostgreSQL's bound-parameter limits.
MAX_BATCH = 1000
# The newest entries of an opportunity's audit trail one request can read: the loader always
# fetches this many, so `auditLog(first:)` with any `first` up to it shares one statement.
AUDIT_LOG_DEPTH = 200


def _loader(
    fetch: Callable[[list[K]], Mapping[K, V]], missing: Callable[[], V]
) -> DataLoader[K, V]:
    async def load(keys: Sequence[K]) -> Sequence[V]:
        found = await run_in_threadpool(fetch, list(keys))
        return [found[key] if key in found else missing() for key in keys]

    return DataLoader(load_fn=load, max_batch_size=MAX_BATCH)


def _none() -> None:
    return None


def _empty() -> list[Any]:
    return []


@dataclass(frozen=True)
class AlertsKey:
    """An opportunity's alerts of some kinds (None: both) and statuses."""

    opportunity_id: str
    kinds: frozenset[AlertKind] | None
    statuses: frozenset[AlertStatus]


def _alerts_loader(engine: Engine, org_id: str) -> DataLoader[AlertsKey, list[Alert]]:
    """One query per distinct (kinds, statuses) asked for in the request, not per row."""

    def fetch(keys: list[AlertsKey]) -> Mapping[AlertsKey, list[Alert]]:
        groups: dict[tuple[Any, Any], list[AlertsKey]] = {}
        for key in keys:
            groups.setdefault((key.kinds, key.statuses), []).append(key)
        found: dict[AlertsKey, list[Alert]] = {}
        for (kinds, statuses), members in groups.items():
            rows = alerts.alerts_by_opportunity(
                engine, org_id, [key.opportunity_id for key in members], kinds, statuses
            )
            found.update({key: rows.get(key.opportunity_id, []) for key in members})
        return found

    return _loader(fetch, _empty)


@dataclass(frozen=True)
class Loaders:
    opportunities: DataLoader[str, Opportunity | None]
    accounts: DataLoader[str, Account | None]
    users: DataLoader[str, SfUser | None]
    roles: DataLoader[str, UserRole | None]
    stages: DataLoader[str, OpportunityStage | None]
    competitors: DataLoader[str, list[str]]
    history: DataLoader[str, list[OpportunityHistory]]
    facts: DataLoader[str, DerivedFacts | None]
    catalogs: DataLoader[str, dict[str, Any] | None]
    # The alert API's (resolvers.alerts).
    alerts: DataLoader[AlertsKey, list[Alert]]
    alert_rules: DataLoader[str, AlertRule | None]
    rule_versions: DataLoader[tuple[str, int], AlertRuleVersion | None]
    rule_health: DataLoader[str, RuleHealthFigures]
    # The org's milestones, by `include_retired` (one key in practice: one query a request).
    milestones: DataLoader[bool, list[Milestone]]
    completions: DataLoader[str, list[MilestoneCompletion]]  # current ones, by opportunity
    health: DataLoader[str, OpportunityHealth | None]
    # An opportunity's audit trail, newest first, at most AUDIT_LOG_DEPTH entries.
    audit: DataLoader[str, list[AuditEntry]]


def make_loaders(engine: Engine, visibility: Visibility) -> Loaders:
    org = visibility.org_id

    def by_org(
        fetch: Callable[[Engine, str, Collection[str]], Mapping[str, V]],
    ) -> Callable[[list[str]], Mapping[str, V]]:
        return lambda keys: fetch(engine, org, keys)

    return Loaders(
        opportunities=_loader(
            lambda keys: queries.opportunities_by_ids(engine, visibility, keys), _none
        ),
        accounts=_loader(by_org(queries.accounts_by_ids), _none),
        users=_loader(by_org(queries.users_by_ids), _none),
        roles=_loader(by_org(queries.roles_by_ids), _none),
        stages=_loader(by_org(queries.stages_by_names), _none),
        competitors=_loader(by_org(queries.competitor_names), _empty),
        history=_loader(by_org(queries.history_by_opportunity), _empty),
        facts=_loader(by_org(queries.facts_by_opportunity), _none),
        catalogs=_loader(lambda keys: queries.field_catalogs(engine, org, keys), _none),
        alerts=_alerts_loader(engine, org),
        alert_rules=_loader(by_org(alert_rules.rules_by_ids), _none),
        rule_versions=_loader(lambda keys: alert_rules.versions_by_keys(engine, org, keys), _none),
        rule_health=_loader(by_org(alert_rules.rule_health), lambda: NO_ALERTS),
        milestones=_loader(
            lambda keys: {
                retired: milestones.list_milestones(engine, org, include_retired=retired)
                for retired in keys
            },
            _empty,
        ),
        completions=_loader(by_org(milestones.completions_by_opportunity), _empty),
        health=_loader(by_org(alerts.health_by_opportunity), _none),
        audit=_loader(
            lambda keys: audit.audit_log(engine, org, keys, limit=AUDIT_LOG_DEPTH), _empty
        ),
    )


def loader_call(loader: DataLoader[str, V], key: str | None) -> Awaitable[V | None]:
    """`loader.load(key)`, or an immediate None for a missing foreign key."""
    if key is None:

        async def nothing() -> V | None:
            return None

        return nothing()
    return loader.load(key)
