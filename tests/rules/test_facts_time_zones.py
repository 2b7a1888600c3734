"""Date facts in the org's time zone: calendar days counted there, an Event's date taken there,
on both sides of local midnight (Los Angeles, UTC-7 in summer) and across daylight saving."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from rules.fact_registry import Moment, StoredInputs, fact_values, stored_values
from rules.facts import (
    ActivityEntry,
    OpportunitySnapshot,
    age_in_days,
    days_in_stage,
    days_since_last_activity,
    last_activity_date,
    next_meeting_date,
)
from rules.time_zones import org_time_zone

LA = ZoneInfo("America/Los_Angeles")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def test_days_in_stage_counts_midnights_passed_in_the_zone() -> None:
    entered = utc("2026-06-15T23:00:00-07:00")  # 06:00 UTC on the 16th
    one_am = utc("2026-06-16T01:00:00-07:00")  # 08:00 UTC on the 16th
    assert days_in_stage(entered, one_am, tz=LA) == 1  # a local midnight passed
    assert days_in_stage(entered, one_am) == 0  # default UTC: the same UTC date
    afternoon = utc("2026-06-15T16:30:00-07:00")  # 23:30 UTC
    evening = utc("2026-06-15T17:30:00-07:00")  # 00:30 UTC on the 16th
    assert days_in_stage(afternoon, evening, tz=LA) == 0
    assert days_in_stage(afternoon, evening) == 1  # UTC midnight passed
    assert days_in_stage(evening, afternoon, tz=LA) == 0  # never negative
    assert days_in_stage(None, evening, tz=LA) is None


def test_calendar_days_across_the_spring_forward() -> None:
    entered = utc("2026-03-07T12:00:00-08:00")
    now = utc("2026-03-09T00:30:00-07:00")  # 35.5 hours later: two local midnights
    assert days_in_stage(entered, now, tz=LA) == 2
    assert age_in_days(entered, now, tz=LA) == 2


def test_days_since_last_activity_counts_from_today_in_the_zone() -> None:
    late_evening = utc("2026-06-15T23:30:00-07:00")  # 06:30 UTC on the 16th
    assert days_since_last_activity(date(2026, 6, 15), late_evening, tz=LA) == 0
    assert days_since_last_activity(date(2026, 6, 15), late_evening) == 1
    just_after_midnight = utc("2026-06-16T00:30:00-07:00")
    assert days_since_last_activity(date(2026, 6, 15), just_after_midnight, tz=LA) == 1
    assert days_since_last_activity(None, late_evening, tz=LA) is None


def test_age_in_days_in_the_zone() -> None:
    created = utc("2026-06-01T20:00:00-07:00")  # 03:00 UTC on June 2nd
    now = utc("2026-06-15T23:30:00-07:00")  # 06:30 UTC on the 16th
    assert age_in_days(created, now, tz=LA) == 14
    assert age_in_days(created, now) == 14
    assert age_in_days(created, utc("2026-06-16T00:30:00-07:00"), tz=LA) == 15
    assert age_in_days(None, now, tz=LA) is None


def test_an_events_date_is_its_local_date() -> None:
    opp = OpportunitySnapshot(id="006A", stage_name="Prospecting")
    evening_call = ActivityEntry("Event", start=utc("2026-06-15T23:30:00-07:00"))
    later = utc("2026-06-20T12:00:00-07:00")
    assert last_activity_date(opp, [evening_call], later, tz=LA) == date(2026, 6, 15)
    assert last_activity_date(opp, [evening_call], later) == date(2026, 6, 16)
    meeting = ActivityEntry("Event", start=utc("2026-06-22T18:00:00-07:00"))  # 01:00 UTC, 23rd
    assert next_meeting_date(opp, [meeting], later, tz=LA) == date(2026, 6, 22)
    assert next_meeting_date(opp, [meeting], later) == date(2026, 6, 23)


def test_an_all_day_event_happens_from_its_local_day_on() -> None:
    opp = OpportunitySnapshot(id="006A", stage_name="Prospecting")
    all_day = ActivityEntry("Event", activity_date=date(2026, 6, 16))
    late_evening = utc("2026-06-15T23:30:00-07:00")  # already the 16th in UTC
    assert next_meeting_date(opp, [all_day], late_evening, tz=LA) == date(2026, 6, 16)
    assert last_activity_date(opp, [all_day], late_evening, tz=LA) is None
    assert last_activity_date(opp, [all_day], late_evening) == date(2026, 6, 16)
    assert next_meeting_date(opp, [all_day], late_evening) is None
    morning = utc("2026-06-16T08:00:00-07:00")
    assert last_activity_date(opp, [all_day], morning, tz=LA) == date(2026, 6, 16)


def test_stored_and_read_time_facts_take_the_zone() -> None:
    opp = OpportunitySnapshot(id="006A", stage_name="Prospecting")
    call = ActivityEntry("Event", start=utc("2026-06-15T23:30:00-07:00"))
    now = utc("2026-06-16T00:30:00-07:00")
    facts = stored_values(StoredInputs(opp, [], [], [call], [], Moment(now, LA)))
    assert facts["last_activity_date"] == date(2026, 6, 15)
    values = fact_values(
        {**facts, "stage_entered_at": utc("2026-06-15T23:00:00-07:00")},
        created_date=utc("2026-06-14T23:00:00-07:00"), moment=Moment(now, LA),
    )  # fmt: skip
    assert (values["DaysInStage"], values["DaysSinceLastActivity"], values["AgeInDays"]) == (
        1,
        1,
        2,
    )


def test_an_orgs_zone_is_utc_until_it_is_known() -> None:
    assert org_time_zone("America/Los_Angeles") == LA
    assert org_time_zone(None) is UTC
    assert org_time_zone("Not/AZone") is UTC  # a key this machine's zone data lacks
    assert org_time_zone("") is UTC
