"""Derived facts of an opportunity: pure functions over plain values (no I/O, no clock).

Which facts exist, which are stored (refreshed after each sync by `services.refresh`)
and which are computed at read time is `rules.fact_registry`; these are their computations.

Stored facts:

stage_entered_at
    When the opportunity entered its current stage. OpportunityHistory rows are ordered by
    CreatedDate (then Id); the *latest run* is the last maximal block of consecutive rows whose
    StageName equals the current StageName; the answer is the CreatedDate of that run's first
    row. So amount/close-date edits inside a stage do not reset it, and a deal that left the
    stage and came back (reopened: Proposal -> Closed Lost -> Proposal) counts from its return.
    With no history row in the current stage: LastStageChangeDate, else CreatedDate, else None.
stage_number
    The 1-based rank of the current stage by SortOrder among the stages that are active and
    open (not closed). None for a closed stage, or a stage missing from the list.
close_date_push_count
    How many times CloseDate moved to a later date: OpportunityFieldHistory rows with Field =
    'CloseDate' whose NewValue is a later date than OldValue (rows with a blank or unparseable
    side are ignored). A reopened deal's new, later close date counts as a push. When there is no
    CloseDate field history at all (tracking off), consecutive OpportunityHistory rows whose
    CloseDate increased are counted instead.
amount_change_since_creation
    Current Amount minus the Amount of the earliest OpportunityHistory row (the state at
    creation), exactly (Decimals). None when either is blank, or there is no history.
last_activity_date
    The latest of: the due date (ActivityDate) of a completed Task; the date of an Event that
    started at or before `now`; the opportunity's LastActivityDate. None if none of these.
next_meeting_date
    The earliest of: the start date of an Event starting after `now`; Next_Meeting_Date__c
    (even when that date is past: a stale next-meeting date is exactly what alerts look for).
    None if neither.

`last_activity_date` and `next_meeting_date` depend on `now` (a meeting moves from "next" to
"last" when it happens); recomputing facts on a clock tick keeps them right between syncs.

Time zone (`tz`, the org's TimeZoneSidKey; UTC by default). Moments (CreatedDate, history rows,
an Event's StartDateTime) are UTC; every *date* a fact gives or counts is a calendar date in
`tz`, so a meeting at 17:00 on a Monday in Los Angeles is Monday's, not Tuesday's (its UTC date).
- An Event with a StartDateTime has the date of that moment in `tz` and has happened once the
  moment is past. An all-day Event (ActivityDate only) and a Task have their date as written,
  and an all-day Event has happened from that day on (its date is on or before today in `tz`).
- Salesforce's own date fields (ActivityDate, LastActivityDate, Next_Meeting_Date__c) are
  dates already and are never shifted.

Read-time helpers (never stored, they change every day): `days_in_stage`,
`days_since_last_activity`, `age_in_days` take the stored dates, `now` and `tz`, and count
calendar days in `tz`: midnights passed there, not 24-hour periods (a deal that entered its stage
at 23:00 local time is one day in stage at 01:00 the next morning).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal

from rules.time_zones import local_date

CLOSE_DATE = "CloseDate"


@dataclass(frozen=True)
class OpportunitySnapshot:
    id: str
    stage_name: str
    amount: Decimal | None = None
    close_date: date | None = None
    created_date: datetime | None = None
    last_stage_change_date: datetime | None = None
    last_activity_date: date | None = None
    next_meeting_date: date | None = None  # Next_Meeting_Date__c


@dataclass(frozen=True)
class HistoryEntry:
    """One OpportunityHistory row."""

    id: str
    created_date: datetime
    stage_name: str | None = None
    amount: Decimal | None = None
    close_date: date | None = None


@dataclass(frozen=True)
class FieldChange:
    """One OpportunityFieldHistory row (values as Salesforce returns them: text or None)."""

    id: str
    created_date: datetime
    field: str
    old_value: str | None
    new_value: str | None


@dataclass(frozen=True)
class ActivityEntry:
    kind: str  # "Task" | "Event"
    activity_date: date | None = None
    start: datetime | None = None
    is_closed: bool = False


@dataclass(frozen=True)
class StageInfo:
    api_name: str
    sort_order: int
    is_active: bool = True
    is_closed: bool = False


# -- value parsing (pure) ---------------------------------------------------------------------
def parse_date(value: object) -> date | None:
    """A date from a date, datetime or ISO text ("2024-05-01", "2024-05-01T..."); else None."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and len(value) >= 10:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def parse_datetime(value: object) -> datetime | None:
    """An aware UTC datetime from a datetime or Salesforce text ("...T10:00:00.000+0000")."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, str) and value:
        text = value.replace("Z", "+00:00")
        if len(text) >= 5 and text[-5] in "+-" and text[-3] != ":":
            text = text[:-2] + ":" + text[-2:]
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            return None
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)
    return None


# -- the facts --------------------------------------------------------------------------------
def _ordered(history: Iterable[HistoryEntry]) -> list[HistoryEntry]:
    return sorted(history, key=lambda h: (h.created_date, h.id))


def stage_entered_at(
    opportunity: OpportunitySnapshot, history: Sequence[HistoryEntry]
) -> datetime | None:
    rows = _ordered(history)
    entered: datetime | None = None
    for index in range(len(rows) - 1, -1, -1):
        if rows[index].stage_name == opportunity.stage_name:
            entered = rows[index].created_date
        elif entered is not None:
            break
    return entered or opportunity.last_stage_change_date or opportunity.created_date


def stage_number(stage_name: str, stages: Sequence[StageInfo]) -> int | None:
    open_stages = sorted(
        (s for s in stages if s.is_active and not s.is_closed), key=lambda s: s.sort_order
    )
    for rank, stage in enumerate(open_stages, start=1):
        if stage.api_name == stage_name:
            return rank
    return None


def close_date_push_count(
    changes: Sequence[FieldChange], history: Sequence[HistoryEntry] = ()
) -> int:
    close_changes = [c for c in changes if c.field == CLOSE_DATE]
    if close_changes:
        count = 0
        for change in close_changes:
            old, new = parse_date(change.old_value), parse_date(change.new_value)
            if old is not None and new is not None and new > old:
                count += 1
        return count
    dates = [h.close_date for h in _ordered(history) if h.close_date is not None]
    return sum(1 for before, after in itertools.pairwise(dates) if after > before)


def amount_change_since_creation(
    opportunity: OpportunitySnapshot, history: Sequence[HistoryEntry]
) -> Decimal | None:
    rows = _ordered(history)
    if not rows or opportunity.amount is None or rows[0].amount is None:
        return None
    return opportunity.amount - rows[0].amount


def _date_in(moment: datetime, tz: tzinfo) -> date:
    """The date of `moment` in `tz` (its UTC date in the years-1-or-9999 corner where the
    local date does not exist)."""
    try:
        return local_date(moment, tz)
    except OverflowError:
        return moment.astimezone(UTC).date()


def _event(activity: ActivityEntry, now: datetime, tz: tzinfo) -> tuple[date, bool] | None:
    """An Event's date in `tz` and whether it has happened at `now` (None without a date)."""
    if activity.start is not None:
        return _date_in(activity.start, tz), activity.start <= now
    if activity.activity_date is not None:  # an all-day event
        return activity.activity_date, activity.activity_date <= _date_in(now, tz)
    return None


