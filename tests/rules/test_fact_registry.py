"""The facts registry: names that cannot collide, types that agree, and one computation of
each fact whether it is stored or read at a moment."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from rules.catalog import FACT_FIELDS
from rules.fact_registry import (
    EXPOSED_FACTS,
    FACTS,
    LAST_ACTIVITY_DATE,
    STORED_FACTS,
    Moment,
    StoredInputs,
    fact_value,
    fact_values,
    stored_values,
)
from rules.facts import ActivityEntry, HistoryEntry, OpportunitySnapshot, StageInfo
from rules.formula.types import FormulaType, field_type
from tests.devorg_server import RunningDevorg

NOW = datetime(2026, 6, 15, 14, 30, tzinfo=UTC)
# The formula types a fact's Python values can be read as.
FORMULA_TYPES_OF = {
    int: {FormulaType.NUMBER},
    Decimal: {FormulaType.NUMBER, FormulaType.CURRENCY},
    date: {FormulaType.DATE},
    datetime: {FormulaType.DATETIME},
}


def test_fact_names_are_camel_case_and_unique() -> None:
    names = [fact.name for fact in FACTS]
    assert len({n.lower() for n in names}) == len(names)
    assert all(re.fullmatch(r"[A-Z][a-z]+(?:[A-Z][a-z]+)+", n) for n in names), names
    assert {fact.key for fact in FACTS} == {
        re.sub(r"(?<!^)([A-Z])", r"_\1", n).lower() for n in names
    }


def test_no_exposed_fact_takes_the_name_of_an_opportunity_field(devorg: RunningDevorg) -> None:
    """Formulas read facts and describe fields from one catalog: a fact named like a standard
    field would shadow it (custom fields end in __c, facts never do)."""
    describe = devorg.sf().Opportunity.describe()
    fields = {str(f["name"]).lower() for f in describe["fields"]}
    assert not [f.name for f in EXPOSED_FACTS if f.name.lower() in fields]
    # ... which is why the stored last activity date is not exposed under its name.
    assert LAST_ACTIVITY_DATE.name.lower() in fields
    assert not LAST_ACTIVITY_DATE.exposed


def test_each_fact_type_reads_its_python_values() -> None:
    for fact in FACTS:
        formula_type = field_type(fact.formula_type)
        assert formula_type in FORMULA_TYPES_OF[fact.python_type], fact.name


def test_stored_values_are_the_stored_facts_computed_by_rules_facts() -> None:
    opportunity = OpportunitySnapshot(
        "006A", "Proposal", amount=Decimal("120.00"), created_date=NOW - timedelta(days=40),
        last_activity_date=date(2026, 6, 1),
    )  # fmt: skip
    history = [
        HistoryEntry(
            "h1", NOW - timedelta(days=40), "Prospecting", Decimal("100.00"), date(2026, 7, 1)
        ),
        HistoryEntry(
            "h2", NOW - timedelta(days=12, hours=3), "Proposal", Decimal("120.00"), date(2026, 8, 1)
        ),
    ]
    meeting = ActivityEntry("Event", start=NOW + timedelta(days=3))
    stages = [StageInfo("Prospecting", 1), StageInfo("Proposal", 2)]
    values = stored_values(StoredInputs(opportunity, history, [], [meeting], stages, Moment(NOW)))
    assert set(values) == {fact.key for fact in STORED_FACTS}
    assert values == {
        "stage_entered_at": NOW - timedelta(days=12, hours=3),
        "stage_number": 2,
        "close_date_push_count": 1,
        "amount_change_since_creation": Decimal("20.00"),
        "last_activity_date": date(2026, 6, 1),
        "next_meeting_date": (NOW + timedelta(days=3)).date(),
    }
    assert type(values["amount_change_since_creation"]) is Decimal


def test_read_time_facts_follow_the_moment_and_blank_without_stored_facts() -> None:
    stored = {"stage_entered_at": NOW - timedelta(days=12, hours=3), "stage_number": 2,
              "close_date_push_count": 1, "last_activity_date": date(2026, 6, 1)}  # fmt: skip
    created = NOW - timedelta(days=40)
    today = fact_values(stored, created_date=created, moment=Moment(NOW))
    later = fact_values(stored, created_date=created, moment=Moment(NOW + timedelta(days=5)))
    assert set(today) == set(FACT_FIELDS)
    assert (today["DaysInStage"], later["DaysInStage"]) == (12, 17)
    assert (today["DaysSinceLastActivity"], later["DaysSinceLastActivity"]) == (14, 19)
    assert (today["AgeInDays"], later["AgeInDays"]) == (40, 45)
    assert today["StageNumber"] == later["StageNumber"] == 2
    alone = {
        f.name: fact_value(f, stored, created_date=created, moment=Moment(NOW))
        for f in EXPOSED_FACTS
    }
    assert alone == today
    never = fact_values({}, created_date=created, moment=Moment(NOW))
    assert never == dict.fromkeys(FACT_FIELDS) | {"AgeInDays": 40}
