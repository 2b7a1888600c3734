from __future__ import annotations

from rules.process import DEFAULT_SEVERITY_WEIGHTS, Severity
from rules.severity_weights import (
    SeverityWeightErrorCode,
    changed_weights,
    check_severity_weights,
    is_default,
)

Code = SeverityWeightErrorCode


def test_every_problem_is_reported_at_its_input_path() -> None:
    given = [(Severity.HIGH, 0), (Severity.LOW, 100), (Severity.HIGH, 101), (Severity.LOW, -1)]
    assert [(p.field, p.code) for p in check_severity_weights(given)] == [
        ("input[2].severity", Code.DUPLICATE_SEVERITY),
        ("input[2].weight", Code.INVALID_WEIGHT),
        ("input[3].severity", Code.DUPLICATE_SEVERITY),
        ("input[3].weight", Code.INVALID_WEIGHT),
    ]
    assert check_severity_weights([(Severity.HIGH, 0), (Severity.LOW, 100)]) == []


def test_a_flood_of_entries_is_one_problem() -> None:
    given = [(Severity.HIGH, 5)] * 10_000
    assert [(p.field, p.code) for p in check_severity_weights(given)] == [
        ("input", Code.DUPLICATE_SEVERITY)
    ]


def test_a_change_keeps_what_it_does_not_name_and_drops_defaults() -> None:
    current = {**DEFAULT_SEVERITY_WEIGHTS, Severity.LOW: 0, Severity.HIGH: 15}
    assert changed_weights(current, [(Severity.HIGH, 10), (Severity.CRITICAL, 30)]) == {
        Severity.LOW: 0,
        Severity.CRITICAL: 30,
    }
    assert changed_weights(DEFAULT_SEVERITY_WEIGHTS, []) == {}


def test_a_weight_is_default_when_it_equals_the_documented_one() -> None:
    assert is_default(Severity.HIGH, 10)
    assert not is_default(Severity.HIGH, 15)
