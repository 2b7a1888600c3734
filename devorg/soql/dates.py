"""SOQL date literals as half-open ranges of UTC days: [first day, day after the last)."""

from __future__ import annotations

from datetime import date, timedelta

from devorg.soql.nodes import DateLiteral


def _month_start(year: int, month: int) -> date:
    """The first day of `month` of `year`, months counted past 12 or below 1 rolling the year."""
    years, index = divmod(month - 1, 12)
    return date(year + years, index + 1, 1)


def date_range(literal: DateLiteral, today: date) -> tuple[date, date]:
    """The days `literal` covers, seen from `today` (calendar quarters and years, UTC)."""
    name, n = literal.name, literal.n or 0
    day = timedelta(days=1)
    if name == "TODAY":
        return today, today + day
    if name == "YESTERDAY":
        return today - day, today
    if name == "TOMORROW":
        return today + day, today + 2 * day
    if name == "LAST_N_DAYS":  # includes today: LAST_N_DAYS:1 is yesterday and today
        return today - n * day, today + day
    if name == "NEXT_N_DAYS":  # starts tomorrow
        return today + day, today + (n + 1) * day
    if name.endswith("_MONTH"):
        shift = {"LAST": -1, "THIS": 0, "NEXT": 1}[name.split("_")[0]]
        first = _month_start(today.year, today.month + shift)
        return first, _month_start(first.year, first.month + 1)
    if name.endswith("_QUARTER"):
        shift = {"LAST": -3, "THIS": 0, "NEXT": 3}[name.split("_")[0]]
        quarter_month = (today.month - 1) // 3 * 3 + 1
        first = _month_start(today.year, quarter_month + shift)
        return first, _month_start(first.year, first.month + 3)
    if name.endswith("_YEAR"):
        year = today.year + {"LAST": -1, "THIS": 0, "NEXT": 1}[name.split("_")[0]]
        return date(year, 1, 1), date(year + 1, 1, 1)
    raise ValueError(f"unknown date literal {name}")  # the parser admits only the names above
