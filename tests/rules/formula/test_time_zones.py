"""Formulas in a time zone: TODAY() is the date of `now` in `tz`, on both sides of local
midnight and across daylight-saving changes, per record and in bulk alike; what stays GMT."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rules.formula import FormulaError, compile_formula
from rules.formula.bulk import evaluate_bulk, evaluate_bulk_many, plan_bulk
from rules.formula.bulk_frame import frame_from_records
from tests.rules.formula import test_fuzz as fuzz

LA = "America/Los_Angeles"
FIELDS = {"CloseDate": "date", "Created": "datetime", "Name": "string"}
# 23:30 and 00:30 in Los Angeles (PDT, UTC-7): the UTC date is already the next day at 23:30.
LATE_EVENING = datetime(2026, 6, 16, 6, 30, tzinfo=UTC)  # 2026-06-15 23:30 PDT
JUST_AFTER_MIDNIGHT = datetime(2026, 6, 16, 7, 30, tzinfo=UTC)  # 2026-06-16 00:30 PDT


def both_paths(text: str, record: dict[str, Any], now: datetime, tz: object) -> object:
    """The per-record result, after checking that the bulk path gives the same."""
    compiled = compile_formula(text, FIELDS)
    single = compiled.evaluate(record, now, tz=tz)  # type: ignore[arg-type]
    bulk = evaluate_bulk(compiled, frame_from_records([record], FIELDS), now, tz=tz)  # type: ignore[arg-type]
    assert bulk.values == [single], (text, bulk.values, single)
    return single


@pytest.mark.parametrize(
    ("now", "local_today"),
    [
        pytest.param(LATE_EVENING, date(2026, 6, 15), id="23:30 local, UTC date is tomorrow"),
        pytest.param(JUST_AFTER_MIDNIGHT, date(2026, 6, 16), id="00:30 local"),
    ],
)
def test_today_is_the_local_date_on_both_sides_of_midnight(
    now: datetime, local_today: date
) -> None:
    assert both_paths("TODAY()", {}, now, LA) == local_today
    assert both_paths("TODAY()", {}, now, ZoneInfo(LA)) == local_today
    assert both_paths("TODAY()", {}, now, None) == now.date()  # default: UTC
    record = {"CloseDate": "2026-06-15"}
    overdue = local_today > date(2026, 6, 15)
    assert both_paths("CloseDate < TODAY()", record, now, LA) is overdue
    assert (
        both_paths("DAYS_UNTIL(CloseDate)", record, now, LA)
        == (date(2026, 6, 15) - local_today).days
    )
    assert (
        both_paths("DAYS_SINCE(CloseDate)", record, now, LA)
        == (local_today - date(2026, 6, 15)).days
    )


def test_late_evening_and_after_midnight_differ_by_one_local_day_but_not_in_utc() -> None:
    compiled = compile_formula("TODAY()", {})
    assert compiled.evaluate({}, LATE_EVENING) == compiled.evaluate({}, JUST_AFTER_MIDNIGHT)
    local = [compiled.evaluate({}, now, tz=LA) for now in (LATE_EVENING, JUST_AFTER_MIDNIGHT)]
    assert local == [date(2026, 6, 15), date(2026, 6, 16)]


@pytest.mark.parametrize(
    ("now", "local_today"),
    [
        # clocks went forward at 2026-03-08 02:00 PST (10:00 UTC)
        (datetime(2026, 3, 8, 7, 30, tzinfo=UTC), date(2026, 3, 7)),  # 23:30 PST
        (datetime(2026, 3, 8, 8, 30, tzinfo=UTC), date(2026, 3, 8)),  # 00:30 PST
        (datetime(2026, 3, 9, 6, 30, tzinfo=UTC), date(2026, 3, 8)),  # 23:30 PDT
        (datetime(2026, 3, 9, 7, 30, tzinfo=UTC), date(2026, 3, 9)),  # 00:30 PDT
        # clocks went back at 2026-11-01 02:00 PDT (09:00 UTC): 01:30 happens twice
        (datetime(2026, 11, 1, 6, 30, tzinfo=UTC), date(2026, 10, 31)),  # 23:30 PDT
        (datetime(2026, 11, 1, 9, 30, tzinfo=UTC), date(2026, 11, 1)),  # the second 01:30
        (datetime(2026, 11, 2, 7, 30, tzinfo=UTC), date(2026, 11, 1)),  # 23:30 PST
        (datetime(2026, 11, 2, 8, 30, tzinfo=UTC), date(2026, 11, 2)),  # 00:30 PST
    ],
)
def test_today_across_daylight_saving_changes(now: datetime, local_today: date) -> None:
    assert both_paths("TODAY()", {}, now, LA) == local_today
    assert (
        both_paths("DAYS_SINCE(DATE(2026, 1, 1))", {}, now, LA)
        == (local_today - date(2026, 1, 1)).days
    )


def test_the_date_of_a_datetime_is_taken_in_the_zone() -> None:
    evening = {"Created": "2026-06-15T23:30:00-07:00"}  # 06:30 UTC on the 16th
    assert both_paths("DATEVALUE(Created)", evening, LATE_EVENING, LA) == date(2026, 6, 15)
    assert both_paths("DATEVALUE(Created)", evening, LATE_EVENING, None) == date(2026, 6, 16)
    assert both_paths("DAYS_SINCE(Created)", evening, JUST_AFTER_MIDNIGHT, LA) == 1
    assert both_paths("DAYS_SINCE(Created)", evening, JUST_AFTER_MIDNIGHT, "UTC") == 0
    assert both_paths("DATEVALUE(Created) = TODAY()", evening, LATE_EVENING, LA) is True
    assert both_paths("YEAR(DATEVALUE(Created))", {"Created": "2027-01-01T03:00:00Z"},
                      LATE_EVENING, LA) == 2026  # fmt: skip
    # text is read as written: no zone involved
    assert both_paths("DATEVALUE('2026-06-16 01:00:00')", {}, LATE_EVENING, LA) == date(2026, 6, 16)


def test_what_salesforce_documents_as_gmt_stays_gmt_in_any_zone() -> None:
    compiled = compile_formula("TIMENOW()", {})
    assert compiled.evaluate({}, LATE_EVENING, tz=LA) == time(6, 30)
    text_now = compile_formula("TEXT(NOW())", {}).evaluate({}, LATE_EVENING, tz=LA)
    assert text_now == "2026-06-16 06:30:00Z"
    at_midnight_gmt = datetime(2026, 6, 15, tzinfo=UTC)  # DATETIMEVALUE(date): 12:00 a.m. GMT
    assert both_paths("DATETIMEVALUE(TODAY())", {}, LATE_EVENING, LA) == at_midnight_gmt
    assert both_paths("DATETIMEVALUE('2026-06-15 10:00:00')", {}, LATE_EVENING, LA) == datetime(
        2026, 6, 15, 10, tzinfo=UTC
    )
    assert both_paths("TIMEVALUE(Created)", {"Created": "2026-06-15T23:30:00-07:00"},
                      LATE_EVENING, LA) == time(6, 30)  # fmt: skip
    assert both_paths("NOW()", {}, LATE_EVENING, LA) == LATE_EVENING


def test_a_fixed_offset_tzinfo_works_and_the_bulk_path_falls_back_for_it() -> None:
    pst = timezone(timedelta(hours=-8))
    record = {"Created": "2026-01-10T05:00:00Z"}  # 21:00 on the 9th at UTC-8
    assert both_paths("DATEVALUE(Created)", record, LATE_EVENING, pst) == date(2026, 1, 9)
    frame = frame_from_records([record], FIELDS)
    assert not plan_bulk(compile_formula("DATEVALUE(Created)", FIELDS), frame, None, tz=pst).native
    assert plan_bulk(compile_formula("DATEVALUE(Created)", FIELDS), frame, None, tz=LA).native


def test_datetimes_whose_local_date_leaves_years_1_to_9999_are_errors_not_crashes() -> None:
    first_hour = {"Created": "0001-01-01T01:00:00Z"}  # still year 0 in Los Angeles
    assert both_paths("DATEVALUE(Created)", first_hour, LATE_EVENING, LA) is None
    with pytest.raises(FormulaError) as raised:
        compile_formula("DATEVALUE(Created)", FIELDS).evaluate(
            first_hour, LATE_EVENING, tz=LA, errors="raise"
        )
    assert raised.value.code == "evaluation"
    with pytest.raises(FormulaError) as raised:
        compile_formula("TODAY()", {}).evaluate({}, datetime(1, 1, 1, 1, tzinfo=UTC), tz=LA)
    assert raised.value.code == "evaluation"  # a now was given: its local date is year 0


@pytest.mark.parametrize(
    "bad",
    ["Mars/Olympus_Mons", "America", "../../etc/passwd", "", "x" * 1000, "America/Los_Angeles ",
     "\x00", 42],
)  # fmt: skip
def test_an_unknown_zone_is_a_formula_error(bad: object) -> None:
    compiled = compile_formula("TODAY()", {})
    for run in (
        lambda: compiled.evaluate({}, LATE_EVENING, tz=bad),  # type: ignore[arg-type]
        lambda: evaluate_bulk(compiled, frame_from_records([{}], {}), LATE_EVENING, tz=bad),  # type: ignore[arg-type]
        lambda: evaluate_bulk_many([compiled], frame_from_records([{}], {}), tz=bad),  # type: ignore[arg-type]
    ):
        with pytest.raises(FormulaError) as raised:
            run()
        assert raised.value.code == "unknown_time_zone"
        assert "unknown time zone" in raised.value.message
        assert len(raised.value.message) < 200


def test_a_zone_is_checked_even_when_the_formula_reads_no_date() -> None:
    with pytest.raises(FormulaError) as raised:
        compile_formula("LEN(Name)", FIELDS).evaluate({"Name": "x"}, tz="Nowhere/Land")
    assert raised.value.code == "unknown_time_zone"


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=fuzz.formulas(),
    record=fuzz.records,
    now=st.datetimes(timezones=st.just(UTC)),  # years 1 to 9999: local dates may not exist
    zone=st.sampled_from(["Pacific/Kiritimati", "Pacific/Pago_Pago", LA, "Asia/Kathmandu"]),
)
def test_random_formulas_in_any_zone_raise_only_formula_error(
    text: str, record: dict[str, object], now: datetime, zone: str
) -> None:
    failure: FormulaError | None = None
    try:
        formula = compile_formula(text, fuzz.FIELDS)
        formula.evaluate(record, now=now, tz=zone)
        formula.evaluate(record, now=now, tz=zone, errors="raise")
    except FormulaError as error:
        failure = error
    assert failure is None or failure.code != "unknown_time_zone", failure
