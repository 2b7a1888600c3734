"""Checking quick-fix values against the Opportunity describe, before Salesforce sees them (pure).

A quick-fix names fields and the values to give them, as a GraphQL JSON scalar (str, int,
float, bool, None, list, dict). Salesforce would refuse a wrong value too, but one refusal at a
time and in its own words; checking here first lets the editor show every problem at once, by
field, and keeps an API call for writes that can succeed. The rules follow what Salesforce
enforces for each describe type, so a value accepted here is one Salesforce accepts (its own
validation rules, sharing and triggers still apply on the write).

Messages are for a person and never echo more than a short prefix of what was sent, so a
pasted megabyte does not come back in an error.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum

from rules.field_specs import FieldSpec

MAX_FIELDS = 50
_MAX_NAME = 255
_NAME_SHOWN = 40
_VALUE_SHOWN = 60
_ALLOWED_SHOWN = 10
_ALLOWED_VALUE_SHOWN = 40
# Salesforce's date range, for date and datetime fields alike.
_FIRST_YEAR, _LAST_YEAR = 1700, 4000
_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1
# A double whose describe gives no precision: Salesforce's own limit.
_DEFAULT_PRECISION = 18

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
# Every control character but tab, newline and carriage return, and the unpaired surrogates
# JSON can carry but no database (nor Salesforce) can store.
_UNSENDABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)+")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# Plain decimals only: no exponent, no NaN or Infinity, no thousands separators.
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_INTEGER = re.compile(r"[+-]?[0-9]+")
_RECORD_ID = re.compile(r"[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?")
# Longer texts cannot be a number, date or id: refused before any parsing.
_MAX_SCALAR_TEXT = 100

_TEXT_TYPES = frozenset(
    {"string", "textarea", "email", "phone", "url", "picklist", "multipicklist", "combobox"}
)


class FieldValueCode(Enum):
    """Why a value was refused; the names are the codes clients see."""

    INVALID_VALUE = "INVALID_VALUE"
    NOT_UPDATEABLE = "NOT_UPDATEABLE"
    UNKNOWN_FIELD = "UNKNOWN_FIELD"
    REQUIRED = "REQUIRED"
    TOO_LONG = "TOO_LONG"


@dataclass(frozen=True)
class FieldProblem:
    """`field`: the describe's spelling of a known field, what was sent (cut short) otherwise,
    or "values" for a problem with the request as a whole."""

    field: str
    code: FieldValueCode
    message: str


@dataclass(frozen=True)
class CheckedValues:
    """`clean`: field API name (as the describe spells it) -> the value to send to Salesforce,
    for the fields with no problem. Numbers are `Decimal` (currency, double, percent) or `int`;
    dates are ISO strings; datetimes are UTC ISO strings with milliseconds and "Z"."""

    clean: dict[str, object]
    problems: list[FieldProblem]


class _Refused(Exception):
    def __init__(self, code: FieldValueCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _invalid(message: str) -> _Refused:
    return _Refused(FieldValueCode.INVALID_VALUE, message)


def _shown(text: str, limit: int = _VALUE_SHOWN) -> str:
    """`text` quoted for a message: at most `limit` characters, unprintable ones replaced."""
    cut = "".join(c if c.isprintable() else "\ufffd" for c in text[:limit])
    return f'"{cut}…"' if len(text) > limit else f'"{cut}"'


def check_values(specs: Mapping[str, FieldSpec], values: Mapping[str, object]) -> CheckedValues:
    """Every problem with `values` (not only the first), and the clean values of the rest."""
    if not values:
        return _whole("name at least one field")
    if len(values) > MAX_FIELDS:
        return _whole(f"at most {MAX_FIELDS} fields at a time, not {len(values)}")
    by_lower = {spec.name.lower(): spec for spec in specs.values()}
    named: dict[str, int] = {}
    for name in values:
        named[name.lower()] = named.get(name.lower(), 0) + 1
    clean: dict[str, object] = {}
    problems: list[FieldProblem] = []
    reported: set[str] = set()
    for name, value in values.items():
        if len(name) > _MAX_NAME or not _NAME.fullmatch(name):
            quoted = _shown(name, _NAME_SHOWN)
            problems.append(
                FieldProblem(
                    quoted[1:-1], FieldValueCode.UNKNOWN_FIELD, f"{quoted} is no field name"
                )
            )
            continue
        spec = by_lower.get(name.lower())
        if spec is None:
            problems.append(
                FieldProblem(name, FieldValueCode.UNKNOWN_FIELD, f"Opportunity has no field {name}")
            )
            continue
        if named[name.lower()] > 1:
            # "amount" and "Amount" are one field: which value was meant is anyone's guess.
            if spec.name not in reported:
                reported.add(spec.name)
                problems.append(
                    FieldProblem(spec.name, FieldValueCode.INVALID_VALUE,
                                 f"{spec.label} is named more than once")
                )  # fmt: skip
            continue
        try:
            clean[spec.name] = _checked(spec, value)
        except _Refused as refused:
            problems.append(FieldProblem(spec.name, refused.code, refused.message))
    return CheckedValues(clean=clean, problems=problems)


def _whole(message: str) -> CheckedValues:
    return CheckedValues(
        clean={}, problems=[FieldProblem("values", FieldValueCode.INVALID_VALUE, message)]
    )


def _checked(spec: FieldSpec, value: object) -> object:
    """The value to send for `spec`, or _Refused."""
    if not spec.updateable:
        raise _Refused(FieldValueCode.NOT_UPDATEABLE, f"{spec.label} cannot be edited")
    check = _CHECKS.get(spec.type)
    if check is None:
        raise _Refused(FieldValueCode.NOT_UPDATEABLE, f"dealpulse does not edit {spec.type} fields")
    if value is None or (value == "" and spec.type in _TEXT_TYPES):
        if spec.type == "boolean":
            raise _invalid(f"{spec.label} is a checkbox: true or false, never empty")
        if spec.required:
            raise _Refused(FieldValueCode.REQUIRED, f"{spec.label} is required")
        return None
    return check(spec, value)


def _text(spec: FieldSpec, value: object) -> str:
    if not isinstance(value, str):
        raise _invalid(f"{spec.label} must be text")
    if _UNSENDABLE.search(value):
        raise _invalid(f"{spec.label} cannot contain control characters")
    if spec.length and len(value) > spec.length:
        raise _Refused(
            FieldValueCode.TOO_LONG,
            f"{spec.label} is at most {spec.length} characters, not {len(value)}",
        )
    return value


def _email(spec: FieldSpec, value: object) -> str:
    text = _text(spec, value)
    if not _EMAIL.fullmatch(text):
        raise _invalid(f"{spec.label}: {_shown(text)} is not an email address")
    return text


def _picklist(spec: FieldSpec, value: object) -> str:
    text = _text(spec, value)
    _choose(spec, text)
    return text


def _multipicklist(spec: FieldSpec, value: object) -> str:
    text = _text(spec, value)
    for part in text.split(";"):
        if not part:
            raise _invalid(f"{spec.label}: an empty choice between ';'")
        _choose(spec, part)
    return text


def _choose(spec: FieldSpec, choice: str) -> None:
    # Salesforce matches the values of a restricted picklist exactly, case included.
    allowed = [entry.value for entry in spec.picklist_values]
    if not spec.restricted_picklist or choice in allowed:
        return
    if not allowed:
        raise _invalid(f"{spec.label} has no active values to choose from")
    listed = ", ".join(_shown(v, _ALLOWED_VALUE_SHOWN) for v in allowed[:_ALLOWED_SHOWN])
    more = len(allowed) - _ALLOWED_SHOWN
    tail = f" (and {more} more)" if more > 0 else ""
    raise _invalid(f"{spec.label}: {_shown(choice)} is not one of {listed}{tail}")


def _short_text(spec: FieldSpec, value: object, what: str) -> str:
    if not isinstance(value, str) or len(value) > _MAX_SCALAR_TEXT:
        raise _invalid(f"{spec.label} must be {what}")
    return value


def _date(spec: FieldSpec, value: object) -> str:
    text = _short_text(spec, value, "a date as YYYY-MM-DD")
    if not _DATE.fullmatch(text):
        raise _invalid(f"{spec.label} must be a date as YYYY-MM-DD, not {_shown(text)}")
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise _invalid(f"{spec.label}: {_shown(text)} is not a real date") from None
    _in_years(spec, day.year)
    return text


def _datetime(spec: FieldSpec, value: object) -> str:
    what = "an ISO 8601 date and time with an offset"
    text = _short_text(spec, value, what)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise _invalid(f"{spec.label} must be {what}, not {_shown(text)}") from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        # A naive time means a different instant in every time zone: refuse to guess.
        raise _invalid(f"{spec.label} needs an offset (such as Z or +02:00)")
    try:
        utc = moment.astimezone(UTC)
    except OverflowError:
        raise _invalid(f"{spec.label}: {_shown(text)} is out of range") from None
    _in_years(spec, utc.year)
    # Salesforce keeps milliseconds: finer digits are dropped, never rounded up into the next
    # second.
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def _in_years(spec: FieldSpec, year: int) -> None:
    if not _FIRST_YEAR <= year <= _LAST_YEAR:
        raise _invalid(f"{spec.label} must be between the years {_FIRST_YEAR} and {_LAST_YEAR}")


def _number(spec: FieldSpec, value: object) -> Decimal:
    """An exact decimal. A JSON float arrives as a Python float, which cannot carry every
    decimal: it is taken as the shortest decimal that reads back as that float (`repr`), so
    0.1 becomes Decimal("0.1"). Clients that need exactness send a string ("58500.00")."""
    if isinstance(value, bool):
        raise _invalid(f"{spec.label} must be a number, not true or false")
    if isinstance(value, int):
        if value.bit_length() > 4 * _MAX_SCALAR_TEXT:
            raise _invalid(f"{spec.label} is too large")
        number = Decimal(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise _invalid(f"{spec.label} must be a finite number")
        number = Decimal(repr(value))
    elif isinstance(value, str) and len(value) <= _MAX_SCALAR_TEXT and _DECIMAL.fullmatch(value):
        number = Decimal(value)
    else:
        detail = f", not {_shown(value)}" if isinstance(value, str) else ""
        raise _invalid(f"{spec.label} must be a plain decimal number{detail}")
    _fits(spec, number)
    return number


def _fits(spec: FieldSpec, number: Decimal) -> None:
    scale = spec.scale or 0
    precision = spec.precision or _DEFAULT_PRECISION
    _sign, digits, exponent = number.as_tuple()
    assert isinstance(exponent, int)  # finite: checked by the caller
    places = list(digits)
    if not any(places):
        return  # zero fits every precision and scale, "0.000" included
    # Trailing zeros after the point say nothing: "1.230" has 2 decimal places.
    while exponent < 0 and len(places) > 1 and places[-1] == 0:
        places.pop()
        exponent += 1
    decimals = max(0, -exponent)
    whole = max(0, len(places) + exponent)
    if decimals > scale:
        limit = "a whole number" if scale == 0 else f"at most {scale} decimal places"
        raise _invalid(f"{spec.label} must be {limit}")
    if whole > precision - scale:
        raise _invalid(
            f"{spec.label} is too large: at most {precision - scale} digits before the "
            "decimal point"
        )


def _int(spec: FieldSpec, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise _invalid(f"{spec.label} must be a whole number")
    if isinstance(value, str):
        if len(value) > _MAX_SCALAR_TEXT or not _INTEGER.fullmatch(value):
            raise _invalid(f"{spec.label} must be a whole number, not {_shown(value)}")
        value = int(value)
    if not _INT_MIN <= value <= _INT_MAX:
        raise _invalid(f"{spec.label} is out of range for a whole-number field")
    if spec.precision and len(str(abs(value))) > spec.precision:
        raise _invalid(f"{spec.label} is at most {spec.precision} digits")
    return value


def _boolean(spec: FieldSpec, value: object) -> bool:
    if not isinstance(value, bool):
        raise _invalid(f"{spec.label} is a checkbox: true or false")
    return value


def _reference(spec: FieldSpec, value: object) -> str:
    if not isinstance(value, str) or not _RECORD_ID.fullmatch(value):
        raise _invalid(f"{spec.label} must be a 15- or 18-character Salesforce record id")
    return value


_CHECKS: dict[str, Callable[[FieldSpec, object], object]] = {
    "string": _text, "textarea": _text, "phone": _text, "url": _text, "combobox": _text,
    "email": _email, "picklist": _picklist, "multipicklist": _multipicklist,
    "date": _date, "datetime": _datetime,
    "currency": _number, "double": _number, "percent": _number,
    "int": _int, "boolean": _boolean, "reference": _reference,
}  # fmt: skip
