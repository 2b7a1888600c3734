"""The derived facts of an opportunity, each defined once, here.

A fact has
- a formula name, CamelCase as rules write it (`DaysInStage`). It has no `__c`, so it never
  collides with a custom field, and no exposed fact takes the name of a standard Opportunity
  field (a test checks both);
- the Salesforce field type the formula catalog gives it (number, currency, date, datetime);
- its Python type: the type of its values, of its column and of its GraphQL field;
- how it is computed, which also says where it lives:
  `Stored`: a column of `derived_facts` named `fact.key` (the name in snake_case), computed
  from the mirror after each sync and on a clock tick (`stored_values`);
  `ReadTime`: computed whenever it is read, from the stored values, the opportunity and the
  moment (`fact_values`); day counts change every day, so they are never stored.
  Both call the pure functions of `rules.facts`.

Everything else derives from `FACTS`: the formula catalog (`rules.catalog.FACT_FIELDS`), the
fact columns of `store.models.DerivedFacts`, the row the refresh pipeline writes
(`stored_values`), the values a formula and the GraphQL API read (`fact_values`, one function
for both, so a day count is computed in one place) and the GraphQL fields of `Opportunity`
(`schema.facts`, named and described here).

Adding a fact touches this registry, its computation in `rules.facts`, a migration (for a
stored fact) and the SDL (`dealpulse export-schema`), nothing else.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal
from functools import cached_property
from typing import Any

from rules import facts
from rules.facts import ActivityEntry, FieldChange, HistoryEntry, OpportunitySnapshot, StageInfo
from rules.names import snake_case


@dataclass(frozen=True)
class Moment:
    """When facts are read or computed: the instant, and the time zone whose calendar the day
    counts follow (the org's)."""

    now: datetime
    tz: tzinfo = UTC


@dataclass(frozen=True)
class StoredInputs:
    """What a stored fact is computed from: one opportunity, its history, CloseDate changes and
    activities, the org's stages, and the moment of the refresh."""

    opportunity: OpportunitySnapshot
    history: Sequence[HistoryEntry]
    changes: Sequence[FieldChange]
    activities: Sequence[ActivityEntry]
    stages: Sequence[StageInfo]
    moment: Moment


@dataclass(frozen=True)
class ReadInputs:
    """What a read-time fact is computed from: the stored values (by `Fact.key`; empty before
    the opportunity's facts are first computed), the opportunity's CreatedDate, the moment."""

    stored: Mapping[str, Any]
    created_date: datetime | None
    moment: Moment

    def __getitem__(self, fact: Fact) -> Any:
        return self.stored.get(fact.key)


@dataclass(frozen=True)
class Stored:
    compute: Callable[[StoredInputs], object]


@dataclass(frozen=True)
class ReadTime:
    compute: Callable[[ReadInputs], object]


@dataclass(frozen=True)
class Fact:
    name: str
    formula_type: str
    python_type: type
    computed: Stored | ReadTime
    # The GraphQL field's description (None: the field has none).
    description: str | None = None
    # False for a count, which always has a value: its column is NOT NULL.
    nullable: bool = True
    # False for a stored value that only feeds read-time facts: in neither the formula catalog
    # nor the GraphQL API (e.g. a name that a standard field already has).
    exposed: bool = True

    @cached_property
    def key(self) -> str:
        """The column, Python attribute and stored-value key: `days_in_stage`."""
        return snake_case(self.name)

    @cached_property
    def graphql_name(self) -> str:
        return self.name[0].lower() + self.name[1:]

    @property
    def stored(self) -> bool:
        return isinstance(self.computed, Stored)


STAGE_ENTERED_AT = Fact(
    "StageEnteredAt", "datetime", datetime,
    Stored(lambda i: facts.stage_entered_at(i.opportunity, i.history)),
)  # fmt: skip
DAYS_IN_STAGE = Fact(
    "DaysInStage", "number", int,
    ReadTime(lambda r: facts.days_in_stage(r[STAGE_ENTERED_AT], r.moment.now, tz=r.moment.tz)),
    description="Calendar days, in the org's time zone, since the deal entered its current stage.",
)  # fmt: skip
STAGE_NUMBER = Fact(
    "StageNumber", "number", int,
    Stored(lambda i: facts.stage_number(i.opportunity.stage_name, i.stages)),
    description="Rank of the stage by SortOrder among open stages.",
)  # fmt: skip
CLOSE_DATE_PUSH_COUNT = Fact(
    "CloseDatePushCount", "number", int,
    Stored(lambda i: facts.close_date_push_count(i.changes, i.history)),
    nullable=False,
)  # fmt: skip
AMOUNT_CHANGE_SINCE_CREATION = Fact(
    "AmountChangeSinceCreation", "currency", Decimal,
    Stored(lambda i: facts.amount_change_since_creation(i.opportunity, i.history)),
)  # fmt: skip
# Opportunity.LastActivityDate is a standard field, which formulas read under this name: the
# fact (which also counts completed tasks and past events) only feeds DaysSinceLastActivity.
LAST_ACTIVITY_DATE = Fact(
    "LastActivityDate", "date", date,
    Stored(lambda i: facts.last_activity_date(
        i.opportunity, i.activities, i.moment.now, tz=i.moment.tz
    )),
    exposed=False,
)  # fmt: skip
DAYS_SINCE_LAST_ACTIVITY = Fact(
    "DaysSinceLastActivity", "number", int,
    ReadTime(lambda r: facts.days_since_last_activity(
        r[LAST_ACTIVITY_DATE], r.moment.now, tz=r.moment.tz
    )),
)  # fmt: skip
NEXT_MEETING_DATE = Fact(
    "NextMeetingDate", "date", date,
    Stored(lambda i: facts.next_meeting_date(
        i.opportunity, i.activities, i.moment.now, tz=i.moment.tz
    )),
)  # fmt: skip
AGE_IN_DAYS = Fact(
    "AgeInDays", "number", int,
    ReadTime(lambda r: facts.age_in_days(r.created_date, r.moment.now, tz=r.moment.tz)),
)  # fmt: skip

# In the order of the GraphQL fields.
FACTS: tuple[Fact, ...] = (
    STAGE_ENTERED_AT,
    DAYS_IN_STAGE,
    STAGE_NUMBER,
    CLOSE_DATE_PUSH_COUNT,
    AMOUNT_CHANGE_SINCE_CREATION,
    LAST_ACTIVITY_DATE,
    DAYS_SINCE_LAST_ACTIVITY,
    NEXT_MEETING_DATE,
    AGE_IN_DAYS,
)
STORED_FACTS: tuple[Fact, ...] = tuple(f for f in FACTS if f.stored)
EXPOSED_FACTS: tuple[Fact, ...] = tuple(f for f in FACTS if f.exposed)


def stored_values(inputs: StoredInputs) -> dict[str, object]:
    """Every stored fact of one opportunity, by `Fact.key`: the columns of its derived_facts
    row."""
    values: dict[str, object] = {}
    for fact in STORED_FACTS:
        assert isinstance(fact.computed, Stored)
        values[fact.key] = fact.computed.compute(inputs)
    return values


def _read(fact: Fact, inputs: ReadInputs) -> object:
    if isinstance(fact.computed, ReadTime):
        return fact.computed.compute(inputs)
    return inputs[fact]


def fact_values(
    stored: Mapping[str, Any], *, created_date: datetime | None, moment: Moment
) -> dict[str, object]:
    """Every exposed fact of one opportunity at `moment`, by formula name: what a formula record
    reads. `stored` is the opportunity's stored values by `Fact.key` (empty when they were
    never computed: those facts are then blank)."""
    inputs = ReadInputs(stored, created_date, moment)
    return {fact.name: _read(fact, inputs) for fact in EXPOSED_FACTS}


def fact_value(
    fact: Fact, stored: Mapping[str, Any], *, created_date: datetime | None, moment: Moment
) -> object:
    """One fact of `fact_values`, computed alone (what one GraphQL field reads)."""
    return _read(fact, ReadInputs(stored, created_date, moment))
