"""Date and time functions: TODAY NOW TIMENOW DATE DATEVALUE DATETIMEVALUE TIMEVALUE YEAR MONTH
DAY WEEKDAY DAYOFYEAR ISOWEEK ISOYEAR ADDMONTHS HOUR MINUTE SECOND MILLISECOND UNIXTIMESTAMP
FROMUNIXTIME, and dealpulse's DAYS_SINCE DAYS_UNTIL BUSINESS_DAYS_BETWEEN.

Time zones. Datetimes are moments, kept in UTC. A date is taken in the evaluation's time zone
(`evaluate(..., tz=...)`, the org's TimeZoneSidKey; UTC by default) where Salesforce takes it in
the user's time zone, and in GMT where Salesforce documents GMT (Help, "Formula Operators and
Functions" and "Using Date, Date/Time, and Time Values in Formulas"):
- TODAY() is the date of `now` in the zone (Salesforce: the user's current day; a continuous
  rule has no user, the org's zone stands in). NOW() is the moment itself, in any zone.
- DATEVALUE(datetime) is the datetime's date in the zone ("dates and times are always
  calculated using the user's time zone, except in list views, reports, and related lists");
  DATEVALUE(text) reads the YYYY-MM-DD it starts with, no zone involved.
- GMT, whatever the zone: TIMENOW() ("a value in GMT representing the current time"),
  DATETIMEVALUE(date or text) ("always calculated using GMT", a date gives 12:00 a.m. GMT),
  TIMEVALUE(datetime), TEXT(datetime) ("YYYY-MM-DD HH:MM:SSZ"), ADDMONTHS of a datetime (the
  GMT date moves, the time of day stays) and UNIXTIMESTAMP of a date (midnight GMT).
- YEAR MONTH DAY WEEKDAY DAYOFYEAR ISOWEEK ISOYEAR take dates only (as in Salesforce, a datetime
  goes through DATEVALUE first, so its date is the zone's); HOUR MINUTE SECOND MILLISECOND take
  times only.
A datetime whose date in the zone falls outside years 1-9999 is #Error!.

WEEKDAY: 1 = Sunday ... 7 = Saturday. ADDMONTHS keeps the day of the month, except that the
last day of a month maps to the last day of the target month, and a day the target month lacks
becomes its last day (ADDMONTHS(2024-01-31, 1) = 2024-02-29); the month count is truncated to
an integer. DATE() of an impossible date, a date outside years 1-9999, or text DATEVALUE cannot
read is #Error!. A blank argument gives a blank.

dealpulse functions (alerts speak in days relative to now):
- DAYS_SINCE(d): whole days from d (a date, or a datetime's date in the zone) to TODAY();
  negative for a future d. DAYS_SINCE(LastActivityDate) > 30.
- DAYS_UNTIL(d): whole days from TODAY() to d; negative once d is past. DAYS_UNTIL(CloseDate) < 0.
- BUSINESS_DAYS_BETWEEN(start, end): the Monday-to-Friday days in [start, end) (negative when
  end is before start). BUSINESS_DAYS_BETWEEN(DATEVALUE(CreatedDate), TODAY()) for ages in
  working days.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import Decimal

from rules.formula import ast
from rules.formula.fn_math import num
from rules.formula.runtime import Builder, Compiled, Env, strict
from rules.formula.values import (
    Fault,
    Value,
    parse_date,
    parse_datetime,
    parse_time,
    to_int,
)
from rules.time_zones import local_date

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _now(env: Env) -> datetime:
    if env.now is None:  # pragma: no cover - CompiledFormula.evaluate checks first
        raise Fault("the current time is unknown")
    return env.now


def _today(env: Env) -> date:
    if env.today is None:  # pragma: no cover - CompiledFormula.evaluate sets it with `now`
        raise Fault("the current date is unknown")
    return env.today


def _clock(kind: str) -> Builder:
    def build(_call: ast.Call, _args: Sequence[Compiled]) -> Compiled:
        if kind == "date":
            return _today
        if kind == "time":
            return lambda env: _now(env).time().replace(microsecond=0)
        return _now

    return build


def _date(year: Value, month: Value, day: Value) -> Value:
    try:
        return date(to_int(num(year), 1, 9999), to_int(num(month), 1, 12), to_int(num(day), 1, 31))
    except ValueError:
        raise Fault("DATE of an impossible date") from None


def as_date(value: Value, zone: tzinfo = UTC) -> date:
    """A date as it is; a datetime's date in `zone` (#Error! outside years 1-9999)."""
    if isinstance(value, datetime):
        try:
            return local_date(value, zone)
        except OverflowError:
            raise Fault("the date of a datetime is outside years 1-9999 in the time zone") from None
    if isinstance(value, date):
        return value
    raise Fault("a date was expected")  # pragma: no cover - the checker guarantees it


def zoned(fn: Callable[[Value, tzinfo], Value]) -> Builder:
    """A one-argument function that also reads the evaluation's time zone (blank in, blank out)."""

    def build(_call: ast.Call, args: Sequence[Compiled]) -> Compiled:
        (arg,) = args

        def run(env: Env) -> Value:
            value = arg(env)
            return None if value is None else fn(value, env.tz)

        return run

    return build


