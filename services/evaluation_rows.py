"""An evaluation pass's steps over Python values, for a pass over a few deals (see
services.evaluation_steps; the tables' way, services.evaluation_tables, is the reference for
many). Each step as the module of its table counterpart describes it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from rules.health import Health, PenaltyAlert, applicable_milestones, compute_health
from rules.lifecycle import Change, LiveAlert, Observation, Transition, alert_transitions
from rules.process import AlertStatus, CompletionHow
from services.evaluation_formulas import Outcome, RuleOutcome, Unevaluable
from services.evaluation_steps import PENALISED, PassInput, PassSteps, combined_health
from store.evaluation_state import RuleState, StoredHealth, live_alerts, stored_form


def _moves_by_itself(alert: LiveAlert, rule: RuleState, now: datetime) -> bool:
    if alert.rule_version < rule.version or alert.status is AlertStatus.PENDING:
        return True
    until = alert.snoozed_until
    return alert.status is AlertStatus.SNOOZED and until is not None and until <= now


def _transitions(pass_: PassInput, alerts: Sequence[LiveAlert]) -> list[Transition]:
    state, ids = pass_.state, pass_.ids
    active = {rule.id for rule in state.rules}
    retired = {alert.rule_id for alert in alerts} - active
    ended = pass_.closed_ids | pass_.deleted_ids
    rows = {opportunity_id: row for row, opportunity_id in enumerate(ids)}
    live: list[LiveAlert] = []
    by_rule: dict[str, list[LiveAlert]] = {}
    for alert in alerts:
        if alert.opportunity_id in ended or alert.rule_id in retired:
            live.append(alert)
        elif alert.opportunity_id in rows:
            by_rule.setdefault(alert.rule_id, []).append(alert)
    observations = []
    for rule in pass_.chosen:
        outcome = pass_.rules[rule.id]
        if isinstance(outcome, Unevaluable):
            observations.append(Observation(rule.spec, frozenset(), frozenset(), failed=True))
            continue
        failed = outcome.condition.failed_rows
        firing = {ids[row] for row in outcome.condition.true_rows()}
        mine = by_rule.get(rule.id, [])
        alerted = {alert.opportunity_id for alert in mine}
        moving = {a.opportunity_id for a in mine if _moves_by_itself(a, rule, pass_.now)}
        changing = (firing ^ alerted) | moving
        if failed:  # nothing is known of those rows: their alerts stand
            changing = {oid for oid in changing if rows[oid] not in failed}
        live += (alert for alert in mine if alert.opportunity_id in changing)
        observations.append(
            Observation(rule.spec, frozenset(changing), frozenset(firing & changing))
        )
    return alert_transitions(
        live,
        observations,
        pass_.now,
        closed_ids=pass_.closed_ids,
        deleted_ids=pass_.deleted_ids,
        retired_rule_ids=retired,
    )


def _alerts_after(
    alerts: Sequence[LiveAlert], transitions: Sequence[Transition], rows: Mapping[str, int]
) -> tuple[dict[str, set[str]], int]:
    """Of the opportunities evaluated, after the transitions: the rules whose alert takes
    points off each one's health, and how many alerts are OPEN."""
    by_alert = {t.alert_id: t for t in transitions if t.alert_id is not None}
    penalised: dict[str, set[str]] = {}
    open_alerts = 0
    for live in alerts:
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
    return penalised, open_alerts


def _completions(
    pass_: PassInput, rows: Mapping[str, int]
) -> tuple[list[tuple[str, str]], list[str], dict[str, set[str]]]:
    current: dict[str, list[tuple[str, str, str]]] = {}
    for completion_id, milestone_id, opportunity_id, how in pass_.state.completions.iter_rows():
        if opportunity_id in rows:
            current.setdefault(opportunity_id, []).append((completion_id, milestone_id, how))
    done = {oid: {m for _, m, _ in completions} for oid, completions in current.items()}
    completed: list[tuple[str, str]] = []
    uncompleted: list[str] = []
    evaluated = {m: o for m, o in pass_.milestones.items() if isinstance(o, Outcome)}
    for milestone_id, outcome in evaluated.items():
        for true_row in outcome.true_rows():
            mine = done.setdefault(pass_.ids[true_row], set())
            if milestone_id not in mine:
                completed.append((milestone_id, pass_.ids[true_row]))
                mine.add(milestone_id)
    for opportunity_id, completions in current.items():
        row = rows[opportunity_id]
        for completion_id, milestone_id, how in completions:
            formula = evaluated.get(milestone_id)
            if (
                formula is None
                or how != CompletionHow.FORMULA.name
                or row in formula.failed_rows
                or formula.values[row] is True
            ):
                continue
            uncompleted.append(completion_id)
            done[opportunity_id].discard(milestone_id)
    return completed, sorted(uncompleted), done


def _health(
    pass_: PassInput, done: Mapping[str, set[str]], penalised: Mapping[str, set[str]]
) -> dict[str, Health]:
    state = pass_.state
    rules = {rule.id: rule for rule in state.rules}
    stored = {oid: StoredHealth(*rest) for oid, *rest in state.health.iter_rows()}
    changed = {}
    for opportunity_id, stage_name in zip(pass_.ids, pass_.stage_names, strict=True):
        applicable = applicable_milestones(state.milestones, stage_name, state.stages)
        made = compute_health(applicable, done.get(opportunity_id, set()), (), state.weights)
        alerting = [
            PenaltyAlert(rules[r].name, rules[r].severity)
            for r in sorted(penalised.get(opportunity_id, ()))
            if r in rules
        ]
        health = combined_health(made, compute_health((), (), alerting, state.weights))
        if stored.get(opportunity_id) != stored_form(health):
            changed[opportunity_id] = health
    return changed


def _rendered(
    pass_: PassInput,
    alerts: Sequence[LiveAlert],
    transitions: Sequence[Transition],
    rows: Mapping[str, int],
) -> dict[str, str]:
    touched = {t.alert_id for t in transitions}
    rendered = {}
    for live in alerts:
        row = rows.get(live.opportunity_id)
        if live.rule_id not in pass_.rerendered or live.alert_id in touched or row is None:
            continue
        outcome = pass_.rules[live.rule_id]
        assert isinstance(outcome, RuleOutcome)
        if outcome.condition.values[row] is True:
            rendered[live.alert_id] = outcome.render(row)
    return rendered


def row_steps(pass_: PassInput) -> PassSteps:
    alerts = live_alerts(pass_.state.alerts)
    rows = {opportunity_id: row for row, opportunity_id in enumerate(pass_.ids)}
    transitions = _transitions(pass_, alerts)
    penalised, open_alerts = _alerts_after(alerts, transitions, rows)
    completed, uncompleted, done = _completions(pass_, rows)
    return PassSteps(
        transitions=transitions,
        completed=completed,
        uncompleted=uncompleted,
        health=_health(pass_, done, penalised),
        rendered=_rendered(pass_, alerts, transitions, rows),
        open_alerts=open_alerts,
    )
