"""What the steps of an evaluation pass hand back, whichever way they ran: over tables
(services.evaluation_tables, a pass over many deals) or over Python values
(services.evaluation_rows, a pass over a few: a write's, where a table operation's fixed
cost, a fraction of a millisecond each, would be most of the pass). Both are held to give
the same steps (tests/services run every scenario both ways).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from rules.health import Health
from rules.lifecycle import Transition
from rules.process import AlertStatus
from services.evaluation_formulas import Outcome, RuleOutcome, Unevaluable
from store.evaluation_state import EvaluationState, RuleState

# Up to this many opportunities, a pass's steps run over Python values.
ROWS_PASS = 256
# The statuses that take points off health.
PENALISED = (AlertStatus.OPEN, AlertStatus.SNOOZED)


@dataclass(frozen=True)
class PassInput:
    state: EvaluationState
    chosen: Sequence[RuleState]  # the rules evaluated
    rules: Mapping[str, RuleOutcome | Unevaluable]
    milestones: Mapping[str, Outcome | Unevaluable]
    ids: Sequence[str]  # the opportunities evaluated, in frame order
    stage_names: Sequence[str | None]
    now: datetime
    rerendered: frozenset[str]  # the rules whose live alerts' messages are rendered anew
    # Of the opportunities concerned (asked for, or with a live alert or a health not frozen
    # when none were), those closed, and those deleted (or never mirrored).
    closed_ids: frozenset[str]
    deleted_ids: frozenset[str]


@dataclass(frozen=True)
class PassSteps:
    transitions: list[Transition]
    completed: list[tuple[str, str]]  # (milestone, opportunity) completed by their formula
    uncompleted: list[str]  # completion ids
    health: dict[str, Health]  # what differs from the stored health, by opportunity id
    # Live alerts of `rerendered` rules no transition touched, firing on a row evaluated:
    # their message rendered now (the caller keeps those that differ from the stored one).
    rendered: dict[str, str]
    open_alerts: int  # OPEN alerts on the opportunities evaluated, afterwards


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