def last_activity_date(
    opportunity: OpportunitySnapshot,
    activities: Sequence[ActivityEntry],
    now: datetime,
    *,
    tz: tzinfo = UTC,
) -> date | None:
    candidates: list[date] = []
    for activity in activities:
        if activity.kind == "Task":
            if activity.is_closed and activity.activity_date is not None:
                candidates.append(activity.activity_date)
        elif activity.kind == "Event":
            event = _event(activity, now, tz)
            if event is not None and event[1]:
                candidates.append(event[0])
    if opportunity.last_activity_date is not None:
        candidates.append(opportunity.last_activity_date)
    return max(candidates, default=None)


def next_meeting_date(
    opportunity: OpportunitySnapshot,
    activities: Sequence[ActivityEntry],
    now: datetime,
    *,
    tz: tzinfo = UTC,
) -> date | None:
    candidates: list[date] = []
    for activity in activities:
        if activity.kind != "Event":
            continue
        event = _event(activity, now, tz)
        if event is not None and not event[1]:
            candidates.append(event[0])
    if opportunity.next_meeting_date is not None:
        candidates.append(opportunity.next_meeting_date)
    return min(candidates, default=None)


# -- read-time helpers ------------------------------------------------------------------------
def _calendar_days(since: datetime, now: datetime, tz: tzinfo) -> int:
    return max(0, (_date_in(now, tz) - _date_in(since, tz)).days)


def days_in_stage(stage_entered: datetime | None, now: datetime, *, tz: tzinfo = UTC) -> int | None:
    """Calendar days in `tz` since the stage was entered (0 on the day itself); None if
    unknown."""
    if stage_entered is None:
        return None
    return _calendar_days(stage_entered, now, tz)


def days_since_last_activity(
    last_activity: date | None, now: datetime, *, tz: tzinfo = UTC
) -> int | None:
    """Calendar days from the last activity's date to today in `tz`; None if never."""
    if last_activity is None:
        return None
    return (_date_in(now, tz) - last_activity).days


def age_in_days(created: datetime | None, now: datetime, *, tz: tzinfo = UTC) -> int | None:
    """Calendar days in `tz` since the opportunity was created; None if unknown."""
    if created is None:
        return None
    return _calendar_days(created, now, tz)
