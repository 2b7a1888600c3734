"""The bulk path agrees with the per-record interpreter in any time zone: random formulas (with
extra date shapes that read the zone) over random records, at random moments around local
midnights, in zones with odd offsets and daylight-saving rules."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rules.formula import FormulaError, compile_formula
from rules.formula.bulk import evaluate_bulk
from rules.formula.bulk_frame import frame_from_records
from tests.rules.formula.formula_strategies import FIELDS, NOW, dates, formulas, records

ZONES = (
    "UTC",
    "America/Los_Angeles",
    "America/St_Johns",  # UTC-3:30 / -2:30
    "Asia/Kolkata",  # UTC+5:30, no daylight saving
    "Australia/Lord_Howe",  # a 30-minute daylight-saving shift
    "Pacific/Chatham",  # UTC+12:45 / +13:45
    "Pacific/Kiritimati",  # UTC+14: a different date from UTC most of the day
)
SETTINGS = settings(
    max_examples=300,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def zoned_formulas() -> st.SearchStrategy[str]:
    """Shapes that take dates in the zone, alone and inside the generator's formulas."""
    d = dates(1)
    zoned = st.one_of(
        st.sampled_from(
            [
                "TODAY()",
                "DATEVALUE(Created)",
                "DAYS_SINCE(Created)",
                "DAYS_UNTIL(Created)",
                "DAYS_SINCE(CloseDate)",
                "DAYS_UNTIL(MeetingDate)",
                "DATEVALUE(Created) = TODAY()",
                "DATEVALUE(Created) < CloseDate",
                "WEEKDAY(DATEVALUE(Created))",
                "DAY(TODAY())",
                "CloseDate - TODAY()",
                "IF(DAYS_SINCE(Created) > 30, Amount, 0)",
            ]
        ),
        d.map(lambda text: f"DAYS_SINCE({text})"),
        d.map(lambda text: f"({text} < TODAY())"),
    )
    return st.one_of(zoned, formulas())


def moments() -> st.SearchStrategy[datetime]:
    """Moments within two days of NOW, at minute resolution: every zone's midnight is in range."""
    return st.integers(-48 * 60, 48 * 60).map(lambda minutes: NOW + timedelta(minutes=minutes))


def _check(text: str, rows: list[dict[str, Any]], now: datetime, zone: str) -> None:
    try:
        compiled = compile_formula(text, FIELDS)
    except FormulaError as error:  # the generators make well-typed formulas
        pytest.fail(f"generated formula does not compile: {text}: {error}")
    bulk = evaluate_bulk(compiled, frame_from_records(rows, FIELDS), now, tz=zone)
    for row, record in enumerate(rows):
        expected = compiled.evaluate(record, now, tz=zone)
        got = bulk.values[row]
        assert got == expected, (text, zone, now, record, got, expected)
        assert type(got) is type(expected) or expected is None, (text, zone, record)


@SETTINGS
@given(
    text=zoned_formulas(),
    rows=st.lists(records(), min_size=1, max_size=12),
    now=moments(),
    zone=st.sampled_from(ZONES),
)
def test_bulk_equals_interpreter_in_every_zone(
    text: str, rows: list[dict[str, Any]], now: datetime, zone: str
) -> None:
    _check(text, rows, now, zone)
