"""Runtime values: what record values become inside a formula, and what results become.

Inside the evaluator a value of formula type ... is ...:
checkbox -> bool (None: unknown, e.g. a comparison with a blank; never fires an alert);
number, currency, percent -> Decimal (percent as a fraction: 10 % is Decimal("0.1"));
date -> datetime.date; datetime -> aware datetime in UTC; time -> datetime.time;
text, picklist, multipicklist -> str. Any of them may be None: blank. Blank text and ""
are the same thing (Salesforce makes no difference), so functions read text through `text()`.

Record values (JSON-like) are converted by `from_record`; a value that cannot be read as the
field's type raises FormulaError(bad_record_value). Percent fields are given in percent points,
as the Salesforce API returns them (12.5 means 12.5 %), and percent results come back the same
way. Results (`to_result`): Decimal for numbers, date, aware datetime, time, str, bool; blank as
None (blank text "" becomes None too).

`Fault` is a Salesforce "#Error!" (division by zero, SQRT of a negative, an impossible DATE,
a result too large): it aborts the evaluation of the formula for that record only.
"""

from __future__ import annotations

import decimal
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import Decimal

from rules.formula.errors import ErrorCode, FormulaError
from rules.formula.types import FormulaType
from rules.time_zones import TimeZoneLike, UnknownTimeZone, local_date, time_zone

T = FormulaType
Value = bool | Decimal | date | datetime | time | str | None

MAX_TEXT = 131_072  # the largest Salesforce text (long text area): longer results are #Error!
MAX_MAGNITUDE = Decimal("1e40")  # beyond this a number is #Error! (Salesforce stops at 1e18)
HUNDRED = Decimal(100)

CONTEXT = decimal.Context(
    prec=34,
    rounding=decimal.ROUND_HALF_EVEN,
    Emax=999,
    Emin=-999,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)


