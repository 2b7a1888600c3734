"""The milestone and health steps of an evaluation pass over tables (a pass over many deals;
services.evaluation_steps): which formula
milestones are completed or un-completed now, and the health of each evaluated opportunity
that differs from the one stored.

Many deals share their stage, their completed milestones and the rules that take points off
them, so health is computed once per distinct (stage, completed, penalised) key and joined
back; only the deals whose health changed become Python values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import polars as pl

from rules.health import (
    Health,
    PenaltyAlert,
    alert_part,
    applicable_milestones,
    compute_health,
)
from rules.process import CompletionHow
from services.evaluation_formulas import Outcome, Unevaluable
from services.evaluation_lifecycle import KEY_SEPARATOR
from services.evaluation_steps import combined_health
from store.evaluation_state import EvaluationState, stored_part, stored_parts

_PAIR = ["milestone_id", "opportunity_id"]
_PAIR_SCHEMA = {"milestone_id": pl.String, "opportunity_id": pl.String, "order": pl.Int64}


def _pairs(outcomes: Mapping[str, Outcome], ids: Sequence[str], failed: bool) -> pl.DataFrame:
    """(milestone, opportunity) of every true row (`failed`: of every row that could not be
    evaluated), with an order: the milestone's, then the row's."""
    milestone_ids: list[str] = []
    opportunity_ids: list[str] = []
    order: list[int] = []
    for position, (milestone_id, outcome) in enumerate(outcomes.items()):
        rows = sorted(outcome.failed_rows) if failed else outcome.true_rows()
        milestone_ids += [milestone_id] * len(rows)
        opportunity_ids += (ids[row] for row in rows)
        order += (position * len(ids) + row for row in rows)
    columns = {"milestone_id": milestone_ids, "opportunity_id": opportunity_ids, "order": order}
    return pl.DataFrame(columns, schema=_PAIR_SCHEMA)


@dataclass(frozen=True)
class Completions:
    completed: list[tuple[str, str]]  # (milestone, opportunity) completed by their formula now
    uncompleted: list[str]  # the completion ids the formula no longer holds for
    # Each evaluated opportunity with a completed milestone afterwards: their ids, sorted,
    # joined by KEY_SEPARATOR.
    done: pl.DataFrame  # opportunity_id, milestone_key


def formula_completions(
    state: EvaluationState, outcomes: Mapping[str, Outcome | Unevaluable], ids: Sequence[str]
) -> Completions:
    """A formula milestone is completed wherever its formula holds and un-completed where it
    no longer does; a row it could not be evaluated on keeps its completion as it is, and a
    completion made by hand is never undone by a formula."""
    evaluated = {m: o for m, o in outcomes.items() if isinstance(o, Outcome)}
    current = state.completions.filter(pl.col("opportunity_id").is_in(list(ids)))
    holding = _pairs(evaluated, ids, failed=False)
    completed = holding.join(current, on=_PAIR, how="anti").sort("order")
    uncompleted = (
        current.filter(
            (pl.col("how") == CompletionHow.FORMULA.name)
            & pl.col("milestone_id").is_in(list(evaluated))
        )
        .join(holding, on=_PAIR, how="anti")
        .join(_pairs(evaluated, ids, failed=True), on=_PAIR, how="anti")
    )
    done = (
        pl.concat(
            [
                current.join(uncompleted, on="completion_id", how="anti").select(_PAIR),
                completed.select(_PAIR),
            ]
        )
        .group_by("opportunity_id")
        .agg(pl.col("milestone_id").unique().sort().alias("milestone_key"))
        .with_columns(pl.col("milestone_key").list.join(KEY_SEPARATOR))
    )
    return Completions(
        completed=list(completed.select(_PAIR).iter_rows()),
        uncompleted=sorted(uncompleted.get_column("completion_id")),
        done=done,
    )


def _split(key: str) -> list[str]:
    return key.split(KEY_SEPARATOR) if key else []


def _progress_table(
    state: EvaluationState, deals: pl.DataFrame
) -> tuple[pl.DataFrame, list[Health]]:
    """The progress half of health for each distinct (stage, completed milestones) of
    `deals`: its points, progress and first part's stored text, and its Health (`made`
    indexes the list)."""
    progress: list[Health] = []
    rows = []
    for stage, milestone_key in deals.select("stage", "milestone_key").unique().iter_rows():
        applicable = applicable_milestones(state.milestones, stage or None, state.stages)
        made = compute_health(applicable, _split(milestone_key), (), state.weights)
        rows.append((stage, milestone_key, len(progress), made.breakdown[0].points,
                     made.progress, stored_parts(made)))  # fmt: skip
        progress.append(made)
    table = pl.DataFrame(
        rows,
        schema={"stage": pl.String, "milestone_key": pl.String, "made": pl.Int64,
                "points": pl.Int64, "progress": pl.Float64, "head": pl.String},
        orient="row",
    )  # fmt: skip
    return table, progress


def _penalty_table(
    state: EvaluationState, deals: pl.DataFrame, alerting: Mapping[str, PenaltyAlert]
) -> pl.DataFrame:
    """The alerts' half of health for each distinct set of penalising rules of `deals`: its
    penalty and its parts' stored text. There are many sets, so each is put together from
    its rules' parts (`alert_part`, made once per rule), not computed anew."""
    parts = {
        rule_id: (order, part.points, stored_part(part))
        for rule_id, alert in alerting.items()
        for order, part in [alert_part(alert, state.weights)]
    }
    rows = []
    for (rule_key,) in deals.select("rule_key").unique().iter_rows():
        ordered = sorted((parts[r] for r in _split(rule_key)), key=lambda p: p[0])
        penalty = -sum(points for _, points, _ in ordered)
        rows.append((rule_key, penalty, ", ".join(text for _, _, text in ordered)))
    return pl.DataFrame(
        rows, schema={"rule_key": pl.String, "penalty": pl.Int64, "tail": pl.String},
        orient="row",
    )  # fmt: skip


