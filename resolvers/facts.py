"""Derived facts as the API shows them: the stored time-independent facts plus the day counts
rules.facts computes from them at read time (so they never go stale between syncs), in calendar
days of the org's time zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal

from rules.facts import age_in_days, days_in_stage, days_since_last_activity
from store.models import DerivedFacts, Opportunity


@dataclass(frozen=True)
class FactsView:
    stage_entered_at: datetime | None
    days_in_stage: int | None
    stage_number: int | None
    close_date_push_count: int | None
    amount_change_since_creation: Decimal | None
    days_since_last_activity: int | None
    next_meeting_date: date | None
    age_in_days: int | None


def facts_view(
    opportunity: Opportunity, stored: DerivedFacts | None, now: datetime, *, tz: tzinfo = UTC
) -> FactsView:
    age = age_in_days(opportunity.created_date, now, tz=tz)
    if stored is None:
        return FactsView(None, None, None, None, None, None, None, age)
    return FactsView(
        stage_entered_at=stored.stage_entered_at,
        days_in_stage=days_in_stage(stored.stage_entered_at, now, tz=tz),
        stage_number=stored.stage_number,
        close_date_push_count=stored.close_date_push_count,
        amount_change_since_creation=stored.amount_change_since_creation,
        days_since_last_activity=days_since_last_activity(stored.last_activity_date, now, tz=tz),
        next_meeting_date=stored.next_meeting_date,
        age_in_days=age,
    )
