"""Message templates: text with `{!formula}` merge fields, compiled once, rendered per record.

`{!Amount}`, `{!Account.Name}` (a dotted name is a plain catalog entry), `{!TEXT(CloseDate)}`:
any formula fits between `{!` and `}` (a `}` inside a quoted string does not close it). Each
merge field is compiled with `compile_formula` when the template is; errors carry their position
in the template (line and column of the formula's characters).

Values are formatted for people (`format_for_people`): currency with thousands separators and
two decimals ("1,250,000.00", no currency symbol: the org's currency is not known here);
numbers with thousands separators and their own decimals ("1,234.5"); percent with a "%" sign
("12.5%"); dates ISO ("2026-06-15"); datetimes in the zone given (the org's: DESIGN.md says
dates are the org's), with its abbreviation ("2026-06-15 07:30 PDT"; UTC by default, "2026-06-15
14:30 UTC"); times "14:30:00"; checkbox "true"/"false"; text as is; blank as ""; a #Error!
merge field as "#Error!". A moment the zone cannot show (year 1 west of Greenwich) stays UTC.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, tzinfo
from decimal import ROUND_HALF_UP, Decimal

from rules.formula.compiler import CompiledFormula, compile_formula
from rules.formula.errors import ErrorCode, FormulaError
from rules.formula.types import FormulaType
from rules.formula.values import Value, formula_zone
from rules.time_zones import TimeZoneLike

T = FormulaType
MAX_TEMPLATE = 20_000
MAX_MERGE_FIELDS = 100


def _moment_for_people(moment: datetime, zone: tzinfo) -> str:
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    try:
        local = aware.astimezone(zone)
    except OverflowError:  # before year 1 or after 9999 there
        local = aware.astimezone(UTC)
    # isoformat keeps a four-digit year (year 1 is 0001, where strftime gives "1")
    return f"{local.replace(tzinfo=None).isoformat(' ', 'minutes')} {local.tzname() or 'UTC'}"


def format_for_people(value: Value, formula_type: FormulaType, zone: tzinfo = UTC) -> str:
    """`value` as a person reads it; a datetime as the time of day in `zone`."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        if formula_type is T.CURRENCY:
            return f"{value.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,f}"
        if formula_type is T.PERCENT:
            return f"{value:f}%"
        return f"{value:,f}"
    if isinstance(value, datetime):
        return _moment_for_people(value, zone)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M:%S")
    return value


@dataclass(frozen=True)
class CompiledTemplate:
    parts: tuple[str | CompiledFormula, ...]

    @property
    def references(self) -> frozenset[str]:
        return frozenset().union(*(p.references for p in self.parts if not isinstance(p, str)))

    def render(
        self, record: Mapping[str, object], now: datetime | None = None, tz: TimeZoneLike = None
    ) -> str:
        """The text for `record`. `tz` (the org's zone; default UTC) is where TODAY() is taken
        and datetimes are shown: an org in Los Angeles reads its own day and time."""
        zone = formula_zone(tz)
        out: list[str] = []
        for part in self.parts:
            if isinstance(part, str):
                out.append(part)
                continue
            try:
                value = part.evaluate(record, now, tz=zone, errors="raise")
            except FormulaError as error:
                if error.code is not ErrorCode.EVALUATION:
                    raise
                out.append("#Error!")
                continue
            out.append(format_for_people(value, part.result_type, zone))
        return "".join(out)


def _closing_brace(text: str, start: int) -> int:
    """Index of the `}` closing the merge field whose formula starts at `start`, or -1."""
    quote: str | None = None
    index = start
    while index < len(text):
        char = text[index]
        if quote:
            if char == "\\":
                index += 1
            elif char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char == "}":
            return index
        index += 1
    return -1


def _position(text: str, index: int) -> tuple[int, int]:
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def _shifted(error: FormulaError, text: str, start: int) -> FormulaError:
    """The error of a merge field's formula, positioned in the whole template."""
    base_line, base_column = _position(text, start)
    if error.line <= 0:
        line, column = base_line, base_column
    elif error.line == 1:
        line, column = base_line, base_column + error.column - 1
    else:
        line, column = base_line + error.line - 1, error.column
    message = error.message.replace(f"{error.line}:{error.column}", f"{line}:{column}")
    return FormulaError(error.code, message, line, column, error.suggestion)


def compile_template(text: str, fields: Mapping[str, str]) -> CompiledTemplate:
    if not isinstance(text, str):
        raise FormulaError(ErrorCode.SYNTAX, "a template must be text")
    if len(text) > MAX_TEMPLATE:
        raise FormulaError(
            ErrorCode.TOO_LONG, f"template longer than {MAX_TEMPLATE} characters", 1, 1
        )
    parts: list[str | CompiledFormula] = []
    index = 0
    while True:
        opening = text.find("{!", index)
        if opening < 0:
            break
        closing = _closing_brace(text, opening + 2)
        if closing < 0:
            line, column = _position(text, opening)
            raise FormulaError(
                ErrorCode.SYNTAX, f"merge field at {line}:{column} is not closed", line, column
            )
        if opening > index:
            parts.append(text[index:opening])
        try:
            parts.append(compile_formula(text[opening + 2 : closing], fields))
        except FormulaError as error:
            raise _shifted(error, text, opening + 2) from None
        if len(parts) > 2 * MAX_MERGE_FIELDS:
            raise FormulaError(
                ErrorCode.TOO_LARGE, f"more than {MAX_MERGE_FIELDS} merge fields", 1, 1
            )
        index = closing + 1
    if index < len(text):
        parts.append(text[index:])
    return CompiledTemplate(tuple(parts))