def changed_health(
    state: EvaluationState,
    ids: Sequence[str],
    stage_names: Sequence[str | None],
    done: pl.DataFrame,
    penalised: pl.DataFrame,
) -> dict[str, Health]:
    """The health of each evaluated opportunity (`ids`, in stages `stage_names`) that differs
    from the one stored, given its completed milestones (`done`) and the active rules whose
    alerts take points off it (`penalised`): both halves joined and compared, in the table,
    with the stored rows as `stored_form` writes them; Health values only where they differ."""
    deals = (
        pl.DataFrame(
            {
                "opportunity_id": pl.Series(ids, dtype=pl.String),
                "stage": pl.Series(stage_names, dtype=pl.String),
            }
        )
        .join(done, on="opportunity_id", how="left")
        .join(penalised, on="opportunity_id", how="left")
        .with_columns(pl.col("stage", "milestone_key", "rule_key").fill_null(""))
    )
    progress_table, progress = _progress_table(state, deals)
    alerting = {rule.id: PenaltyAlert(rule.name, rule.severity) for rule in state.rules}
    tail = pl.when(pl.col("tail") == "").then(pl.lit("")).otherwise(", " + pl.col("tail"))
    measured = ["score", "progress", "penalty", "breakdown"]
    changed = (
        deals.join(progress_table, on=["stage", "milestone_key"], how="inner")
        .join(_penalty_table(state, deals, alerting), on="rule_key", how="inner")
        .with_columns(
            score=pl.max_horizontal(pl.lit(0), pl.col("points") - pl.col("penalty")),
            breakdown=pl.concat_str(pl.lit("["), "head", tail, pl.lit("]")),
        )
        .join(state.health, on="opportunity_id", how="left", suffix="_stored")
        .filter(pl.any_horizontal(pl.col(m).ne_missing(pl.col(f"{m}_stored")) for m in measured))
        .select("opportunity_id", "made", "rule_key")
    )
    penalties: dict[str, Health] = {}
    healths: dict[str, Health] = {}
    for opportunity_id, made, rule_key in changed.iter_rows():
        taken = penalties.get(rule_key)
        if taken is None:
            taken = compute_health((), (), [alerting[r] for r in _split(rule_key)], state.weights)
            penalties[rule_key] = taken
        healths[opportunity_id] = combined_health(progress[made], taken)
    return healths
