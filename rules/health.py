"""An opportunity's health: a 0-100 score a person can read, from its milestones and alerts.

Which milestones apply (`applicable_milestones`): the active ones that are GLOBAL, plus the
active ones of a stage whose SortOrder is at most the opportunity's current stage's (a stage
milestone stays applicable in every later stage). For a stage the org does not have, only
the global ones apply; a milestone of a stage the org no longer has never applies.

The score (`compute_health`):

    progress = weight of the applicable milestones completed / weight of the applicable
               milestones (1.0 when none applies: nothing is missing)
    progress points = 100 x progress, rounded half up to a whole number
    penalty = the sum of the severity weights of the opportunity's OPEN and SNOOZED alerts
              (DISMISSED and RESOLVED ones take nothing off)
    score = max(0, progress points - penalty)

Severity weights are per org; the defaults (rules.process.DEFAULT_SEVERITY_WEIGHTS) are LOW 2,
MEDIUM 5, HIGH 10, CRITICAL 20 points. For example 3 of 5 milestones done, weighing 6 of 10,
and one HIGH alert open: progress 0.6, 60 points, penalty 10, score 50. The breakdown lists
the progress part ("Progress: 3 of 5 milestones (weight 6 of 10)", +60), then one part per
alert, heaviest first ("HIGH alert: Close date in the past", -10).

Weights are added as the decimals they are written as (0.1 + 0.2 is 0.3), so the rounding of
the progress points does not depend on binary floating point.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from math import floor

from rules.process import DEFAULT_SEVERITY_WEIGHTS, Severity

__all__ = [
    "Health",
    "HealthPart",
    "MilestoneSpec",
    "PenaltyAlert",
    "StageOrder",
    "alert_part",
    "applicable_milestones",
    "compute_health",
    "severity_weights",
]


@dataclass(frozen=True)
class StageOrder:
    """An opportunity stage as OpportunityStage describes it."""

    api_name: str
    sort_order: int
    is_closed: bool


@dataclass(frozen=True)
class MilestoneSpec:
    """What health needs of a milestone. `stage_name` None: a GLOBAL milestone."""

    id: str
    name: str
    stage_name: str | None
    weight: float
    active: bool
    position: int


@dataclass(frozen=True)
class PenaltyAlert:
    """An OPEN or SNOOZED alert of the opportunity (the caller filters the statuses)."""

    rule_name: str
    severity: Severity


@dataclass(frozen=True)
class HealthPart:
    label: str
    points: int  # what the part adds (progress) or takes off (an alert, negative)


@dataclass(frozen=True)
class Health:
    score: int  # 0-100
    progress: float  # 0-1
    penalty: int  # points taken off, >= 0
    breakdown: tuple[HealthPart, ...]


def applicable_milestones(
    milestones: Iterable[MilestoneSpec], stage_name: str | None, stages: Iterable[StageOrder]
) -> list[MilestoneSpec]:
    """The milestones that apply in `stage_name` (see the module docstring), by position."""
    order = {stage.api_name: stage.sort_order for stage in stages}
    current = order.get(stage_name) if stage_name is not None else None

    def applies(milestone: MilestoneSpec) -> bool:
        if not milestone.active:
            return False
        if milestone.stage_name is None:
            return True
        own = order.get(milestone.stage_name)
        return current is not None and own is not None and own <= current

    chosen = [milestone for milestone in milestones if applies(milestone)]
    return sorted(chosen, key=lambda m: (m.position, m.id))


def _exact(weight: float) -> Decimal:
    """A weight as the decimal it was written as (repr is the shortest round trip)."""
    return Decimal(repr(weight))


def _shown(number: Decimal) -> str:
    """6 for 6.0, 2.5 for 2.50: a weight as a person writes it."""
    if number == number.to_integral_value():
        return str(int(number))
    return format(number.normalize(), "f")


def _round_half_up(value: Fraction) -> int:
    return floor(value + Fraction(1, 2))


def _weight(milestones: Iterable[MilestoneSpec]) -> Decimal:
    return sum((_exact(m.weight) for m in milestones), Decimal(0))


def _progress_label(applicable: int, done: int, total: Decimal, completed: Decimal) -> str:
    if not applicable:
        return "Progress: no milestones apply"
    return (
        f"Progress: {done} of {applicable} milestones "
        f"(weight {_shown(completed)} of {_shown(total)})"
    )


def alert_part(
    alert: PenaltyAlert, weights: Mapping[Severity, int]
) -> tuple[tuple[int, str], HealthPart]:
    """The part an alert takes off health, and where it goes among the alerts' parts (the
    heaviest first, then by rule name)."""
    weight = weights.get(alert.severity, DEFAULT_SEVERITY_WEIGHTS[alert.severity])
    return (-weight, alert.rule_name), HealthPart(
        f"{alert.severity.name} alert: {alert.rule_name}", -weight
    )


def compute_health(
    applicable: Sequence[MilestoneSpec],
    completed_ids: Collection[str],
    alerts: Sequence[PenaltyAlert],
    weights: Mapping[Severity, int],
) -> Health:
    """The health of an opportunity whose applicable milestones are `applicable` (see
    `applicable_milestones`), of which `completed_ids` are completed (other ids are ignored),
    with `alerts` open or snoozed, under the org's severity `weights` (a severity missing there
    weighs its default)."""
    done = [milestone for milestone in applicable if milestone.id in completed_ids]
    total, completed = _weight(applicable), _weight(done)
    ratio = Fraction(completed) / Fraction(total) if total > 0 else Fraction(1)
    progress_points = _round_half_up(ratio * 100)
    label = _progress_label(len(applicable), len(done), total, completed)
    parts = [HealthPart(label, progress_points)]
    weighed = sorted((alert_part(alert, weights) for alert in alerts), key=lambda pair: pair[0])
    parts.extend(part for _, part in weighed)
    penalty = -sum(part.points for _, part in weighed)
    return Health(
        score=max(0, progress_points - penalty),
        progress=float(ratio),
        penalty=penalty,
        breakdown=tuple(parts),
    )


def severity_weights(stored: Mapping[str, int]) -> dict[Severity, int]:
    """The org's weights: `stored` (by severity name, as EvaluationSettings keeps them) over
    the defaults. Names that are no severity, and values that are not whole numbers >= 0,
    are ignored (the defaults stand)."""
    weights = dict(DEFAULT_SEVERITY_WEIGHTS)
    for name, value in stored.items():
        if name in Severity.__members__ and type(value) is int and value >= 0:
            weights[Severity[name]] = value
    return weights
