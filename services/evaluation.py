"""The evaluation pass: every active rule and formula milestone over the open opportunities of
an org (all of them, or those a sync or a write touched), then the alert transitions, the
formula completions, health and rule health, stored in one transaction.

Rules and milestones are evaluated in bulk (rules.formula.bulk over one frame of the fields
they read, store.evaluation_frame), dates in the org's time zone; a pass over a few deals (a
write's) runs the interpreter instead, which gives the same values for less. The lifecycle
is rules.lifecycle's pure `alert_transitions`; health is rules.health's. A rule that cannot
be evaluated (its formula no longer compiles against the org's catalog, or evaluating it
raised) records its error and keeps its alerts; rows of a rule that evaluate to #Error! keep
theirs too, and are counted in its health ("12 records could not be evaluated: division by
zero"). A formula milestone is completed wherever its formula holds (whether it applies in
the deal's stage or not: health counts only the applicable ones) and un-completed where it
no longer does; a completion made by hand is never undone.

Who runs it (services.passes, services.orgs): every sync pass, on the opportunities it
changed, closed or deleted (on all of them after a full load or a change of the org's zone);
the clock tick and the evaluation clock (every DEALPULSE_EVALUATION_INTERVAL_SECONDS and just
after the org's midnight), on all of them; a write dealpulse makes, on what it touched
(RequestContext.evaluate). A steady pass writes little: health only where it changed, alert
messages only where they changed (on the clock, the ones that read the clock or a fact, once
a day; on a sync, those of the records it brought).

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
from rules.fact_registry import Moment
from rules.formula.bulk_frame import BulkFrame
from rules.health import Health, PenaltyAlert, applicable_milestones, compute_health
from rules.lifecycle import Change, Transition
from rules.process import AlertStatus, CompletionHow
from rules.time_zones import local_date, org_time_zone
from services.evaluation_formulas import (
    Outcome,
    RuleOutcome,
    Unevaluable,
    compile_formulas,
    evaluate_compiled,
)
from services.evaluation_lifecycle import lifecycle_transitions
from store.evaluation_frame import load_evaluation_frame
from store.evaluation_state import (
    OPPORTUNITY,
    EvaluationState,
    StoredHealth,
    alert_messages,
    load_evaluation_state,
    stored_form,
)
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
    # OPEN alerts on the opportunities evaluated, after the pass (a full pass: of the org).
    alerts_open: int
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


STAGE = "StageName"


def _stage_names(frame: BulkFrame) -> list[str | None]:
    if STAGE not in frame.frame.columns:
        return [None] * frame.height
    return [name or None for name in frame.frame.get_column(STAGE).to_list()]


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
    return outcome.condition.summary, len(outcome.condition.failed_rows)


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
    engine: Engine,
    org_id: str,
    state: EvaluationState,
    transitions: Sequence[Transition],
    outcomes: Mapping[str, RuleOutcome | Unevaluable],
    rows: Mapping[str, int],
    opportunity_ids: Collection[str] | None,
    *,
    new_day: bool,
) -> dict[str, str]:
    """Live alerts no transition touched, whose rule fires on a row evaluated: their message
    rendered anew where it changed. On a pass over every opportunity (the clock's: changed
    records are evaluated by the sync pass that brought them), only the messages that move
    with time (they read the clock or a fact, which count days), once the org's day has
    changed since its last full pass."""
    rerendered = {
        rule_id
        for rule_id, outcome in outcomes.items()
        if isinstance(outcome, RuleOutcome)
        and (opportunity_ids is not None or (new_day and outcome.moves_with_time))
    }
    if not rerendered:
        return {}
    touched = {t.alert_id for t in transitions}
    rendered = {}
    for live in state.alerts:
        row = rows.get(live.opportunity_id)
        if live.rule_id not in rerendered or live.alert_id in touched or row is None:
            continue
        outcome = outcomes[live.rule_id]
        assert isinstance(outcome, RuleOutcome)
        if outcome.condition.values[row] is True:
            rendered[live.alert_id] = outcome.render(row)
    if not rendered:
        return {}
    stored = alert_messages(engine, org_id, rule_ids=rerendered, opportunity_ids=opportunity_ids)
    return {alert_id: text for alert_id, text in rendered.items() if stored.get(alert_id) != text}


@dataclass(frozen=True)
class _AlertsAfter:
    """Of the opportunities evaluated, after the transitions: the rules whose alert takes
    points off each one's health, and how many alerts are OPEN."""

    penalised: dict[str, tuple[str, ...]]  # opportunity id -> rule ids, sorted
    open_alerts: int


def _alerts_after(
    state: EvaluationState, transitions: Sequence[Transition], rows: Mapping[str, int]
) -> _AlertsAfter:
    by_alert = {t.alert_id: t for t in transitions if t.alert_id is not None}
    penalised: dict[str, set[str]] = {}
    open_alerts = 0
    for live in state.alerts:
        if live.opportunity_id not in rows:
            continue
        moved = by_alert.get(live.alert_id)
        if moved is not None and moved.change in (Change.RESOLVE, Change.DROP):
            continue
        status = live.status if moved is None else moved.status
        open_alerts += status is AlertStatus.OPEN
        if status in PENALISED:
            penalised.setdefault(live.opportunity_id, set()).add(live.rule_id)
    for t in transitions:  # the new rows
        if t.alert_id is None and t.opportunity_id in rows:
            open_alerts += t.status is AlertStatus.OPEN
            if t.status in PENALISED:
                penalised.setdefault(t.opportunity_id, set()).add(t.rule_id)
    return _AlertsAfter({oid: tuple(sorted(r)) for oid, r in penalised.items()}, open_alerts)


