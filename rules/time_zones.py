"""Time zones by IANA name (Salesforce's TimeZoneSidKey values are IANA names:
"America/Los_Angeles", "Europe/London", "GMT"), and calendar dates of moments in a zone.

Dates a rule or a fact talks about ("today", "days in stage") are calendar dates in the org's
time zone; moments stay UTC everywhere else. Pure: the zone data comes from the standard
library's zoneinfo (the `tzdata` package where the system has none).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

# Longer than any IANA name (the longest is about 30 characters); refused before any file lookup.
MAX_NAME_LENGTH = 64

TimeZoneLike = str | tzinfo | None


class UnknownTimeZone(ValueError):
    """A name that is not an IANA time zone."""

    def __init__(self, name: str) -> None:
        shown = name if len(name) <= MAX_NAME_LENGTH else name[:MAX_NAME_LENGTH] + "..."
        super().__init__(
            f"unknown time zone {shown!r}: give an IANA name such as 'America/Los_Angeles'"
        )
        self.name = name


def time_zone(value: TimeZoneLike) -> tzinfo:
    """The zone `value` names: None is UTC, a tzinfo is itself, a text is an IANA name.
    UnknownTimeZone for any other text (never an OSError from the zone files)."""
    if value is None:
        return UTC
    if isinstance(value, tzinfo):
        return value
    if not isinstance(value, str) or not value or len(value) > MAX_NAME_LENGTH:
        raise UnknownTimeZone(str(value))
    try:
        return ZoneInfo(value)
    # ZoneInfoNotFoundError is a KeyError; a directory ("America") or a path outside the zone
    # database ("../x", "") raise OSError and ValueError.
    except (KeyError, ValueError, OSError):
        raise UnknownTimeZone(value) from None


def org_time_zone(name: str | None) -> tzinfo:
    """The zone of an org's TimeZoneSidKey as mirrored: UTC while it is unknown (not synced yet,
    or a key this machine's zone database lacks), so reads never fail on it."""
    try:
        return time_zone(name)
    except UnknownTimeZone:
        return UTC


def local_date(moment: datetime, zone: tzinfo) -> date:
    """The calendar date of `moment` (aware; naive means UTC) in `zone`. OverflowError when that
    date falls outside years 1-9999."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(zone).date()


def seconds_until_midnight(moment: datetime, zone: tzinfo) -> float:
    """Seconds from `moment` (aware) to the next midnight in `zone`: when "today" changes
    there (a day may be 23 or 25 hours long around a clock change)."""
    local = moment.astimezone(zone)
    midnight = datetime.combine(local.date() + timedelta(days=1), time(), tzinfo=zone)
    return (midnight.astimezone(UTC) - moment.astimezone(UTC)).total_seconds()
