"""Health (rules.health): which milestones apply in a stage, the score, its breakdown, and the
org's severity weights."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rules.health import (
    Health,
    HealthPart,
    MilestoneSpec,
    PenaltyAlert,
    StageOrder,
    applicable_milestones,
    compute_health,
    severity_weights,
)
from rules.process import DEFAULT_SEVERITY_WEIGHTS, Severity

pytestmark = pytest.mark.sqlite_only

STAGES = [
    StageOrder("Prospecting", 1, is_closed=False),
    StageOrder("Qualification", 2, is_closed=False),
    StageOrder("Proposal", 3, is_closed=False),
    StageOrder("Closed Won", 4, is_closed=True),
]


def milestone(
    id: str,
    stage: str | None = None,
    *,
    weight: float = 1.0,
    active: bool = True,
    position: int = 0,
) -> MilestoneSpec:
    return MilestoneSpec(id, f"Milestone {id}", stage, weight, active, position)


MILESTONES = [
    milestone("ms_global", position=5),
    milestone("ms_prospect", "Prospecting", position=1),
    milestone("ms_qualify", "Qualification", position=2),
    milestone("ms_propose", "Proposal", position=3),
    milestone("ms_retired", None, active=False, position=0),
    milestone("ms_gone", "Negotiation", position=4),  # a stage the org no longer has
]


def ids(milestones: list[MilestoneSpec]) -> list[str]:
    return [m.id for m in milestones]


@pytest.mark.parametrize(
    ("stage", "expected"),
    [
        ("Prospecting", ["ms_prospect", "ms_global"]),
        ("Qualification", ["ms_prospect", "ms_qualify", "ms_global"]),
        ("Proposal", ["ms_prospect", "ms_qualify", "ms_propose", "ms_global"]),
        ("Closed Won", ["ms_prospect", "ms_qualify", "ms_propose", "ms_global"]),
        ("Unheard Of", ["ms_global"]),
        (None, ["ms_global"]),
    ],
)
def test_a_stage_milestone_applies_from_its_stage_on_and_globals_always(
    stage: str | None, expected: list[str]
) -> None:
    assert ids(applicable_milestones(MILESTONES, stage, STAGES)) == expected


def test_applicable_milestones_come_in_position_order_then_id() -> None:
    tied = [milestone("ms_b", position=1), milestone("ms_a", position=1), milestone("ms_c")]
    assert ids(applicable_milestones(tied, "Proposal", STAGES)) == ["ms_c", "ms_a", "ms_b"]


def test_stage_order_is_sort_order_not_listing_order() -> None:
    shuffled = [STAGES[2], STAGES[0], STAGES[3], STAGES[1]]
    chosen = applicable_milestones(MILESTONES, "Qualification", shuffled)
    assert ids(chosen) == ["ms_prospect", "ms_qualify", "ms_global"]


def test_the_documented_example() -> None:
    applicable = [
        milestone("m1", weight=1),
        milestone("m2", weight=2),
        milestone("m3", weight=3),
        milestone("m4", weight=2),
        milestone("m5", weight=2),
    ]
    health = compute_health(
        applicable,
        {"m1", "m3", "m4"},
        [PenaltyAlert("Close date in the past", Severity.HIGH)],
        DEFAULT_SEVERITY_WEIGHTS,
    )
    assert health == Health(
        score=50,
        progress=0.6,
        penalty=10,
        breakdown=(
            HealthPart("Progress: 3 of 5 milestones (weight 6 of 10)", 60),
            HealthPart("HIGH alert: Close date in the past", -10),
        ),
    )


def test_nothing_applicable_is_full_progress() -> None:
    health = compute_health([], {"ms_x"}, [], DEFAULT_SEVERITY_WEIGHTS)
    assert health == Health(100, 1.0, 0, (HealthPart("Progress: no milestones apply", 100),))


def test_completions_of_milestones_that_do_not_apply_do_not_count() -> None:
    health = compute_health([milestone("a"), milestone("b")], {"b", "zzz"}, [], {})
    assert (health.score, health.progress) == (50, 0.5)
    assert health.breakdown[0].label == "Progress: 1 of 2 milestones (weight 1 of 2)"


@pytest.mark.parametrize(
    ("weights", "done", "points"),
    [
        ((1, 7), {"a"}, 13),  # 12.5 rounds half up
        ((0.1, 0.2, 0.7), {"a", "b"}, 30),  # 0.1 + 0.2 is 0.3 here, not 0.30000000000000004
        ((0.285, 0.715), {"a"}, 29),  # 28.5 (a float would say 28.499999...)
        ((1, 2), {"a"}, 33),
        ((1, 2), {"b"}, 67),
        ((3,), set(), 0),
    ],
)
def test_progress_points_round_half_up_on_the_weights_as_written(
    weights: tuple[float, ...], done: set[str], points: int
) -> None:
    applicable = [milestone(name, weight=w) for name, w in zip("abc", weights, strict=False)]
    health = compute_health(applicable, done, [], DEFAULT_SEVERITY_WEIGHTS)
    assert health.breakdown[0].points == points
    assert health.score == points


def test_weights_are_shown_as_written() -> None:
    applicable = [milestone("a", weight=2.5), milestone("b", weight=0.25)]
    health = compute_health(applicable, {"a"}, [], {})
    assert health.breakdown[0].label == "Progress: 1 of 2 milestones (weight 2.5 of 2.75)"


def test_alerts_take_their_severity_weight_off_heaviest_first() -> None:
    alerts = [
        PenaltyAlert("Stale", Severity.LOW),
        PenaltyAlert("No amount", Severity.CRITICAL),
        PenaltyAlert("Behind", Severity.MEDIUM),
        PenaltyAlert("Also behind", Severity.MEDIUM),
    ]
    health = compute_health([], set(), alerts, DEFAULT_SEVERITY_WEIGHTS)
    assert health.penalty == 32
    assert health.score == 68
    assert health.breakdown[1:] == (
        HealthPart("CRITICAL alert: No amount", -20),
        HealthPart("MEDIUM alert: Also behind", -5),
        HealthPart("MEDIUM alert: Behind", -5),
        HealthPart("LOW alert: Stale", -2),
    )
    parts = sum(part.points for part in health.breakdown)
    assert parts == health.score


def test_the_score_never_goes_below_zero() -> None:
    alerts = [PenaltyAlert(f"Rule {n}", Severity.CRITICAL) for n in range(6)]
    health = compute_health([milestone("a")], {"a"}, alerts, DEFAULT_SEVERITY_WEIGHTS)
    assert (health.score, health.penalty) == (0, 120)


def test_the_orgs_weights_count_and_missing_ones_default() -> None:
    alerts = [PenaltyAlert("a", Severity.HIGH), PenaltyAlert("b", Severity.LOW)]
    health = compute_health([], set(), alerts, {Severity.HIGH: 30})
    assert health.penalty == 32


def test_severity_weights_are_stored_names_over_the_defaults() -> None:
    assert severity_weights({}) == DEFAULT_SEVERITY_WEIGHTS
    assert severity_weights({"HIGH": 15, "LOW": 0}) == {
        Severity.LOW: 0,
        Severity.MEDIUM: 5,
        Severity.HIGH: 15,
        Severity.CRITICAL: 20,
    }


def test_severity_weights_ignore_what_is_no_weight() -> None:
    stored = {"high": 99, "URGENT": 50, "LOW": -1, "MEDIUM": True, "CRITICAL": 2.5}
    assert severity_weights(stored) == DEFAULT_SEVERITY_WEIGHTS  # type: ignore[arg-type]


def test_severity_weights_does_not_change_the_defaults() -> None:
    severity_weights({"HIGH": 1})
    assert DEFAULT_SEVERITY_WEIGHTS[Severity.HIGH] == 10


@settings(max_examples=300, derandomize=True, deadline=None)
@given(
    weights=st.lists(st.floats(0.001, 1000, allow_nan=False), max_size=8),
    done=st.sets(st.integers(0, 7)),
    severities=st.lists(st.sampled_from(Severity), max_size=5),
)
def test_health_is_bounded_and_its_parts_add_up(
    weights: list[float], done: set[int], severities: list[Severity]
) -> None:
    applicable = [milestone(f"m{n}", weight=w) for n, w in enumerate(weights)]
    alerts = [PenaltyAlert(f"Rule {n}", s) for n, s in enumerate(severities)]
    health = compute_health(applicable, {f"m{n}" for n in done}, alerts, DEFAULT_SEVERITY_WEIGHTS)
    assert 0 <= health.score <= 100
    assert 0.0 <= health.progress <= 1.0
    assert health.penalty == sum(DEFAULT_SEVERITY_WEIGHTS[s] for s in severities)
    assert abs(health.breakdown[0].points - health.progress * 100) <= 0.5 + 1e-9
    assert health.score == max(0, sum(part.points for part in health.breakdown))
    assert len(health.breakdown) == 1 + len(alerts)
