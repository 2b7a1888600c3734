"""The milestone and health steps of an evaluation pass, over tables: which formula
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

from rules.health import Health, PenaltyAlert, applicable_milestones, compute_health
from rules.process import CompletionHow
from services.evaluation_formulas import Outcome, Unevaluable
from services.evaluation_lifecycle import KEY_SEPARATOR
from store.evaluation_state import EvaluationState, stored_parts

_PAIR = ["milestone_id", "opportunity_id"]
_PAIR_SCHEMA = {"milestone_id": pl.String, "opportunity_id": pl.String, "order": pl.Int64}


def _pairs(outcomes: Mapping[str, Outcome], ids: pl.Series, failed: bool) -> pl.DataFrame:
    """(milestone, opportunity) of every true row (`failed`: of every row that could not be
    evaluated), with an order: the milestone's, then the row's."""
    frames = []
    for position, (milestone_id, outcome) in enumerate(outcomes.items()):
        rows = sorted(outcome.failed_rows) if failed else outcome.true_rows()
        frames.append(
            pl.DataFrame(
                {
                    "milestone_id": pl.Series([milestone_id] * len(rows), dtype=pl.String),
                    "opportunity_id": ids.gather(rows),
                    "order": pl.Series(rows, dtype=pl.Int64) + position * len(ids),
                }
            )
        )
    return pl.concat(frames) if frames else pl.DataFrame(schema=_PAIR_SCHEMA)


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
    id_column = pl.Series(ids, dtype=pl.String)
    evaluated = {m: o for m, o in outcomes.items() if isinstance(o, Outcome)}
    current = state.completions.filter(pl.col("opportunity_id").is_in(list(ids)))
    holding = _pairs(evaluated, id_column, failed=False)
    completed = holding.join(current, on=_PAIR, how="anti").sort("order")
    uncompleted = (
        current.filter(
            (pl.col("how") == CompletionHow.FORMULA.name)
            & pl.col("milestone_id").is_in(list(evaluated))
        )
        .join(holding, on=_PAIR, how="anti")
        .join(_pairs(evaluated, id_column, failed=True), on=_PAIR, how="anti")
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


def _split(key: str) -> list[str]:
    return key.split(KEY_SEPARATOR) if key else []


def changed_health(
    state: EvaluationState,
    ids: Sequence[str],
    stage_names: Sequence[str | None],
    done: pl.DataFrame,
    penalised: pl.DataFrame,
) -> dict[str, Health]:
    """The health of each evaluated opportunity (`ids`, in stages `stage_names`) that differs
    from the one stored, given its completed milestones (`done`) and the active rules whose
    alerts take points off it (`penalised`). Computed once per distinct progress (stage,
    completed milestones) and once per distinct set of penalising rules, combined and
    compared with the stored rows in the table, as `stored_form` would write them."""
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
    progress: list[Health] = []
    progress_rows = []
    for stage, milestone_key in deals.select("stage", "milestone_key").unique().iter_rows():
        applicable = applicable_milestones(state.milestones, stage or None, state.stages)
        made = compute_health(applicable, _split(milestone_key), (), state.weights)
        progress_rows.append((stage, milestone_key, len(progress), made.breakdown[0].points,
                              made.progress, stored_parts(made)))  # fmt: skip
        progress.append(made)
    rules = {rule.id: rule for rule in state.rules}
    penalties: list[Health] = []
    penalty_rows = []
    for (rule_key,) in deals.select("rule_key").unique().iter_rows():
        alerting = [PenaltyAlert(rules[r].name, rules[r].severity) for r in _split(rule_key)]
        taken = compute_health((), (), alerting, state.weights)
        penalty_rows.append((rule_key, len(penalties), taken.penalty, stored_parts(taken, 1)))
        penalties.append(taken)
    progress_table = pl.DataFrame(
        progress_rows,
        schema={"stage": pl.String, "milestone_key": pl.String, "made": pl.Int64,
                "points": pl.Int64, "progress": pl.Float64, "head": pl.String},
        orient="row",
    )  # fmt: skip
    penalty_table = pl.DataFrame(
        penalty_rows,
        schema={"rule_key": pl.String, "taken": pl.Int64, "penalty": pl.Int64,
                "tail": pl.String},
        orient="row",
    )  # fmt: skip
    tail = pl.when(pl.col("tail") == "").then(pl.lit("")).otherwise(", " + pl.col("tail"))
    measured = ["score", "progress", "penalty", "breakdown"]
    changed = (
        deals.join(progress_table, on=["stage", "milestone_key"], how="inner")
        .join(penalty_table, on="rule_key", how="inner")
        .with_columns(
            score=pl.max_horizontal(pl.lit(0), pl.col("points") - pl.col("penalty")),
            breakdown=pl.concat_str(pl.lit("["), "head", tail, pl.lit("]")),
        )
        .join(state.health, on="opportunity_id", how="left", suffix="_stored")
        .filter(pl.any_horizontal(pl.col(m).ne_missing(pl.col(f"{m}_stored")) for m in measured))
        .select("opportunity_id", "made", "taken")
    )
    return {
        opportunity_id: combined_health(progress[made], penalties[taken])
        for opportunity_id, made, taken in changed.iter_rows()
    }
