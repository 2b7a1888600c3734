"""The to-do priority score and its reasons (rules.todo)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from rules.process import Severity
from rules.todo import priority

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
TODAY = NOW.date()


def _score(**given: object) -> tuple[int, tuple[str, ...]]:
    values: dict[str, object] = {
        "severities": [Severity.HIGH],
        "amount": None,
        "close_date": None,
        "oldest_opened_at": None,
        "today": TODAY,
        "now": NOW,
        "weights": {},
    }
    values.update(given)
    found = priority(**values)  # type: ignore[arg-type]
    return found.score, found.reasons


def test_every_part_adds_points_and_says_so() -> None:
    score, reasons = _score(
        severities=[Severity.HIGH, Severity.HIGH, Severity.CRITICAL],
        amount=Decimal("120000.00"),
        close_date=TODAY + timedelta(days=3),
        oldest_opened_at=NOW - timedelta(days=12),
    )
    # 10 + 10 + 20, amount 12, close 15 - 1, age 4
    assert score == 40 + 12 + 14 + 4
    assert reasons == (
        "1 CRITICAL alert",
        "2 HIGH alerts",
        "amount 120,000.00",
        "closes in 3 days",
        "open for 12 days",
    )


def test_the_org_weights_replace_the_defaults() -> None:
    assert _score(weights={Severity.HIGH: 1})[0] == 1
    assert _score()[0] == 10


@pytest.mark.parametrize(
    ("close_date", "points", "reason"),
    [
        (date(2026, 2, 20), 15, "close date passed 9 days ago"),
        (TODAY, 15, "closes today"),
        (date(2026, 3, 2), 15, "closes in 1 day"),
        (date(2026, 3, 29), 1, "closes in 28 days"),
        (date(2026, 3, 31), 0, None),
    ],
)
def test_a_nearer_close_date_ranks_higher(
    close_date: date, points: int, reason: str | None
) -> None:
    score, reasons = _score(close_date=close_date)
    assert score == 10 + points
    assert (reason in reasons) if reason else len(reasons) == 1


def test_amount_and_age_are_capped_and_silent_when_small() -> None:
    assert _score(amount=Decimal("9999.99"))[1] == ("1 HIGH alert",)
    assert _score(amount=Decimal("5000000"))[0] == 10 + 20
    assert _score(oldest_opened_at=NOW - timedelta(days=300))[0] == 10 + 10
    assert _score(oldest_opened_at=NOW - timedelta(days=2))[1] == ("1 HIGH alert",)