def _datevalue(value: Value, zone: tzinfo) -> Value:
    if isinstance(value, date):
        return as_date(value, zone)
    raw = str(value).strip()
    parsed = parse_date(raw[:10]) if len(raw) >= 10 else None
    if parsed is None or (len(raw) > 10 and parse_datetime(raw) is None):
        raise Fault(f"DATEVALUE cannot read {raw[:30]!r}")
    return parsed


def _datetimevalue(value: Value) -> Value:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    raw = str(value).strip()
    parsed = parse_datetime(raw) if len(raw) > 10 else None
    if parsed is None:
        day = parse_date(raw)
        if day is None:
            raise Fault(f"DATETIMEVALUE cannot read {raw[:30]!r}")
        return datetime(day.year, day.month, day.day, tzinfo=UTC)
    return parsed


def _timevalue(value: Value) -> Value:
    if isinstance(value, datetime):
        return value.astimezone(UTC).time().replace(tzinfo=None)
    if isinstance(value, time):
        return value
    parsed = parse_time(str(value))
    if parsed is None:
        raise Fault(f"TIMEVALUE cannot read {str(value)[:30]!r}")
    return parsed


def add_months(start: date, months: int) -> date:
    index = start.year * 12 + (start.month - 1) + months
    year, month = divmod(index, 12)
    if not 1 <= year <= 9999:
        raise Fault("ADDMONTHS beyond year 9999")
    last = calendar.monthrange(year, month + 1)[1]
    at_month_end = start.day == calendar.monthrange(start.year, start.month)[1]
    return date(year, month + 1, last if at_month_end else min(start.day, last))


def _addmonths(value: Value, months: Value) -> Value:
    count = to_int(num(months), -120_000, 120_000)
    if isinstance(value, datetime):
        moved = add_months(value.date(), count)
        return value.replace(year=moved.year, month=moved.month, day=moved.day)
    return add_months(as_date(value), count)


def _part(extract: str) -> Builder:
    def get(value: Value) -> Value:
        if isinstance(value, time):
            parts = {"HOUR": value.hour, "MINUTE": value.minute, "SECOND": value.second}
            return Decimal(parts.get(extract, value.microsecond // 1000))
        day = as_date(value)
        iso = day.isocalendar()
        parts = {
            "YEAR": day.year,
            "MONTH": day.month,
            "DAY": day.day,
            "WEEKDAY": day.isoweekday() % 7 + 1,
            "DAYOFYEAR": day.timetuple().tm_yday,
            "ISOWEEK": iso.week,
            "ISOYEAR": iso.year,
        }
        return Decimal(parts[extract])

    return strict(get)


def _unixtimestamp(value: Value) -> Value:
    if isinstance(value, datetime):
        return Decimal((value - EPOCH) // timedelta(seconds=1))
    return Decimal((as_date(value) - EPOCH.date()).days * 86_400)


def _fromunixtime(value: Value) -> Value:
    seconds = to_int(num(value), -62_135_596_800, 253_402_300_799)
    return EPOCH + timedelta(seconds=seconds)


def business_days_between(start: date, end: date) -> int:
    if end < start:
        return -business_days_between(end, start)
    weeks, extra = divmod((end - start).days, 7)
    count = weeks * 5
    first = start.weekday()  # Monday = 0
    count += sum(1 for offset in range(extra) if (first + offset) % 7 < 5)
    return count


def _relative(direction: int) -> Builder:
    def build(_call: ast.Call, args: Sequence[Compiled]) -> Compiled:
        (arg,) = args

        def run(env: Env) -> Value:
            value = arg(env)
            if value is None:
                return None
            return Decimal(direction * (_today(env) - as_date(value, env.tz)).days)

        return run

    return build


def _business_days(start: Value, end: Value) -> Value:
    return Decimal(business_days_between(as_date(start), as_date(end)))


PARTS: tuple[str, ...] = ("YEAR", "MONTH", "DAY", "WEEKDAY", "DAYOFYEAR", "ISOWEEK", "ISOYEAR")
PARTS += ("HOUR", "MINUTE", "SECOND", "MILLISECOND")

BUILDERS: dict[str, Builder] = {
    "TODAY": _clock("date"),
    "NOW": _clock("datetime"),
    "TIMENOW": _clock("time"),
    "DATE": strict(_date),
    "DATEVALUE": zoned(_datevalue),
    "DATETIMEVALUE": strict(_datetimevalue),
    "TIMEVALUE": strict(_timevalue),
    "ADDMONTHS": strict(_addmonths),
    "UNIXTIMESTAMP": strict(_unixtimestamp),
    "FROMUNIXTIME": strict(_fromunixtime),
    "DAYS_SINCE": _relative(1),
    "DAYS_UNTIL": _relative(-1),
    "BUSINESS_DAYS_BETWEEN": strict(_business_days),
    **{name: _part(name) for name in PARTS},
}