class Fault(Exception):
    """A Salesforce #Error! for one record; `line`/`column` are filled in by the evaluator."""

    def __init__(self, message: str, line: int = 0, column: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


@contextmanager
def decimal_context() -> Iterator[None]:
    with decimal.localcontext(CONTEXT):
        yield


def text(value: Value) -> str:
    return value if isinstance(value, str) else ""


def checked_text(value: str) -> str:
    if len(value) > MAX_TEXT:
        raise Fault(f"text result longer than {MAX_TEXT} characters")
    return value


def checked_number(value: Decimal) -> Decimal:
    if not value.is_finite() or abs(value) > MAX_MAGNITUDE:
        raise Fault("number too large")
    return value


def to_int(value: Decimal, low: int = -(10**9), high: int = 10**9) -> int:
    """An integer argument (truncated toward zero), #Error! outside [low, high]."""
    if not value.is_finite() or value < low or value > high:
        raise Fault(f"number {value} out of range")
    return int(value)


def _bad(field: str, value: object, formula_type: FormulaType, hint: str = "") -> FormulaError:
    try:
        shown = repr(value)
    except ValueError:  # an int of more than 4,300 digits has no repr
        shown = f"a {type(value).__name__} too large to show"
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return FormulaError(
        ErrorCode.BAD_RECORD_VALUE,
        f"field {field!r} is {formula_type} but the record holds {shown}{hint}",
    )


def as_utc(moment: datetime) -> datetime | None:
    """`moment` in UTC (naive means UTC already); None when that falls outside years 1-9999
    (9999-12-31T23:00-05:00 is in year 10000 in UTC: astimezone raises OverflowError)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        return None


def utc_now(now: object) -> datetime | None:
    """The `now=` argument of an evaluation, in UTC; FormulaError(missing_now) when unusable."""
    if now is None:
        return None
    moment = as_utc(now) if isinstance(now, datetime) else None
    if moment is None:
        raise FormulaError(
            ErrorCode.MISSING_NOW,
            f"now must be a datetime within years 1-9999 in UTC, not {type(now).__name__}",
        )
    return moment


def formula_zone(tz: TimeZoneLike) -> tzinfo:
    """The `tz=` argument of an evaluation (None: UTC; an IANA name; a tzinfo);
    FormulaError(unknown_time_zone) for a name no zone has."""
    try:
        return time_zone(tz)
    except UnknownTimeZone as error:
        raise FormulaError(ErrorCode.UNKNOWN_TIME_ZONE, str(error)) from None


def local_today(now: datetime, zone: tzinfo) -> date:
    """TODAY(): the date of `now` in `zone`; FormulaError(evaluation) when that date is
    outside years 1-9999 (0001-01-01T01:00Z is still year 0 in Los Angeles)."""
    try:
        return local_date(now, zone)
    except OverflowError:
        raise FormulaError(
            ErrorCode.EVALUATION, f"now is outside years 1-9999 in the time zone {zone}"
        ) from None


def parse_datetime(raw: str) -> datetime | None:
    """ISO 8601 text (with "T" or a space; "Z", "+00:00" or "+0000"; naive means UTC)."""
    candidate = raw.strip()
    if candidate.endswith(("Z", "z")):
        candidate = candidate[:-1] + "+00:00"
    try:
        return as_utc(datetime.fromisoformat(candidate))
    except ValueError:
        return None


def parse_date(raw: str) -> date | None:
    candidate = raw.strip()
    if len(candidate) != 10:
        return None
    try:
        return date.fromisoformat(candidate)
    except ValueError:
        return None


def parse_time(raw: str) -> time | None:
    candidate = raw.strip()
    if candidate.endswith(("Z", "z")):
        candidate = candidate[:-1]
    try:
        parsed = time.fromisoformat(candidate)
    except ValueError:
        return None
    return parsed.replace(tzinfo=None, microsecond=parsed.microsecond // 1000 * 1000)


# A number written as text: ASCII digits, one optional point, an optional exponent ("2E2" is a
# number for Salesforce's ISNUMBER). Python's Decimal() alone would also take "1_000", "NaN",
# "Infinity" and non-ASCII digits such as "١٢٣", which Salesforce does not.
NUMBER_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,4})?")


def number_from_text(raw: str) -> Decimal | None:
    """The number `raw` spells exactly (no surrounding spaces), None when it spells none or
    one beyond the magnitude formulas allow."""
    if len(raw) > 100 or not NUMBER_TEXT.fullmatch(raw):
        return None
    number = Decimal(raw)
    return number if abs(number) <= MAX_MAGNITUDE else None


def _without_trailing_zeros(number: Decimal) -> Decimal:
    if not number.is_finite():
        return number
    if number.is_zero():
        return Decimal(0)
    sign, digits, exponent = number.as_tuple()
    assert isinstance(exponent, int)
    if exponent > 0:  # 1E+3 is 1000, as the integral float 1000.0 is (bounded: int() is exact)
        return Decimal(int(number)) if number.adjusted() <= MAX_MAGNITUDE.adjusted() else number
    kept = len(digits)
    while exponent < 0 and digits[kept - 1] == 0:
        kept -= 1
        exponent += 1
    return number if kept == len(digits) else Decimal((sign, digits[:kept], exponent))


def parse_number(raw: object) -> Decimal | None:
    """A record's number: int, float, Decimal or numeric text (surrounding spaces ignored)."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):  # bounded first: Decimal() of a huge int raises ValueError
        return Decimal(raw) if abs(raw) <= MAX_MAGNITUDE else None
    if isinstance(raw, float):
        # JSON numbers have no scale: 200000.0 is 200000 (TEXT() must not print "200000.0")
        if raw.is_integer() and abs(raw) <= MAX_MAGNITUDE:
            return Decimal(int(raw))
        number = Decimal(repr(raw))
    elif isinstance(raw, Decimal):
        # A record's Decimal has no meaningful scale either: the money columns give 200000.00
        # where the JSON gives 200000.0, and TEXT() of both is "200000" (exact: no rounding).
        number = _without_trailing_zeros(raw)
    elif isinstance(raw, str):
        return number_from_text(raw.strip())
    else:
        return None
    if not number.is_finite() or abs(number) > MAX_MAGNITUDE:
        return None
    return number


def from_record(field: str, formula_type: FormulaType, raw: object) -> Value:
    """The formula value of a record value; FormulaError(bad_record_value) when it cannot be."""
    if raw is None or formula_type is T.NULL:
        return False if formula_type is T.CHECKBOX else None
    if formula_type is T.CHECKBOX:
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.strip().lower() in ("true", "false"):
            return raw.strip().lower() == "true"
        raise _bad(field, raw, formula_type)
    if formula_type in (T.NUMBER, T.CURRENCY, T.PERCENT):
        if isinstance(raw, str) and not raw.strip():
            return None
        number = parse_number(raw)
        if number is None:
            raise _bad(field, raw, formula_type, " (expected a number)")
        return number / HUNDRED if formula_type is T.PERCENT else number
    if formula_type is T.DATE:
        if isinstance(raw, datetime):
            raise _bad(field, raw, formula_type, " (expected a date, not a datetime)")
        if isinstance(raw, date):
            return raw
        parsed_date = parse_date(raw) if isinstance(raw, str) else None
        if parsed_date is None:
            raise _bad(field, raw, formula_type, " (expected YYYY-MM-DD)")
        return parsed_date
    if formula_type is T.DATETIME:
        if isinstance(raw, datetime):
            parsed = as_utc(raw)
        else:
            parsed = parse_datetime(raw) if isinstance(raw, str) else None
        if parsed is None:
            raise _bad(field, raw, formula_type, " (expected an ISO 8601 date and time)")
        return parsed
    if formula_type is T.TIME:
        if isinstance(raw, time):
            return raw.replace(tzinfo=None)
        parsed_time = parse_time(raw) if isinstance(raw, str) else None
        if parsed_time is None:
            raise _bad(field, raw, formula_type, " (expected HH:MM:SS)")
        return parsed_time
    if formula_type is T.MULTIPICKLIST and isinstance(raw, list | tuple):
        if all(isinstance(item, str) for item in raw):
            return ";".join(raw)
        raise _bad(field, raw, formula_type)
    if isinstance(raw, str):
        return raw
    raise _bad(field, raw, formula_type, " (expected text)")


def to_result(formula_type: FormulaType, value: Value) -> Value:
    if value is None or value == "":
        return None
    if formula_type is T.PERCENT and isinstance(value, Decimal):
        scaled = (value * HUNDRED).normalize()
        return scaled.quantize(Decimal(1)) if scaled.as_tuple().exponent > 0 else scaled  # type: ignore[operator]
    return value


def add_days(moment: date, days: Decimal) -> date:
    try:
        return moment + timedelta(days=to_int(days, -(10**7), 10**7))
    except OverflowError:
        raise Fault("date out of range") from None


def add_fractional_days(moment: datetime, days: Decimal) -> datetime:
    millis = to_int((days * 86_400_000).to_integral_value(decimal.ROUND_HALF_UP), -(10**15), 10**15)
    try:
        return moment + timedelta(milliseconds=millis)
    except OverflowError:
        raise Fault("datetime out of range") from None


def millis_of(moment: time) -> int:
    return ((moment.hour * 60 + moment.minute) * 60 + moment.second) * 1000 + (
        moment.microsecond // 1000
    )


def time_from_millis(millis: int) -> time:
    millis %= 86_400_000
    seconds, milli = divmod(millis, 1000)
    minutes, second = divmod(seconds, 60)
    hour, minute = divmod(minutes, 60)
    return time(hour, minute, second, milli * 1000)


def days_between(later: datetime, earlier: datetime) -> Decimal:
    micros = (later - earlier) // timedelta(microseconds=1)
    return Decimal(micros) / Decimal(86_400_000_000)
