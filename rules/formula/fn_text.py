"""Text functions: LEN LEFT RIGHT MID UPPER LOWER TRIM LPAD RPAD CONTAINS BEGINS FIND SUBSTITUTE
TEXT VALUE BR (REGEX is in `fn_regex`).

Blank text reads as "" (LEN of a blank is 0, CONTAINS(blank, "x") is false). A blank *number*
argument (LEFT(Name, blank)) gives a blank. Positions are 1-based: FIND returns 0 when the text
is absent, or when the search text is blank or the start is below 1; MID with a start below 1
starts at 1. Case-sensitive throughout, as in Salesforce. Results longer than 131,072
characters (LPAD(x, 1e9), repeated SUBSTITUTE) are #Error!.

TEXT: numbers print plainly without exponent or trailing zeros beyond the value's own scale
(TEXT(500000) = "500000", TEXT(1.50) = "1.50" keeps the literal's scale); a percent as the
fraction formulas compute with (TEXT of 30 % is "0.3": Salesforce's TEXT "returns percents in
the form of a decimal"); dates "YYYY-MM-DD"; datetimes "YYYY-MM-DD HH:MM:SSZ" in GMT (as
Salesforce); times "HH:MM:SS.mmm"; picklists their API value; checkbox "true"/"false".
VALUE: text -> number; text that is not a number is #Error!.
"""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

from rules.formula.fn_math import num
from rules.formula.runtime import Builder, eager
from rules.formula.types import FormulaType
from rules.formula.values import MAX_TEXT, Fault, Value, number_from_text, text, to_int

T = FormulaType


def _len(value: Value) -> Value:
    return Decimal(len(text(value)))


def _count(value: Value) -> int:
    return max(to_int(num(value), -(10**12), 10**12), 0)


def _left(value: Value, count: Value) -> Value:
    return None if count is None else text(value)[: _count(count)]


def _right(value: Value, count: Value) -> Value:
    if count is None:
        return None
    n = _count(count)
    return text(value)[-n:] if n else ""


def _mid(value: Value, start: Value, count: Value) -> Value:
    if start is None or count is None:
        return None
    first = max(to_int(num(start), -(10**12), 10**12), 1) - 1
    return text(value)[first : first + _count(count)]


def _upper(value: Value, _locale: Value = None) -> Value:
    return text(value).upper()


def _lower(value: Value, _locale: Value = None) -> Value:
    return text(value).lower()


def _trim(value: Value) -> Value:
    return text(value).strip(" \t\r\n")


def _padding(value: Value, length: Value, pad: Value) -> tuple[str, int, str] | None:
    if length is None:
        return None
    size = _count(length)
    if size > MAX_TEXT:
        raise Fault(f"padded length above {MAX_TEXT}")
    return text(value), size, " " if pad is None else text(pad)


def _pad(value: Value, length: Value, pad: Value, left: bool) -> Value:
    parts = _padding(value, length, pad)
    if parts is None:
        return None
    source, size, filler = parts
    if len(source) >= size or not filler:
        return source[:size]
    fill = (filler * (size // len(filler) + 1))[: size - len(source)]
    return fill + source if left else source + fill


def _lpad(value: Value, length: Value, pad: Value = None) -> Value:
    return _pad(value, length, pad, left=True)


def _rpad(value: Value, length: Value, pad: Value = None) -> Value:
    return _pad(value, length, pad, left=False)


def _contains(value: Value, part: Value) -> Value:
    return text(part) in text(value)


def _begins(value: Value, prefix: Value) -> Value:
    return text(value).startswith(text(prefix))


def _find(search: Value, value: Value, start: Value = Decimal(1)) -> Value:
    if start is None:
        return None
    first = to_int(num(start), -(10**12), 10**12)
    if not text(search) or first < 1:
        return Decimal(0)
    return Decimal(text(value).find(text(search), first - 1) + 1)


def _substitute(value: Value, old: Value, new: Value) -> Value:
    source, target, replacement = text(value), text(old), text(new)
    if not target:
        return source
    growth = (len(replacement) - len(target)) * source.count(target)
    if len(source) + growth > MAX_TEXT:
        raise Fault(f"text result longer than {MAX_TEXT} characters")
    return source.replace(target, replacement)


def format_value(value: Value) -> str:
    """TEXT() of a value (see the module docstring)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, datetime):
        return value.replace(tzinfo=None).isoformat(" ", "seconds") + "Z"  # strftime: year 1 is "1"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M:%S.") + f"{value.microsecond // 1000:03d}"
    return value


def parse_value(value: Value) -> Value:
    """VALUE(): the text as a number (surrounding spaces ignored), #Error! when it is none."""
    candidate = text(value).strip()
    if not candidate:
        return None
    number = number_from_text(candidate)
    if number is None:
        raise Fault(f"VALUE of text that is not a number: {candidate[:30]!r}")
    return number


BUILDERS: dict[str, Builder] = {
    "LEN": eager(_len),
    "LEFT": eager(_left),
    "RIGHT": eager(_right),
    "MID": eager(_mid),
    "UPPER": eager(_upper),
    "LOWER": eager(_lower),
    "TRIM": eager(_trim),
    "LPAD": eager(_lpad),
    "RPAD": eager(_rpad),
    "CONTAINS": eager(_contains),
    "BEGINS": eager(_begins),
    "FIND": eager(_find),
    "SUBSTITUTE": eager(_substitute),
    "TEXT": eager(format_value),
    "VALUE": eager(parse_value),
    "BR": eager(lambda: "\n"),
}
