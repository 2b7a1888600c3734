"""What a rule can name: the org's Opportunity fields (from its describe) plus dealpulse's
derived facts, as a field catalog for `rules.formula.compile_formula`, and the facts' values for
one opportunity at a moment (the read-time day counts computed from the stored dates).

Fact names are CamelCase without `__c`, so they can never collide with a custom field.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal
from typing import Any

from rules.facts import age_in_days, days_in_stage, days_since_last_activity
from rules.formula.types import field_type

FACT_FIELDS: dict[str, str] = {
    "DaysInStage": "number",
    "StageNumber": "number",
    "StageEnteredAt": "datetime",
    "CloseDatePushCount": "number",
    "AmountChangeSinceCreation": "currency",
    "DaysSinceLastActivity": "number",
    "NextMeetingDate": "date",
    "AgeInDays": "number",
}


def rule_catalog(describe: Mapping[str, Any]) -> dict[str, str]:
    """Field name -> Salesforce type for every describe field a formula can use, plus the facts.
    Fields of types formulas cannot read (address, base64, ...) are left out."""
    catalog = {
        str(f["name"]): str(f["type"])
        for f in describe.get("fields", ())
        if field_type(str(f.get("type"))) is not None
    }
    return {**catalog, **FACT_FIELDS}


def fact_values(
    *,
    stage_entered_at: datetime | None,
    stage_number: int | None,
    close_date_push_count: int,
    amount_change_since_creation: Decimal | None,
    last_activity_date: date | None,
    next_meeting_date: date | None,
    created_date: datetime | None,
    now: datetime,
    tz: tzinfo = UTC,
) -> dict[str, Any]:
    """The facts of one opportunity as record values (keys of FACT_FIELDS) at `now`, the day
    counts in calendar days of `tz` (the org's time zone)."""
    return {
        "DaysInStage": days_in_stage(stage_entered_at, now, tz=tz),
        "StageNumber": stage_number,
        "StageEnteredAt": stage_entered_at,
        "CloseDatePushCount": close_date_push_count,
        "AmountChangeSinceCreation": amount_change_since_creation,
        "DaysSinceLastActivity": days_since_last_activity(last_activity_date, now, tz=tz),
        "NextMeetingDate": next_meeting_date,
        "AgeInDays": age_in_days(created_date, now, tz=tz),
    }
