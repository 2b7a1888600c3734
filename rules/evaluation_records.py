"""What a formula reads of one opportunity, shaped from what the mirror holds: its mirrored
fields, the fields of its related records under their dotted names (`Account.Industry`,
`Owner.UserRole.Name`) and its derived facts at a moment. The same records feed the
interpreter (`CompiledFormula.evaluate(record, now)`) and the bulk path
(`evaluation_frame` -> `rules.formula.bulk.evaluate_bulk_many`), so both see the same values.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, overload

from rules.catalog import RELATED_FIELDS
from rules.fact_registry import (
    AGE_IN_DAYS,
    DAYS_IN_STAGE,
    DAYS_SINCE_LAST_ACTIVITY,
    EXPOSED_FACTS,
    LAST_ACTIVITY_DATE,
    STAGE_ENTERED_AT,
    STORED_FACTS,
    Fact,
    Moment,
    ReadInputs,
    ReadTime,
    fact_values,
)
from rules.formula.bulk_frame import BulkFrame, frame_from_records


@dataclass(frozen=True)
class EvaluationSource:
    """One opportunity as the mirror holds it (see `store.evaluation`)."""

    opportunity_id: str
    # Every mirrored describe field, as the REST API returned it.
    fields: Mapping[str, Any]
    created_date: datetime | None
    # Its stored facts by `Fact.key`; empty before they are first computed.
    stored_facts: Mapping[str, Any]
    # Related fields by formula name (keys of RELATED_FIELDS); None where there is no record.
    related: Mapping[str, Any]


def evaluation_record(source: EvaluationSource, moment: Moment) -> dict[str, Any]:
    """The record a formula evaluates for `source` at `moment`: fields, related fields (every
    one of RELATED_FIELDS, blank when missing) and facts by formula name."""
    related = {name: source.related.get(name) for name in RELATED_FIELDS}
    facts = fact_values(source.stored_facts, created_date=source.created_date, moment=moment)
    return {**source.fields, **related, **facts}


def evaluation_frame(
    sources: Sequence[EvaluationSource], catalog: Mapping[str, str], moment: Moment
) -> BulkFrame:
    """The bulk frame of `sources` at `moment` for `catalog` (`rules.catalog.rule_catalog`),
    built once for all the formulas evaluated over it."""
    return frame_from_records([evaluation_record(s, moment) for s in sources], catalog)


class ColumnRecords(Sequence[Mapping[str, Any]]):
    """The records of a frame built from columns, made on demand: only the rows the bulk path
    hands to the interpreter need one. Each holds the columns' raw values (what
    `evaluation_record` gives for those names)."""

    def __init__(self, columns: Mapping[str, Sequence[Any]], height: int) -> None:
        self._columns = columns
        self._height = height

    def __len__(self) -> int:
        return self._height

    @overload
    def __getitem__(self, index: int) -> Mapping[str, Any]: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Mapping[str, Any]]: ...
    def __getitem__(self, index: int | slice) -> Mapping[str, Any] | Sequence[Mapping[str, Any]]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._height))]
        if not -self._height <= index < self._height:
            raise IndexError(index)
        return {name: values[index] for name, values in self._columns.items()}


class _StoredRow(Mapping[str, Any]):
    """One row of stored fact columns, by `Fact.key` (a blank where there is no facts row)."""

    def __init__(self, columns: Mapping[str, Sequence[Any]], row: int) -> None:
        self._columns = columns
        self._row = row

    def __getitem__(self, key: str) -> Any:
        return self._columns[key][self._row]

    def __iter__(self) -> Iterator[str]:
        return iter(self._columns)

    def __len__(self) -> int:
        return len(self._columns)


# The read-time facts computed over whole columns, each with the stored fact it counts the
# days from (None: from the opportunity's CreatedDate).
_DAY_COUNTS: dict[str, Fact | None] = {
    DAYS_IN_STAGE.name: STAGE_ENTERED_AT,
    AGE_IN_DAYS.name: None,
    DAYS_SINCE_LAST_ACTIVITY.name: LAST_ACTIVITY_DATE,
}


def fact_inputs(names: Collection[str]) -> tuple[list[str], bool]:
    """What the facts `names` are computed from: the keys of the stored facts they need, and
    whether they need the opportunity's CreatedDate."""
    keys: set[str] = set()
    created = False
    for fact in EXPOSED_FACTS:
        if fact.name not in names:
            continue
        if not isinstance(fact.computed, ReadTime):
            keys.add(fact.key)
        elif fact.name in _DAY_COUNTS:
            counted_from = _DAY_COUNTS[fact.name]
            if counted_from is None:
                created = True
            else:
                keys.add(counted_from.key)
        else:  # a read-time fact computed from anything: all of it
            return [f.key for f in STORED_FACTS], True
    return [f.key for f in STORED_FACTS if f.key in keys], created


def fact_columns(
    names: Collection[str],
    stored: Mapping[str, Sequence[Any]],
    created_dates: Sequence[datetime | None] | None,
    moment: Moment,
    height: int,
) -> dict[str, list[Any]]:
    """The values of the facts `names` (formula names of EXPOSED_FACTS), row by row, as
    `fact_values` gives them, from the columns `fact_inputs` asks for: `stored`, a column per
    stored fact key (None where the opportunity has no facts row: fact_values reads a missing
    key as blank, too), and `created_dates` (None where not asked for)."""
    created = [None] * height if created_dates is None else created_dates
    columns: dict[str, list[Any]] = {}
    for fact in EXPOSED_FACTS:
        if fact.name not in names:
            continue
        if not isinstance(fact.computed, ReadTime):
            columns[fact.name] = list(stored[fact.key])
            continue
        try:
            columns[fact.name] = _day_count(fact, stored, created, moment)
        except (KeyError, OverflowError):  # another fact, or a date beyond year 9999 locally
            compute = fact.computed.compute
            columns[fact.name] = [
                compute(ReadInputs(_StoredRow(stored, row), created_date, moment))
                for row, created_date in enumerate(created)
            ]
    return columns


def _day_count(
    fact: Fact,
    stored: Mapping[str, Sequence[Any]],
    created_dates: Sequence[datetime | None],
    moment: Moment,
) -> list[int | None]:
    """The registry's day-count facts over whole columns: the calendar days of `rules.facts`
    (local dates in the org's zone) without a call per row. KeyError for another fact;
    OverflowError where a local date leaves years 1-9999 (the caller then computes the facts
    one by one, as `rules.facts` handles that corner)."""
    counted_from = _DAY_COUNTS[fact.name]
    zone = moment.tz
    today = moment.now.astimezone(zone).date()
    if fact is DAYS_SINCE_LAST_ACTIVITY:
        activity = stored[LAST_ACTIVITY_DATE.key]
        return [None if day is None else (today - day).days for day in activity]
    moments = created_dates if counted_from is None else stored[counted_from.key]
    return [
        None if at is None else max(0, (today - at.astimezone(zone).date()).days) for at in moments
    ]