def _formula_completions(
    state: EvaluationState, outcomes: Mapping[str, Outcome | Unevaluable], ids: list[str]
) -> tuple[list[tuple[str, str]], list[str], dict[str, frozenset[str]]]:
    """(milestone, opportunity) pairs completed by their formula now, the completion ids
    un-completed, and the completed milestone ids of each evaluated opportunity that has any,
    afterwards. A row
    a formula could not be evaluated on keeps its completion as it is; a formula never undoes
    a completion made by hand."""
    rows = {opportunity_id: row for row, opportunity_id in enumerate(ids)}
    done = {
        oid: {c.milestone_id for c in completions}
        for oid, completions in state.completions.items()
        if oid in rows
    }  # fmt: skip
    completed: list[tuple[str, str]] = []
    uncompleted: list[str] = []
    evaluated = {m: o for m, o in outcomes.items() if isinstance(o, Outcome)}
    for milestone_id, outcome in evaluated.items():
        for true_row in outcome.true_rows():
            mine = done.setdefault(ids[true_row], set())
            if milestone_id not in mine:
                completed.append((milestone_id, ids[true_row]))
                mine.add(milestone_id)
    for opportunity_id, completions in state.completions.items():
        row = rows.get(opportunity_id)
        if row is None:
            continue
        for completion in completions:
            formula = evaluated.get(completion.milestone_id)
            if (
                formula is None
                or completion.how is not CompletionHow.FORMULA
                or row in formula.failed_rows
                or formula.values[row] is True
            ):
                continue
            uncompleted.append(completion.id)
            done[opportunity_id].discard(completion.milestone_id)
    return completed, uncompleted, {oid: frozenset(ms) for oid, ms in done.items()}


def combined_health(progress: Health, alerts: Health) -> Health:
    """`compute_health(applicable, completed, alerts)` from `compute_health(applicable,
    completed, [])` and `compute_health([], (), alerts)`, as rules.health defines the score:
    the progress points less the alerts' penalty, the progress part then the alerts' parts.
    Many deals share their progress, or their alerts, but not both."""
    part = progress.breakdown[0]
    return Health(
        score=max(0, part.points - alerts.penalty),
        progress=progress.progress,
        penalty=alerts.penalty,
        breakdown=(part, *alerts.breakdown[1:]),
    )


def _health(
    state: EvaluationState,
    frame: _Frame,
    done: Mapping[str, frozenset[str]],
    penalised_by: Mapping[str, tuple[str, ...]],
) -> dict[str, Health]:
    """The health of each evaluated opportunity that differs from the one stored."""
    rules = {rule.id: rule for rule in state.rules}
    applicable = {
        stage: applicable_milestones(state.milestones, stage, state.stages)
        for stage in set(frame.stage_names)
    }
    progress: dict[tuple[str | None, frozenset[str]], Health] = {}
    penalties: dict[tuple[str, ...], Health] = {}
    computed: dict[tuple[object, ...], tuple[Health, StoredHealth]] = {}
    changed = {}
    nothing: frozenset[str] = frozenset()
    for opportunity_id, stage_name in zip(frame.ids, frame.stage_names, strict=True):
        penalised = tuple(r for r in penalised_by.get(opportunity_id, ()) if r in rules)
        completed = done.get(opportunity_id, nothing)
        key = (stage_name, completed, penalised)
        if key not in computed:
            made = progress.get((stage_name, completed))
            if made is None:
                made = compute_health(applicable[stage_name], completed, (), state.weights)
                progress[(stage_name, completed)] = made
            taken = penalties.get(penalised)
            if taken is None:
                alerting = [PenaltyAlert(rules[r].name, rules[r].severity) for r in penalised]
                taken = compute_health((), (), alerting, state.weights)
                penalties[penalised] = taken
            health = combined_health(made, taken)
            computed[key] = (health, stored_form(health))
        health, stored = computed[key]
        if state.health.get(opportunity_id) != stored:
            changed[opportunity_id] = health
    return changed


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
    chosen = [r for r in state.rules if rule_ids is None or r.id in set(rule_ids)]
    compiled = compile_formulas(chosen, state.formulas, catalog)
    # Only what the formulas read, and the stage (which milestones apply).
    references = compiled.references | ({STAGE} if STAGE in catalog else set())
    loaded = load_evaluation_frame(
        engine, org_id, catalog, Moment(now, tz), references=references,
        opportunity_ids=ids_asked,
    )  # fmt: skip
    frame = _Frame(loaded.ids, _stage_names(loaded.frame))
    formulas = evaluate_compiled(compiled, loaded.frame, now, tz)
    rows = {opportunity_id: row for row, opportunity_id in enumerate(frame.ids)}
    transitions = lifecycle_transitions(state, chosen, formulas.rules, frame.ids, now)
    completed, uncompleted, done = _formula_completions(state, formulas.milestones, frame.ids)
    rule_health = [RuleHealthUpdate(r.id, *_rule_error(formulas.rules[r.id])) for r in chosen]
    full = opportunity_ids is None and rule_ids is None
    after = _alerts_after(state, transitions, rows)
    writes = EvaluationWrites(
        now=now,
        alerts=_changes(transitions, formulas.rules, rows),
        messages=_refreshed_messages(
            engine,
            org_id,
            state,
            transitions,
            formulas.rules,
            rows,
            ids_asked,
            new_day=state.last_local_date != local_date(now, tz),
        ),
        completed=completed,
        uncompleted=uncompleted,
        health=_health(state, frame, done, after.penalised),
        frozen_ids=state.closed_ids,
        deleted_ids=state.deleted_ids,
        rule_health=rule_health,
        local_date=local_date(now, tz) if full else None,
    )
    save_evaluation(engine, org_id, writes)
    alerts_open = after.open_alerts
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
