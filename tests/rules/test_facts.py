"""Derived facts from hand-built histories: each definition and its edge cases."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from rules.fact_registry import Moment, StoredInputs, stored_values
from rules.facts import (
    ActivityEntry,
    FieldChange,
    HistoryEntry,
    OpportunitySnapshot,
    StageInfo,
    age_in_days,
    amount_change_since_creation,
    close_date_push_count,
    days_in_stage,
    days_since_last_activity,
    last_activity_date,
    next_meeting_date,
    parse_date,
    parse_datetime,
    stage_entered_at,
    stage_number,
)

NOW = datetime(2025, 6, 15, 12, 0, tzinfo=UTC)
STAGES = [
    StageInfo("Prospecting", 1), StageInfo("Qualification", 2),
    StageInfo("Retired Stage", 3, is_active=False), StageInfo("Proposal/Price Quote", 4),
    StageInfo("Closed Won", 5, is_closed=True), StageInfo("Closed Lost", 6, is_closed=True),
]  # fmt: skip


def day(n: int) -> datetime:
    return datetime(2025, 1, 1, 9, 0, tzinfo=UTC) + timedelta(days=n)


def opp(stage: str = "Qualification", **kw: object) -> OpportunitySnapshot:
    return OpportunitySnapshot(id="006A", stage_name=stage, created_date=day(0), **kw)  # type: ignore[arg-type]


def hist(n: int, stage: str | None, amount: Decimal | None = None, close: date | None = None):  # type: ignore[no-untyped-def]
    return HistoryEntry(f"008{n:03d}", day(n), stage, amount, close)


def change(n: int, old: str | None, new: str | None, field: str = "CloseDate") -> FieldChange:
    return FieldChange(f"017{n:03d}", day(n), field, old, new)


def test_stage_entered_at_is_the_start_of_the_latest_run() -> None:
    history = [hist(0, "Prospecting"), hist(3, "Qualification"), hist(5, "Qualification", 10)]
    assert stage_entered_at(opp(), history) == day(3)
    # Rows out of order are sorted by CreatedDate first.
    assert stage_entered_at(opp(), list(reversed(history))) == day(3)


def test_stage_entered_at_of_a_reopened_deal_counts_from_its_return() -> None:
    history = [
        hist(0, "Proposal/Price Quote"), hist(4, "Closed Lost"), hist(9, "Proposal/Price Quote"),
        hist(11, "Proposal/Price Quote", 500),
    ]  # fmt: skip
    assert stage_entered_at(opp("Proposal/Price Quote"), history) == day(9)


def test_stage_entered_at_falls_back_to_stage_change_then_creation() -> None:
    assert stage_entered_at(opp(last_stage_change_date=day(7)), [hist(0, "Prospecting")]) == day(7)
    assert stage_entered_at(opp(), []) == day(0)
    assert stage_entered_at(OpportunitySnapshot(id="006B", stage_name="X"), []) is None


def test_stage_number_ranks_active_open_stages() -> None:
    assert stage_number("Prospecting", STAGES) == 1
    assert stage_number("Proposal/Price Quote", STAGES) == 3  # the inactive stage is skipped
    assert stage_number("Closed Won", STAGES) is None
    assert stage_number("Unknown", STAGES) is None
    assert stage_number("Prospecting", []) is None


def test_close_date_push_count_counts_later_dates_only() -> None:
    changes = [
        change(1, "2025-02-01", "2025-03-01"),  # push
        change(2, "2025-03-01", "2025-02-15"),  # pulled in
        change(3, None, "2025-04-01"),  # blank side: ignored
        change(4, "2025-02-15", "2025-05-01"),  # push
        change(5, "2025-05-01", "2025-05-01"),  # unchanged
        change(6, "1", "2", field="Amount"),  # another field
        change(7, "garbage", "2025-09-01"),
    ]
    assert close_date_push_count(changes) == 2
    assert close_date_push_count([]) == 0


def test_close_date_push_count_falls_back_to_opportunity_history() -> None:
    history = [
        hist(0, "Prospecting", close=date(2025, 2, 1)),
        hist(1, "Prospecting", close=date(2025, 3, 1)),
        hist(2, "Qualification", close=None),
        hist(3, "Qualification", close=date(2025, 2, 20)),
        hist(4, "Qualification", close=date(2025, 4, 1)),
    ]
    assert close_date_push_count([], history) == 2
    assert close_date_push_count([change(9, "2025-01-01", "2025-01-02")], history) == 1


def test_amount_change_since_creation() -> None:
    history = [hist(0, "Prospecting", Decimal("1000.00")), hist(2, "Qualification", Decimal(1500))]
    assert amount_change_since_creation(opp(amount=Decimal("1750.00")), history) == Decimal(750)
    assert amount_change_since_creation(opp(amount=None), history) is None
    ten = Decimal("10.00")
    assert amount_change_since_creation(opp(amount=ten), [hist(0, "Prospecting", None)]) is None
    assert amount_change_since_creation(opp(amount=ten), []) is None


def test_amount_change_since_creation_is_exact() -> None:
    # As floats, 0.3 - 0.1 is 0.19999999999999998 and these two amounts are the same double.
    history = [hist(0, "Prospecting", Decimal("0.10"))]
    change = amount_change_since_creation(opp(amount=Decimal("0.30")), history)
    assert (change, str(change)) == (Decimal("0.2"), "0.20")
    first, later = Decimal("1234567890123456.78"), Decimal("1234567890123456.79")
    assert float(first) == float(later)
    assert amount_change_since_creation(opp(amount=later), [hist(0, "X", first)]) == Decimal("0.01")
    largest = Decimal("9999999999999999.99")
    assert amount_change_since_creation(opp(amount=largest), [hist(0, "X", -largest)]) == (
        Decimal("19999999999999999.98")
    )


def test_last_activity_date() -> None:
    activities = [
        ActivityEntry("Task", date(2025, 6, 1), is_closed=True),
        ActivityEntry("Task", date(2025, 6, 10), is_closed=False),  # open: not done yet
        ActivityEntry("Event", start=datetime(2025, 6, 12, 15, 0, tzinfo=UTC)),
        ActivityEntry("Event", start=datetime(2025, 6, 20, 15, 0, tzinfo=UTC)),  # future
    ]
    assert last_activity_date(opp(), activities, NOW) == date(2025, 6, 12)
    assert last_activity_date(opp(last_activity_date=date(2025, 6, 13)), activities, NOW) == (
        date(2025, 6, 13)
    )
    assert last_activity_date(opp(), [], NOW) is None
    all_day = [ActivityEntry("Event", activity_date=date(2025, 6, 14))]
    assert last_activity_date(opp(), all_day, NOW) == date(2025, 6, 14)


def test_next_meeting_date() -> None:
    events = [
        ActivityEntry("Event", start=datetime(2025, 6, 25, 9, 0, tzinfo=UTC)),
        ActivityEntry("Event", start=datetime(2025, 6, 18, 9, 0, tzinfo=UTC)),
        ActivityEntry("Event", start=datetime(2025, 6, 1, 9, 0, tzinfo=UTC)),  # past
        ActivityEntry("Task", date(2025, 6, 16)),  # a task is no meeting
    ]
    assert next_meeting_date(opp(), events, NOW) == date(2025, 6, 18)
    # Next_Meeting_Date__c wins when earlier, even in the past (alerts look for that).
    assert next_meeting_date(opp(next_meeting_date=date(2025, 6, 2)), events, NOW) == date(
        2025, 6, 2
    )
    assert next_meeting_date(opp(next_meeting_date=date(2025, 7, 1)), events, NOW) == date(
        2025, 6, 18
    )
    assert next_meeting_date(opp(next_meeting_date=date(2025, 7, 1)), [], NOW) == date(2025, 7, 1)
    assert next_meeting_date(opp(), [], NOW) is None


def test_compute_facts_of_a_closed_deal() -> None:
    history = [
        hist(0, "Prospecting", Decimal("100.00"), date(2025, 2, 1)),
        hist(20, "Closed Won", Decimal("90.00")),
    ]
    facts = stored_values(StoredInputs(
        opp("Closed Won", amount=Decimal("90.00")), history,
        [change(20, "2025-02-01", "2025-01-21")], [], STAGES, Moment(NOW),
    ))  # fmt: skip
    assert facts["stage_number"] is None
    assert facts["stage_entered_at"] == day(20)
    assert facts["close_date_push_count"] == 0
    assert facts["amount_change_since_creation"] == Decimal("-10.00")
    assert (facts["last_activity_date"], facts["next_meeting_date"]) == (None, None)


def test_read_time_helpers() -> None:
    assert days_in_stage(NOW - timedelta(days=3, hours=5), NOW) == 3
    assert days_in_stage(NOW + timedelta(hours=1), NOW) == 0
    assert days_in_stage(None, NOW) is None
    assert days_since_last_activity(date(2025, 6, 1), NOW) == 14
    assert days_since_last_activity(None, NOW) is None
    assert age_in_days(day(0), NOW) == 165
    assert age_in_days(None, NOW) is None


def test_parsing_salesforce_values() -> None:
    assert parse_datetime("2025-06-15T10:00:00.000+0000") == datetime(2025, 6, 15, 10, tzinfo=UTC)
    assert parse_datetime("2025-06-15T12:00:00.000+0200") == datetime(2025, 6, 15, 10, tzinfo=UTC)
    assert parse_datetime("nope") is None
    assert parse_datetime(None) is None
    assert parse_date("2025-06-15") == date(2025, 6, 15)
    assert parse_date(datetime(2025, 6, 15, 1, tzinfo=UTC)) == date(2025, 6, 15)
    assert parse_date("2025-13-40") is None
    assert parse_date(7) is None
