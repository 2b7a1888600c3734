"""The lifecycle step of an evaluation pass over tables (a pass over many deals;
services.evaluation_steps): what rules.lifecycle.alert_transitions is handed, and which
alerts are live afterwards.

Only what can change is handed over: of the rows a rule was evaluated on, those where what
fires and what is alerted differ, and the alerts whose state moves by itself (PENDING ones
that may have held long enough, snoozes that may have expired, alerts of an older version of
the rule); plus every alert that ends whatever the observations say (on a closed or deleted
deal, of a retired rule). For a firing row whose current alert is OPEN or DISMISSED the
lifecycle would return nothing, and a steady full pass is almost only such rows, so they are
found by joining tables (what fires, what is alerted), never one alert at a time in Python.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import polars as pl

from rules.lifecycle import Change, Observation, Transition, alert_transitions
from rules.process import AlertStatus
from services.evaluation_formulas import RuleOutcome, Unevaluable
from services.evaluation_steps import PENALISED, PassInput
from store.evaluation_state import EvaluationState, RuleState, live_alerts

# Joins health keys of ids (ids never hold it).
KEY_SEPARATOR = "\x1f"
_PAIR = ["rule_id", "opportunity_id"]
ENDING = [Change.RESOLVE.name, Change.DROP.name]  # the alert is no longer live


def _pairs(pairs: tuple[list[str], list[str]]) -> pl.DataFrame:
    """A (rule, opportunity) table from its two columns: one table, not one per rule (a pass
    over one deal must not pay for a hundred tiny tables)."""
    rule_ids, opportunity_ids = pairs
    return pl.DataFrame(
        {"rule_id": rule_ids, "opportunity_id": opportunity_ids},
        schema={"rule_id": pl.String, "opportunity_id": pl.String},
    )


@dataclass(frozen=True)
class Firing:
    """Of the rules evaluated (not failed): the (rule, opportunity) pairs that fire, those
    whose row could not be evaluated, and each rule's current version."""

    firing: pl.DataFrame  # rule_id, opportunity_id
    failed: pl.DataFrame  # rule_id, opportunity_id
    versions: pl.DataFrame  # rule_id, version


def firing_pairs(
    chosen: Sequence[RuleState],
    outcomes: Mapping[str, RuleOutcome | Unevaluable],
    ids: Sequence[str],
) -> Firing:
    firing: tuple[list[str], list[str]] = ([], [])
    failed: tuple[list[str], list[str]] = ([], [])
    evaluated = []
    for rule in chosen:
        outcome = outcomes[rule.id]
        if isinstance(outcome, Unevaluable):
            continue
        evaluated.append((rule.id, rule.version))
        for pairs, rows in (
            (firing, outcome.condition.true_rows()),
            (failed, sorted(outcome.condition.failed_rows)),
        ):
            pairs[0].extend([rule.id] * len(rows))
            pairs[1].extend(ids[row] for row in rows)
    versions = pl.DataFrame(evaluated, schema={"rule_id": pl.String, "version": pl.Int64},
                            orient="row")  # fmt: skip
    return Firing(_pairs(firing), _pairs(failed), versions)


