"""The evaluation pass: every active rule and formula milestone over the open opportunities of
an org (all of them, or those a sync or a write touched), then the alert transitions, the
formula completions, health and rule health, stored in one transaction.

Rules and milestones are evaluated in bulk (rules.formula.bulk over one evaluation frame),
dates in the org's time zone. The lifecycle is rules.lifecycle's pure `alert_transitions`;
health is rules.health's. A rule that cannot be evaluated (its formula no longer compiles
against the org's catalog, or evaluating it raised) records its error and keeps its alerts;
rows of a rule that evaluate to #Error! keep theirs too, and are counted in its health.

Blocking: async callers run it in a worker thread; `services.orgs.OrgRefresher.evaluate`
runs it under the org's pass lock (two passes of an org must not interleave their writes).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from time import perf_counter
from typing import Protocol

from sqlalchemy import Engine

from rules.catalog import rule_catalog
from rules.evaluation_records import evaluation_frame
from rules.fact_registry import Moment
from rules.health import Health, PenaltyAlert, applicable_milestones, compute_health
from rules.lifecycle import Change, Observation, Transition, alert_transitions
from rules.process import AlertStatus, CompletionHow
from rules.time_zones import local_date, org_time_zone
from services.evaluation_formulas import Outcome, RuleOutcome, Unevaluable, evaluate_formulas
from store.evaluation import load_evaluation_sources
from store.evaluation_state import OPPORTUNITY, EvaluationState, RuleState, load_evaluation_state
from store.evaluation_writes import AlertChange, EvaluationWrites, RuleHealthUpdate, save_evaluation

# The statuses that take points off health.
PENALISED = (AlertStatus.OPEN, AlertStatus.SNOOZED)
# Changes that (re)render the alert's message from the rule's current version.
RENDERED = (Change.PEND, Change.OPEN, Change.REOPEN, Change.REPOINT)


@dataclass(frozen=True)
class EvaluationReport:
    org_id: str
    rules_evaluated: int
    alerts_opened: int
    alerts_resolved: int
    alerts_open: int  # OPEN alerts of the org after the pass
    milestones_completed: int
    milestones_uncompleted: int
    errors: dict[str, str] = field(default_factory=dict)  # rule (or milestone) id -> why
    seconds: float = 0.0
    opportunities_evaluated: int = 0


class Evaluate(Protocol):
    """An evaluation pass of one org, as `services.orgs.OrgRefresher.evaluate` runs it (under
    the org's pass lock): what the request context calls after a write."""

    def __call__(
        self,
        org_id: str,
        *,
        opportunity_ids: Collection[str] | None = None,
        rule_ids: Collection[str] | None = None,
        now: datetime | None = None,
    ) -> EvaluationReport: ...


@dataclass(frozen=True)
class _Frame:
    ids: list[str]
    stage_names: list[str | None]


def _catalog(state: EvaluationState) -> dict[str, str]:
    related = {name: d for name, d in state.describes.items() if name != OPPORTUNITY}
    return rule_catalog(state.describes.get(OPPORTUNITY, {"fields": []}), related)


def _rule_error(outcome: RuleOutcome | Unevaluable) -> tuple[str | None, int]:
    """The rule health of a rule's outcome: its error (if any) and its #Error! row count."""
    if isinstance(outcome, Unevaluable):
        return str(outcome), 0
    failed = outcome.condition.failed_rows
    if not failed:
        return None, 0
    reasons = Counter(failed.values()).most_common(1)
    return f"{len(failed)} records could not be evaluated: {reasons[0][0]}", len(failed)


def _observation(
    rule: RuleState, outcome: RuleOutcome | Unevaluable, ids: list[str]
) -> Observation:
    if isinstance(outcome, Unevaluable):
        return Observation(rule.spec, frozenset(), frozenset(), failed=True)
    failed = outcome.condition.failed_rows
    evaluated = frozenset(oid for row, oid in enumerate(ids) if row not in failed)
    firing = frozenset(ids[row] for row in outcome.condition.true_rows())
    return Observation(rule.spec, evaluated, firing)


def _changes(
    transitions: Sequence[Transition],
    outcomes: Mapping[str, RuleOutcome | Unevaluable],
    rows: Mapping[str, int],
) -> list[AlertChange]:
    changes = []
    for t in transitions:
        outcome = outcomes.get(t.rule_id)
        message = None
        if t.change in RENDERED and isinstance(outcome, RuleOutcome) and t.opportunity_id in rows:
            message = outcome.render(rows[t.opportunity_id])
        changes.append(AlertChange(t, message))
    return changes


def _refreshed_messages(
    state: EvaluationState,
    transitions: Sequence[Transition],
    outcomes: Mapping[str, RuleOutcome | Unevaluable],
    rows: Mapping[str, int],
) -> dict[str, str]:
    """Live alerts no transition touched, whose rule fires on a row evaluated: their message
    rendered anew where the record's values changed it."""
    touched = {t.alert_id for t in transitions}
    messages = {}
    for stored in state.alerts:
        live = stored.live
        outcome = outcomes.get(live.rule_id)
        row = rows.get(live.opportunity_id)
        if live.alert_id in touched or not isinstance(outcome, RuleOutcome) or row is None:
            continue
        if outcome.condition.values[row] is True:
            message = outcome.render(row)
            if message != stored.message:
                messages[live.alert_id] = message
    return messages


def _statuses_after(
    state: EvaluationState, transitions: Sequence[Transition]
) -> dict[str, dict[str, AlertStatus]]:
    """Opportunity id -> rule id -> the status of its live alert after the transitions."""
    after: dict[str, dict[str, AlertStatus]] = {}
    for stored in state.alerts:
        live = stored.live
        after.setdefault(live.opportunity_id, {})[live.rule_id] = live.status
    for t in transitions:
        mine = after.setdefault(t.opportunity_id, {})
        if t.change in (Change.RESOLVE, Change.DROP):
            mine.pop(t.rule_id, None)
        else:
            mine[t.rule_id] = t.status
    return after


def _formula_completions(
    state: EvaluationState, outcomes: Mapping[str, Outcome | Unevaluable], ids: list[str]
) -> tuple[list[tuple[str, str]], list[str], dict[str, set[str]]]:
    """(milestone, opportunity) pairs completed by their formula now, the completion ids
    un-completed, and each evaluated opportunity's completed milestone ids afterwards."""
    completed: list[tuple[str, str]] = []
    uncompleted: list[str] = []
    done: dict[str, set[str]] = {}
    for row, opportunity_id in enumerate(ids):
        current = {c.milestone_id: c for c in state.completions.get(opportunity_id, ())}
        mine = set(current)
        for milestone_id, outcome in outcomes.items():
            if isinstance(outcome, Unevaluable) or row in outcome.failed_rows:
                continue  # unknown: the completion stays as it is
            holds = outcome.values[row] is True
            completion = current.get(milestone_id)
            if holds and completion is None:
                completed.append((milestone_id, opportunity_id))
                mine.add(milestone_id)
            elif not holds and completion is not None and completion.how is CompletionHow.FORMULA:
                uncompleted.append(completion.id)
                mine.discard(milestone_id)
        done[opportunity_id] = mine
    return completed, uncompleted, done


def _health(
    state: EvaluationState,
    frame: _Frame,
    done: Mapping[str, set[str]],
    statuses: Mapping[str, Mapping[str, AlertStatus]],
) -> dict[str, Health]:
    rules = {rule.id: rule for rule in state.rules}
    health = {}
    for opportunity_id, stage_name in zip(frame.ids, frame.stage_names, strict=True):
        applicable = applicable_milestones(state.milestones, stage_name, state.stages)
        penalties = [
            PenaltyAlert(rules[rule_id].name, rules[rule_id].severity)
            for rule_id, status in sorted(statuses.get(opportunity_id, {}).items())
            if status in PENALISED and rule_id in rules
        ]
        completed = done.get(opportunity_id, set())
        health[opportunity_id] = compute_health(applicable, completed, penalties, state.weights)
    return health


def evaluate_org(
    engine: Engine,
    org_id: str,
    *,
    opportunity_ids: Collection[str] | None = None,
    rule_ids: Collection[str] | None = None,
    now: datetime | None = None,
) -> EvaluationReport:
    """Evaluate `rule_ids` (None: every active rule) and every formula milestone over
    `opportunity_ids` (None: every open opportunity of the org; closed and deleted ones among
    them get their alerts resolved and their health frozen or removed), at `now`."""
    started = perf_counter()
    now = now or datetime.now(UTC)
    ids_asked = None if opportunity_ids is None else sorted(set(opportunity_ids))
    state = load_evaluation_state(engine, org_id, ids_asked)
    tz = org_time_zone(state.time_zone)
    catalog = _catalog(state)
    sources = load_evaluation_sources(engine, org_id, ids_asked)
    frame = _Frame(
        [s.opportunity_id for s in sources], [s.fields.get("StageName") for s in sources]
    )
    bulk = evaluation_frame(sources, catalog, Moment(now, tz))
    chosen = [r for r in state.rules if rule_ids is None or r.id in set(rule_ids)]
    formulas = evaluate_formulas(chosen, state.formulas, catalog, bulk, now, tz)
    rows = {opportunity_id: row for row, opportunity_id in enumerate(frame.ids)}
    observations = [_observation(r, formulas.rules[r.id], frame.ids) for r in chosen]
    active = {rule.id for rule in state.rules}
    transitions = alert_transitions(
        [stored.live for stored in state.alerts],
        observations,
        now,
        closed_ids=state.closed_ids,
        deleted_ids=state.deleted_ids,
        retired_rule_ids={s.live.rule_id for s in state.alerts} - active,
    )
    completed, uncompleted, done = _formula_completions(state, formulas.milestones, frame.ids)
    rule_health = [RuleHealthUpdate(r.id, *_rule_error(formulas.rules[r.id])) for r in chosen]
    full = opportunity_ids is None and rule_ids is None
    writes = EvaluationWrites(
        now=now,
        alerts=_changes(transitions, formulas.rules, rows),
        messages=_refreshed_messages(state, transitions, formulas.rules, rows),
        completed=completed,
        uncompleted=uncompleted,
        health=_health(state, frame, done, _statuses_after(state, transitions)),
        frozen_ids=state.closed_ids,
        deleted_ids=state.deleted_ids,
        rule_health=rule_health,
        local_date=local_date(now, tz) if full else None,
    )
    alerts_open = save_evaluation(engine, org_id, writes)
    errors = {r.rule_id: r.error for r in rule_health if r.error is not None}
    errors |= {m: str(o) for m, o in formulas.milestones.items() if isinstance(o, Unevaluable)}
    kinds = Counter(t.change for t in transitions)
    return EvaluationReport(
        org_id=org_id,
        rules_evaluated=sum(1 for r in chosen if isinstance(formulas.rules[r.id], RuleOutcome)),
        alerts_opened=kinds[Change.OPEN],
        alerts_resolved=kinds[Change.RESOLVE],
        alerts_open=alerts_open,
        milestones_completed=len(completed),
        milestones_uncompleted=len(uncompleted),
        errors=errors,
        seconds=perf_counter() - started,
        opportunities_evaluated=len(frame.ids),
    )
