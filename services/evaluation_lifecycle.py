"""The lifecycle step of an evaluation pass: what rules.lifecycle.alert_transitions is handed.

Only what can change is: of the rows a rule was evaluated on, those where what fires and what
is alerted differ, and the alerts whose state moves by itself (PENDING ones that may have held
long enough, snoozes that may have expired, alerts of an older version of the rule); plus
every alert that ends whatever the observations say (on a closed or deleted deal, of a retired
rule). For a firing row whose current alert is OPEN or DISMISSED the lifecycle would return
nothing, and a steady full pass is almost only such rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from rules.lifecycle import LiveAlert, Observation, Transition, alert_transitions
from rules.process import AlertStatus
from services.evaluation_formulas import RuleOutcome, Unevaluable
from store.evaluation_state import EvaluationState, RuleState


def _moves_by_itself(alert: LiveAlert, rule: RuleState, now: datetime) -> bool:
    if alert.rule_version < rule.version or alert.status is AlertStatus.PENDING:
        return True
    until = alert.snoozed_until
    return alert.status is AlertStatus.SNOOZED and until is not None and until <= now


def lifecycle_transitions(
    state: EvaluationState,
    chosen: Sequence[RuleState],
    outcomes: Mapping[str, RuleOutcome | Unevaluable],
    ids: Sequence[str],
    now: datetime,
) -> list[Transition]:
    """The transitions of the pass: `chosen` rules evaluated (`outcomes`) over the rows `ids`
    (the opportunities evaluated, in frame order), the org's `state` before it."""
    active = {rule.id for rule in state.rules}
    retired = {alert.rule_id for alert in state.alerts} - active
    ended = state.closed_ids | state.deleted_ids
    rows = {opportunity_id: row for row, opportunity_id in enumerate(ids)}
    live: list[LiveAlert] = []
    by_rule: dict[str, list[LiveAlert]] = {}
    for alert in state.alerts:
        if alert.opportunity_id in ended or alert.rule_id in retired:
            live.append(alert)
        elif alert.opportunity_id in rows:
            by_rule.setdefault(alert.rule_id, []).append(alert)
    observations = []
    for rule in chosen:
        outcome = outcomes[rule.id]
        if isinstance(outcome, Unevaluable):
            observations.append(Observation(rule.spec, frozenset(), frozenset(), failed=True))
            continue
        failed = outcome.condition.failed_rows
        firing = {ids[row] for row in outcome.condition.true_rows()}
        alerts = by_rule.get(rule.id, [])
        alerted = {alert.opportunity_id for alert in alerts}
        moving = {a.opportunity_id for a in alerts if _moves_by_itself(a, rule, now)}
        changing = (firing ^ alerted) | moving
        if failed:  # nothing is known of those rows: their alerts stand
            changing = {oid for oid in changing if rows[oid] not in failed}
        live += (alert for alert in alerts if alert.opportunity_id in changing)
        observations.append(
            Observation(rule.spec, frozenset(changing), frozenset(firing & changing))
        )
    return alert_transitions(
        live,
        observations,
        now,
        closed_ids=state.closed_ids,
        deleted_ids=state.deleted_ids,
        retired_rule_ids=retired,
    )