def lifecycle_transitions(pass_: PassInput, fired: Firing) -> list[Transition]:
    """The transitions of the pass: its rules evaluated (firing as `fired` says) over its
    opportunities, the org's state before it."""
    state, chosen, outcomes, ids, now = pass_.state, pass_.chosen, pass_.rules, pass_.ids, pass_.now
    alerts = state.alerts
    active = [rule.id for rule in state.rules]
    ended = sorted(pass_.closed_ids | pass_.deleted_ids)
    forced = pl.col("opportunity_id").is_in(ended) | ~pl.col("rule_id").is_in(active)
    retired = set(alerts.filter(~pl.col("rule_id").is_in(active)).get_column("rule_id"))
    mine = alerts.filter(~forced & pl.col("opportunity_id").is_in(list(ids))).join(
        fired.versions, on="rule_id", how="inner"
    )
    now_utc = pl.lit(now).dt.convert_time_zone("UTC")
    moving = (
        (pl.col("status") == AlertStatus.PENDING.name)
        | (pl.col("rule_version") < pl.col("version"))
        | ((pl.col("status") == AlertStatus.SNOOZED.name) & (pl.col("snoozed_until") <= now_utc))
    )
    changing = (
        fired.firing.with_columns(fires=pl.lit(True))
        .join(mine, on=_PAIR, how="full", coalesce=True)
        .filter(pl.col("fires").is_null() | pl.col("alert_id").is_null() | moving.fill_null(False))
        .join(fired.failed, on=_PAIR, how="anti")  # nothing is known of those rows: alerts stand
    )
    live = live_alerts(alerts.filter(forced)) + live_alerts(
        changing.filter(pl.col("alert_id").is_not_null())
    )
    by_rule: dict[str, tuple[list[str], list[str]]] = {}
    for rule_id, opportunity_id, fires in changing.select(*_PAIR, "fires").iter_rows():
        evaluated, firing = by_rule.setdefault(rule_id, ([], []))
        evaluated.append(opportunity_id)
        if fires:
            firing.append(opportunity_id)
    observations = []
    for rule in chosen:
        if isinstance(outcomes[rule.id], Unevaluable):
            observations.append(Observation(rule.spec, frozenset(), frozenset(), failed=True))
            continue
        evaluated, firing = by_rule.get(rule.id, ([], []))
        observations.append(Observation(rule.spec, frozenset(evaluated), frozenset(firing)))
    return alert_transitions(
        live,
        observations,
        now,
        closed_ids=pass_.closed_ids,
        deleted_ids=pass_.deleted_ids,
        retired_rule_ids=retired,
    )


@dataclass(frozen=True)
class AlertsAfter:
    """Of the opportunities evaluated, after the transitions: the active rules whose alert
    takes points off each one's health (`rule_key`: their ids, sorted, joined by
    KEY_SEPARATOR), and how many alerts are OPEN."""

    penalised: pl.DataFrame  # opportunity_id, rule_key
    open_alerts: int


def alerts_after(
    state: EvaluationState, transitions: Sequence[Transition], ids: Sequence[str]
) -> AlertsAfter:
    evaluated = list(ids)
    moved = pl.DataFrame(
        [(t.alert_id, t.change.name, t.status.name) for t in transitions if t.alert_id],
        schema={"alert_id": pl.String, "change": pl.String, "new_status": pl.String},
        orient="row",
    )
    kept = (
        state.alerts.filter(pl.col("opportunity_id").is_in(evaluated))
        .join(moved, on="alert_id", how="left")
        .filter(pl.col("change").is_null() | ~pl.col("change").is_in(ENDING))
        .select("opportunity_id", "rule_id", pl.coalesce("new_status", "status").alias("status"))
    )
    opened = pl.DataFrame(
        [(t.opportunity_id, t.rule_id, t.status.name) for t in transitions if not t.alert_id],
        schema={"opportunity_id": pl.String, "rule_id": pl.String, "status": pl.String},
        orient="row",
    ).filter(pl.col("opportunity_id").is_in(evaluated))
    after = pl.concat([kept, opened])
    active = [rule.id for rule in state.rules]
    penalised = (
        after.filter(
            pl.col("status").is_in([status.name for status in PENALISED])
            & pl.col("rule_id").is_in(active)
        )
        .group_by("opportunity_id")
        .agg(pl.col("rule_id").unique().sort().alias("rule_key"))
        .with_columns(pl.col("rule_key").list.join(KEY_SEPARATOR))
    )
    open_alerts = after.filter(pl.col("status") == AlertStatus.OPEN.name).height
    return AlertsAfter(penalised, open_alerts)
