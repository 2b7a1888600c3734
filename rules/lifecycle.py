"""The alert lifecycle as a pure function: the live alerts, what fires now and the clock in,
the transitions to store out (`alert_transitions`).

An alert is one rule x one opportunity, from the moment its condition held until it is
resolved; re-firing after resolution is a new alert (a new row), so history is kept. Per rule
observed (and not failed), for each opportunity evaluated:

    live alert        firing                              not firing
    none              OPEN (no hold time) or PEND         -
    PENDING           OPEN once held >= hold_seconds      DROP (it never was an alert)
    OPEN              -                                   RESOLVE CONDITION_CLEARED
    SNOOZED           REOPEN once snoozed_until <= now    RESOLVE CONDITION_CLEARED
    DISMISSED         -                                   RESOLVE CONDITION_CLEARED

An alert opened by a version older than the rule's `condition_version` judged another
condition (or other fix fields): it is resolved RULE_CHANGED (a PENDING one dropped) and the
row is judged as if there were none, so a firing condition opens a new alert. An alert of a
version since `condition_version` but older than the current one only saw the message,
severity, recommendation or hold time change: it is kept and pointed at the current version
(REPOINT, or the OPEN / REOPEN it makes anyway, which carries the current version too).

Whatever the observations say, a live alert on a deleted opportunity is resolved
OPPORTUNITY_DELETED, on a closed one OPPORTUNITY_CLOSED, and of a retired (or deactivated) rule
RULE_RETIRED (PENDING rows are dropped); nothing opens there. A failed observation (the rule
could not be evaluated) changes nothing of its rule: its last known alerts stand. Live alerts
of rules not observed, and on opportunities not evaluated, are untouched.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from rules.process import AlertKind, AlertStatus, Resolution

__all__ = [
    "Change",
    "LiveAlert",
    "Observation",
    "RuleSpec",
    "Transition",
    "alert_transitions",
]


@dataclass(frozen=True)
class RuleSpec:
    """What the lifecycle needs of a rule's current version. `condition_version` is the
    earliest version whose condition and fix fields equal the current one's."""

    rule_id: str
    version: int
    condition_version: int
    kind: AlertKind
    hold_seconds: int


@dataclass(frozen=True)
class LiveAlert:
    """A stored alert that is not RESOLVED."""

    alert_id: str
    rule_id: str
    rule_version: int
    opportunity_id: str
    status: AlertStatus
    matched_since: datetime
    snoozed_until: datetime | None = None


@dataclass(frozen=True)
class Observation:
    """One rule evaluated over `evaluated_ids`, firing on `firing_ids` (a firing id is taken
    as evaluated too). `failed`: the rule could not be evaluated, nothing of it is known."""

    rule: RuleSpec
    evaluated_ids: frozenset[str]
    firing_ids: frozenset[str]
    failed: bool = False


class Change(Enum):
    PEND = "PEND"  # a new PENDING row: the condition holds, not yet for the hold time
    OPEN = "OPEN"  # a new OPEN row, or a PENDING row (same alert_id) that held long enough
    REOPEN = "REOPEN"  # a snooze expired while the condition still holds
    REPOINT = "REPOINT"  # keep the alert, point it at the rule's current version, re-render
    RESOLVE = "RESOLVE"
    DROP = "DROP"  # delete a PENDING row: it never was an alert


@dataclass(frozen=True)
class Transition:
    """One change to store. `alert_id` is None for a new row. `rule_version` is the version
    the row points at afterwards (for RESOLVE and DROP, the one it had). `status` is the
    status after the change (for DROP, PENDING: the status of the row deleted).
    `resolution` is set for RESOLVE, and for DROP as the reason (nothing needs to store it).
    `matched_since`: since when the condition has held (`at` for a new row)."""

    change: Change
    rule_id: str
    rule_version: int
    opportunity_id: str
    alert_id: str | None
    status: AlertStatus
    resolution: Resolution | None
    at: datetime
    matched_since: datetime


def _ended(alert: LiveAlert, resolution: Resolution, now: datetime) -> Transition:
    """The alert resolved with `resolution`, or dropped if it was only PENDING."""
    pending = alert.status is AlertStatus.PENDING
    return Transition(
        change=Change.DROP if pending else Change.RESOLVE,
        rule_id=alert.rule_id,
        rule_version=alert.rule_version,
        opportunity_id=alert.opportunity_id,
        alert_id=alert.alert_id,
        status=AlertStatus.PENDING if pending else AlertStatus.RESOLVED,
        resolution=resolution,
        at=now,
        matched_since=alert.matched_since,
    )


def _kept(
    alert: LiveAlert, change: Change, status: AlertStatus, rule: RuleSpec, now: datetime
) -> Transition:
    """The alert, still live, with `status`, pointing at the rule's current version."""
    return Transition(
        change=change,
        rule_id=alert.rule_id,
        rule_version=rule.version,
        opportunity_id=alert.opportunity_id,
        alert_id=alert.alert_id,
        status=status,
        resolution=None,
        at=now,
        matched_since=alert.matched_since,
    )


