"""An org's severity weights as an admin changes them: the points an open (or snoozed) alert
of each severity takes off health (rules.health), over the documented defaults
(rules.process.DEFAULT_SEVERITY_WEIGHTS).

`check_severity_weights` returns every problem of a change at once (an empty list: it may be
saved), each at its GraphQL input path (`input[1].weight`). The code enum is the GraphQL
error code enum itself (the API registers it), FORBIDDEN included.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum

from rules.process import DEFAULT_SEVERITY_WEIGHTS, Severity

# A weight above the whole 0-100 score would make one alert mean "health 0" on its own, which
# a CRITICAL of 100 already says; bigger numbers are surely mistakes.
MAX_SEVERITY_WEIGHT = 100


class SeverityWeightErrorCode(Enum):
    FORBIDDEN = "forbidden"
    INSUFFICIENT_SCOPE = "insufficient_scope"  # the token lacks the scope (extensions name it)
    DUPLICATE_SEVERITY = "duplicate_severity"
    INVALID_WEIGHT = "invalid_weight"


@dataclass(frozen=True)
class WeightProblem:
    field: str
    code: SeverityWeightErrorCode
    message: str


def check_severity_weights(given: Sequence[tuple[Severity, int]]) -> list[WeightProblem]:
    if len(given) > len(Severity):  # one problem, not one per repeat: the answer stays short
        return [
            WeightProblem(
                "input",
                SeverityWeightErrorCode.DUPLICATE_SEVERITY,
                f"at most one weight per severity ({len(Severity)})",
            )
        ]
    problems: list[WeightProblem] = []
    seen: set[Severity] = set()
    for index, (severity, weight) in enumerate(given):
        if severity in seen:
            problems.append(
                WeightProblem(
                    f"input[{index}].severity",
                    SeverityWeightErrorCode.DUPLICATE_SEVERITY,
                    f"{severity.name} is given more than once",
                )
            )
        seen.add(severity)
        if not 0 <= weight <= MAX_SEVERITY_WEIGHT:
            problems.append(
                WeightProblem(
                    f"input[{index}].weight",
                    SeverityWeightErrorCode.INVALID_WEIGHT,
                    f"a weight is a whole number of points from 0 to {MAX_SEVERITY_WEIGHT}",
                )
            )
    return problems


def changed_weights(
    current: Mapping[Severity, int], given: Sequence[tuple[Severity, int]]
) -> dict[Severity, int]:
    """What the org stores after the change: `current` with `given` applied (severities not
    given keep their value), keeping only the weights that differ from the defaults, so that
    a weight set back to its default follows the documented default again."""
    weights = {**current, **dict(given)}
    return {s: w for s, w in weights.items() if w != DEFAULT_SEVERITY_WEIGHTS[s]}


def is_default(severity: Severity, weight: int) -> bool:
    return weight == DEFAULT_SEVERITY_WEIGHTS[severity]
