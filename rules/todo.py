"""The to-do list's priority: a documented score per item (an opportunity with open
fix-alerts), with the sentences that say where it comes from.

score = severity + amount + close date + age, whole points:
- severity: the sum of the item's open fix-alerts' severity weights (the org's, as health
  uses them; defaults LOW 2, MEDIUM 5, HIGH 10, CRITICAL 20);
- amount: 1 point per full 10,000 of amount, at most 20;
- close date (counted in the org's time zone): 15 when it has passed or is today, then one
  point less per 2 days away, 0 from 30 days on;
- age: 1 point per full 3 days the oldest of its alerts has been open, at most 10.
The list is ordered by score, highest first, then by opportunity id. `reasons` names each part
that gave points ("2 HIGH alerts", "closes in 3 days", "amount 120,000.00", "open for 12 days").
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from rules.process import DEFAULT_SEVERITY_WEIGHTS, Severity

AMOUNT_STEP = Decimal(10_000)
MAX_AMOUNT_POINTS = 20
CLOSE_POINTS = 15
MAX_AGE_POINTS = 10
AGE_STEP_DAYS = 3


@dataclass(frozen=True)
class Priority:
    score: int
    reasons: tuple[str, ...]


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def severity_points(
    severities: Sequence[Severity], weights: Mapping[Severity, int]
) -> tuple[int, list[str]]:
    counts = Counter(severities)
    points = sum(weights.get(s, DEFAULT_SEVERITY_WEIGHTS[s]) * n for s, n in counts.items())
    # Most severe first: the sentence a rep reads first is the one that matters most.
    ordered = sorted(counts, key=list(Severity).index, reverse=True)
    return points, [_plural(counts[s], f"{s.name} alert") for s in ordered]


def amount_points(amount: Decimal | None) -> int:
    if amount is None or amount <= 0:
        return 0
    return min(MAX_AMOUNT_POINTS, int(amount // AMOUNT_STEP))


def close_points(close_date: date | None, today: date) -> tuple[int, str | None]:
    if close_date is None:
        return 0, None
    days = (close_date - today).days
    if days < 0:
        return CLOSE_POINTS, f"close date passed {_plural(-days, 'day')} ago"
    points = max(0, CLOSE_POINTS - days // 2)
    if points == 0:
        return 0, None
    return points, "closes today" if days == 0 else f"closes in {_plural(days, 'day')}"


def age_points(opened_at: datetime | None, now: datetime) -> tuple[int, str | None]:
    if opened_at is None:
        return 0, None
    days = max(0, (now - opened_at).days)
    points = min(MAX_AGE_POINTS, days // AGE_STEP_DAYS)
    return points, f"open for {_plural(days, 'day')}" if points else None


def priority(
    *,
    severities: Sequence[Severity],
    amount: Decimal | None,
    close_date: date | None,
    oldest_opened_at: datetime | None,
    today: date,
    now: datetime,
    weights: Mapping[Severity, int],
) -> Priority:
    """The score of one item and its reasons; `today` is the org's date at `now`."""
    severity, reasons = severity_points(severities, weights)
    money = amount_points(amount)
    if money and amount is not None:
        reasons.append(f"amount {amount:,.2f}")
    closing, close_reason = close_points(close_date, today)
    aged, age_reason = age_points(oldest_opened_at, now)
    reasons += [reason for reason in (close_reason, age_reason) if reason]
    return Priority(score=severity + money + closing + aged, reasons=tuple(reasons))