def _forced_resolution(
    alert: LiveAlert,
    closed_ids: Collection[str],
    deleted_ids: Collection[str],
    retired_rule_ids: Collection[str],
) -> Resolution | None:
    if alert.opportunity_id in deleted_ids:
        return Resolution.OPPORTUNITY_DELETED
    if alert.opportunity_id in closed_ids:
        return Resolution.OPPORTUNITY_CLOSED
    if alert.rule_id in retired_rule_ids:
        return Resolution.RULE_RETIRED
    return None


def _judged(alert: LiveAlert, rule: RuleSpec, firing: bool, now: datetime) -> Transition | None:
    """What becomes of a live alert of the rule's current condition."""
    if not firing:
        return _ended(alert, Resolution.CONDITION_CLEARED, now)
    held = now - alert.matched_since >= timedelta(seconds=rule.hold_seconds)
    if alert.status is AlertStatus.PENDING and held:
        return _kept(alert, Change.OPEN, AlertStatus.OPEN, rule, now)
    expired = alert.snoozed_until is not None and alert.snoozed_until <= now
    if alert.status is AlertStatus.SNOOZED and expired:
        return _kept(alert, Change.REOPEN, AlertStatus.OPEN, rule, now)
    if alert.rule_version < rule.version:
        return _kept(alert, Change.REPOINT, alert.status, rule, now)
    return None


def _opened(rule: RuleSpec, opportunity_id: str, now: datetime) -> Transition:
    held = rule.hold_seconds <= 0
    return Transition(
        change=Change.OPEN if held else Change.PEND,
        rule_id=rule.rule_id,
        rule_version=rule.version,
        opportunity_id=opportunity_id,
        alert_id=None,
        status=AlertStatus.OPEN if held else AlertStatus.PENDING,
        resolution=None,
        at=now,
        matched_since=now,
    )


def _observed(
    observation: Observation,
    live: Sequence[LiveAlert],
    opportunity_id: str,
    now: datetime,
) -> list[Transition]:
    rule = observation.rule
    firing = opportunity_id in observation.firing_ids
    transitions: list[Transition] = []
    current: list[LiveAlert] = []
    for alert in live:
        if alert.rule_version < rule.condition_version:
            transitions.append(_ended(alert, Resolution.RULE_CHANGED, now))
        else:
            current.append(alert)
    for alert in current:
        judged = _judged(alert, rule, firing, now)
        if judged is not None:
            transitions.append(judged)
    if firing and not current:
        transitions.append(_opened(rule, opportunity_id, now))
    return transitions


def _unique_rules(observations: Iterable[Observation]) -> dict[str, Observation]:
    by_rule: dict[str, Observation] = {}
    for observation in observations:
        if observation.rule.rule_id in by_rule:
            raise ValueError(f"rule {observation.rule.rule_id} is observed twice")
        by_rule[observation.rule.rule_id] = observation
    return by_rule


def alert_transitions(
    live: Sequence[LiveAlert],
    observations: Sequence[Observation],
    now: datetime,
    *,
    closed_ids: Collection[str] = (),
    deleted_ids: Collection[str] = (),
    retired_rule_ids: Collection[str] = (),
) -> list[Transition]:
    """The transitions that take `live` (every stored alert not RESOLVED of the rules and
    opportunities concerned) to what `observations` say at `now` (see the module docstring).
    Ordered by rule id, then opportunity id, then as they apply (a RULE_CHANGED resolution
    before the new alert that replaces it). ValueError if a rule is observed twice."""
    by_rule = _unique_rules(observations)
    closed, deleted, retired = set(closed_ids), set(deleted_ids), set(retired_rule_ids)
    transitions: list[Transition] = []
    alive: dict[tuple[str, str], list[LiveAlert]] = defaultdict(list)
    for alert in sorted(live, key=lambda a: (a.rule_id, a.opportunity_id, a.alert_id)):
        forced = _forced_resolution(alert, closed, deleted, retired)
        if forced is not None:
            transitions.append(_ended(alert, forced, now))
        else:
            alive[(alert.rule_id, alert.opportunity_id)].append(alert)
    for rule_id in sorted(by_rule):
        observation = by_rule[rule_id]
        if observation.failed or rule_id in retired:
            continue
        evaluated = observation.evaluated_ids | observation.firing_ids
        for opportunity_id in sorted(evaluated - closed - deleted):
            key = (rule_id, opportunity_id)
            transitions.extend(_observed(observation, alive.get(key, ()), opportunity_id, now))
    # stable: within one rule x opportunity, the order they were made in
    transitions.sort(key=lambda t: (t.rule_id, t.opportunity_id))
    return transitions
