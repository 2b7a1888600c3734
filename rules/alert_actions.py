"""What a person may do to an alert besides fixing it, and the checks on what they send.

- Snooze: an OPEN (or already SNOOZED: the new moment replaces the old) alert until a moment
  with an offset, in the future and at most MAX_SNOOZE ahead, with a reason. It keeps counting
  against health (a snooze defers, it does not excuse) and leaves the to-do list; evaluation
  re-opens it once the moment has passed if its condition still holds.
- Unsnooze: a SNOOZED alert back to OPEN at once.
- Dismiss: an OPEN or SNOOZED INFORMATIVE alert, with a reason; it stops counting against
  health. A FIX_REQUIRED alert cannot be dismissed: only fixed or snoozed.

One error-code enum per mutation (DESIGN.md, mutations); the codes of a refusal of the alert
itself (NOT_FOUND, INVALID_ID, FORBIDDEN) are common to the three.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import Enum

MAX_SNOOZE = timedelta(days=90)
MAX_REASON = 1_000


class SnoozeAlertErrorCode(Enum):
    FORBIDDEN = "forbidden"
    INSUFFICIENT_SCOPE = "insufficient_scope"  # the token lacks the scope (extensions name it)
    INVALID_ID = "invalid_id"
    NOT_FOUND = "not_found"
    INVALID_UNTIL = "invalid_until"
    REASON_REQUIRED = "reason_required"
    TOO_LONG = "too_long"
    NOT_SNOOZABLE = "not_snoozable"  # neither OPEN nor SNOOZED (resolved, dismissed, pending)


class UnsnoozeAlertErrorCode(Enum):
    FORBIDDEN = "forbidden"
    INSUFFICIENT_SCOPE = "insufficient_scope"  # the token lacks the scope (extensions name it)
    INVALID_ID = "invalid_id"
    NOT_FOUND = "not_found"
    NOT_SNOOZED = "not_snoozed"


class DismissAlertErrorCode(Enum):
    FORBIDDEN = "forbidden"
    INSUFFICIENT_SCOPE = "insufficient_scope"  # the token lacks the scope (extensions name it)
    INVALID_ID = "invalid_id"
    NOT_FOUND = "not_found"
    REASON_REQUIRED = "reason_required"
    TOO_LONG = "too_long"
    NOT_DISMISSABLE = "not_dismissable"  # a fix-alert, or one neither OPEN nor SNOOZED


def until_problem(until: datetime, now: datetime) -> str | None:
    """Why `until` is no snooze moment (None: it is one). `now` is aware."""
    if until.tzinfo is None or until.utcoffset() is None:
        return "give the moment with its offset (2026-12-24T09:00:00+01:00, or Z for UTC)"
    if until <= now:
        return "the moment must be in the future"
    if until - now > MAX_SNOOZE:
        return f"at most {MAX_SNOOZE.days} days ahead"
    return None


def reason_problem(reason: str) -> tuple[str, str] | None:
    """(code name, message) when `reason` is no reason: blank, or longer than MAX_REASON."""
    if not reason.strip():
        return "REASON_REQUIRED", "say why"
    if len(reason) > MAX_REASON:
        return "TOO_LONG", f"at most {MAX_REASON} characters"
    return None
