"""An evaluation pass's steps over tables, for a pass over many deals (see
services.evaluation_steps): the lifecycle (services.evaluation_lifecycle), then the
milestones and health (services.evaluation_health), and the messages rendered anew.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from rules.lifecycle import Transition
from services.evaluation_formulas import RuleOutcome
from services.evaluation_health import changed_health, formula_completions
from services.evaluation_lifecycle import Firing, alerts_after, firing_pairs, lifecycle_transitions
from services.evaluation_steps import PassInput, PassSteps


def _rendered(pass_: PassInput, fired: Firing, transitions: Sequence[Transition]) -> dict[str, str]:
    if not pass_.rerendered:
        return {}
    touched = [t.alert_id for t in transitions if t.alert_id is not None]
    rows = pl.DataFrame(
        {"opportunity_id": pl.Series(pass_.ids, dtype=pl.String),
         "row": pl.int_range(len(pass_.ids), dtype=pl.Int64, eager=True)}
    )  # fmt: skip
    candidates = (
        pass_.state.alerts.filter(
            pl.col("rule_id").is_in(sorted(pass_.rerendered)) & ~pl.col("alert_id").is_in(touched)
        )
        .join(fired.firing, on=["rule_id", "opportunity_id"], how="semi")
        .join(rows, on="opportunity_id", how="inner")
        .select("alert_id", "rule_id", "row")
    )
    rendered = {}
    for alert_id, rule_id, row in candidates.iter_rows():
        outcome = pass_.rules[rule_id]
        assert isinstance(outcome, RuleOutcome)
        rendered[alert_id] = outcome.render(row)
    return rendered


def table_steps(pass_: PassInput) -> PassSteps:
    state = pass_.state
    fired = firing_pairs(pass_.chosen, pass_.rules, pass_.ids)
    transitions = lifecycle_transitions(pass_, fired)
    after = alerts_after(state, transitions, pass_.ids)
    milestones = formula_completions(state, pass_.milestones, pass_.ids)
    health = changed_health(state, pass_.ids, pass_.stage_names, milestones.done, after.penalised)
    return PassSteps(
        transitions=transitions,
        completed=milestones.completed,
        uncompleted=milestones.uncompleted,
        health=health,
        rendered=_rendered(pass_, fired, transitions),
        open_alerts=after.open_alerts,
    )
