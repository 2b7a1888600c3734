"""The evaluation pass's read: the open opportunities of an org straight into a bulk frame,
with the values `rules.evaluation_records.evaluation_frame` gives over
`store.evaluation.load_evaluation_sources` (the reference, which tests hold it to), fast:

- Only what the formulas reference is read: their fields, the joins their related fields need,
  the facts' columns when a fact is referenced.
- The `fields` JSON is not decoded whole: the database extracts the referenced fields of each
  row into one small JSON array (SQLite `json_extract` with many paths, PostgreSQL
  `json_build_array`), which `json.loads` (the JSON column type's own decoder) reads, so the
  values are the ones the whole document gives. Field names are matched as the describe spells
  them, which is how the sync writes the JSON.
- Rows come from the driver without SQLAlchemy's per-value result processing; the columns
  whose type needs it are decoded a column at a time (SQLite's text datetimes and dates, its
  money in units), with the column type's own processor for anything else.
- Frame columns are built from whole columns (`rules.evaluation_columns`) and a row's record
  only when the interpreter asks for it (`ColumnRecords`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import Any

import polars as pl
from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Engine,
    Text,
    and_,
    case,
    cast,
    column,
    false,
    func,
    inspect,
    select,
    true,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeEngine
from sqlmodel import SQLModel, col

from rules.catalog import FACT_FIELDS
from rules.evaluation_columns import bulk_column
from rules.evaluation_records import ColumnRecords, fact_columns, fact_inputs
from rules.fact_registry import STORED_FACTS, Moment
from rules.formula.bulk_frame import BulkFrame, raw_value
from rules.formula.checker import Catalog
from rules.formula.types import FormulaType
from store.column_reads import SQLITE_TIME_FORMAT, raw_rows
from store.mirror import READ_CHUNK
from store.models import DerivedFacts, Opportunity, SfUser, UserRole, fact_column
from store.related_columns import JOINS, RELATED_COLUMNS
from store.tenancy import OrgScope
from store.types import Money, UtcDateTime

# PostgreSQL takes at most 100 arguments per function: more fields are read whole.
MAX_EXTRACTED = 90


@dataclass(frozen=True)
class EvaluationFrame:
    """The open opportunities of an org as one bulk frame: their ids in row order (by id), the
    frame, and each one's exact Amount column (None where blank)."""

    ids: list[str]
    frame: BulkFrame
    amounts: list[Decimal | None]


def _wanted(catalog: Mapping[str, str], references: Collection[str] | None) -> list[str]:
    """The catalog spellings of `references` (every catalog name for None), in catalog order
    (the reference frame's column order); KeyError for a name the catalog lacks."""
    lookup = Catalog(catalog)
    chosen: set[str] = set()
    for name in catalog if references is None else references:
        found = lookup.lookup(name)
        if found is None:
            raise KeyError(f"{name!r} is not in the catalog")
        chosen.add(found[0])
    return [spelling for spelling in lookup.names() if spelling in chosen]


@dataclass
class _Plan:
    """The selected columns, by label, in order, and how the rows become raw columns."""

    fields: list[str]
    facts: list[str]
    related: list[str]
    whole_document: bool = False
    # what the facts are computed from: stored fact keys, and the CreatedDate
    fact_keys: list[str] = field(default_factory=list)
    created: bool = False

    def columns(self, dialect: Dialect) -> list[tuple[str, Any]]:
        chosen: list[tuple[str, Any]] = [("id", col(Opportunity.id)),
                                         ("amount", col(Opportunity.amount))]  # fmt: skip
        if self.fields:
            chosen.append(("fields", self._fields(dialect)))
        if "Amount" in self.fields:
            chosen.append(("has_amount", self._has_amount(dialect)))
        if self.created:
            chosen.append(("created_date", col(Opportunity.created_date)))
        chosen += [(f.key, fact_column(f)) for f in STORED_FACTS if f.key in self.fact_keys]
        chosen += [(name, RELATED_COLUMNS[name]) for name in self.related]
        return chosen

    def _fields(self, dialect: Dialect) -> Any:
        document = col(Opportunity.fields)
        if self.whole_document:
            return cast(document, Text)
        if dialect.name == "postgresql":
            # the values as the JSON spells them (json, not jsonb: its text is kept as written)
            return cast(func.json_build_array(*self.record.c), Text)
        paths = [f'$."{name}"' for name in self.fields]
        # two paths at least: json_extract gives one path's bare value, not an array
        return func.json_extract(cast(document, Text), *(paths * 2 if len(paths) == 1 else paths))

    @cached_property
    def record(self) -> Any:
        """PostgreSQL: the referenced fields of each row's JSON, parsed once per row (one
        json_extract_path per field parses the whole document each time: 4x slower)."""
        columns = [column(name, JSON) for name in self.fields]
        fields = func.json_to_record(col(Opportunity.fields)).table_valued(*columns)
        return fields.render_derived(name="document", with_types=True)

    def _has_amount(self, dialect: Dialect) -> Any:
        """Whether the JSON has the key Amount (the reference takes the exact column then)."""
        document = col(Opportunity.fields)
        if dialect.name == "postgresql":
            # json_to_record gives NULL for a JSON null and for no key: look only then
            return case(
                (self.record.c["Amount"].is_not(None), true()),
                else_=func.json_extract_path(document, "Amount").is_not(None),
            )
        return func.json_type(cast(document, Text), '$."Amount"').is_not(None)


def _table(model: type[SQLModel]) -> Any:
    return inspect(model).local_table


def _query(plan: _Plan, dialect: Dialect, org_id: str, ids: Sequence[str] | None) -> Any:
    columns = plan.columns(dialect)
    query = select(*(selected for _, selected in columns)).select_from(Opportunity)
    if plan.fields and not plan.whole_document and dialect.name == "postgresql":
        query = query.join(plan.record, true())  # a function in FROM sees the row (lateral)
    if plan.fact_keys:
        query = query.outerjoin(DerivedFacts, and_(
            col(DerivedFacts.org_id) == col(Opportunity.org_id),
            col(DerivedFacts.opportunity_id) == col(Opportunity.id),
        ))  # fmt: skip
    tables = {RELATED_COLUMNS[name].table for name in plan.related}
    if _table(UserRole) in tables:  # the role is reached through the owner
        tables.add(_table(SfUser))
    for model, on in JOINS.values():
        if _table(model) in tables:
            query = query.outerjoin(model, on)
    query = query.where(
        OrgScope(org_id).owns(Opportunity),
        col(Opportunity.is_deleted) == false(),
        col(Opportunity.is_closed) == false(),
    )
    if ids is not None:
        query = query.where(col(Opportunity.id).in_(ids))
    return query.order_by(col(Opportunity.id))


def _sqlite_decoder(kind: TypeEngine[Any]) -> Callable[[Sequence[Any]], list[Any]] | None:
    """SQLite's stored form of a column type, decoded a column at a time (what the type's
    result processor does per value); None where the raw value is already the value."""
    if isinstance(kind, UtcDateTime):
        return lambda raws: (
            pl.Series(raws, dtype=pl.String())
            .str.to_datetime(SQLITE_TIME_FORMAT, time_zone="UTC", strict=True)
            .to_list()
        )
    if isinstance(kind, Money):
        quantum = 10**kind.scale
        return lambda raws: (
            pl.Series(raws, dtype=pl.Int64()).cast(pl.Decimal(38, kind.scale)) / quantum
        ).to_list()
    if isinstance(kind, Date):
        return lambda raws: (
            pl.Series(raws, dtype=pl.String()).str.to_date("%Y-%m-%d", strict=True).to_list()
        )
    if isinstance(kind, Boolean):
        return lambda raws: [None if raw is None else bool(raw) for raw in raws]
    return None


def _decoded(dialect: Dialect, column: Any, code: Any, raws: Sequence[Any]) -> Sequence[Any]:
    kind = column.type
    if dialect.name == "sqlite":
        decoder = _sqlite_decoder(kind)
        if decoder is not None:
            return decoder(raws)
    processor = kind._cached_result_processor(dialect, code)
    return raws if processor is None else [processor(raw) for raw in raws]


def _read(
    engine: Engine, plan: _Plan, org_id: str, opportunity_ids: Sequence[str] | None
) -> dict[str, Sequence[Any]]:
    """Column label -> the decoded values of every row, rows by id."""
    dialect = engine.dialect
    labelled = plan.columns(dialect)
    rows: list[Any] = []
    codes: list[Any] = [None] * len(labelled)
    with engine.connect() as connection:
        if opportunity_ids is None:
            rows, codes = raw_rows(connection, _query(plan, dialect, org_id, None))
        else:
            unique = list(dict.fromkeys(opportunity_ids))
            for start in range(0, len(unique), READ_CHUNK):
                chunk = unique[start : start + READ_CHUNK]
                chunk_rows, codes = raw_rows(connection, _query(plan, dialect, org_id, chunk))
                rows += chunk_rows
            rows.sort(key=lambda row: row[0])
    transposed = list(zip(*rows, strict=True)) if rows else [()] * len(labelled)
    columns: dict[str, Sequence[Any]] = {}
    for (label, selected), code, raws in zip(labelled, codes, transposed, strict=True):
        columns[label] = raws if label == "fields" else _decoded(dialect, selected, code, raws)
    return columns


def _field_columns(plan: _Plan, columns: Mapping[str, Sequence[Any]]) -> dict[str, list[Any]]:
    """The referenced describe fields, each a column of what the reference record holds
    (Amount from its exact column where the JSON has the key)."""
    texts = columns["fields"]
    if plan.whole_document:
        documents = [json.loads(text) for text in texts]
        values = {
            name: [d[name] if name in d else raw_value(d, name) for d in documents]
            for name in plan.fields
        }
    else:
        arrays = [json.loads(text) for text in texts]
        transposed = list(zip(*arrays, strict=False)) if arrays else [()] * len(plan.fields)
        values = {name: list(transposed[i]) for i, name in enumerate(plan.fields)}
    if "Amount" in values:
        values["Amount"] = [
            amount if has else None
            for amount, has in zip(columns["amount"], columns["has_amount"], strict=True)
        ]
    return values


def load_evaluation_frame(
    engine: Engine,
    org_id: str,
    catalog: Mapping[str, str],
    moment: Moment,
    *,
    references: Collection[str] | None = None,
    opportunity_ids: Sequence[str] | None = None,
) -> EvaluationFrame:
    """The bulk frame of the open opportunities of `org_id` (all, or those of
    `opportunity_ids`) at `moment`, with a column per name of `references` (formula names,
    any case; every catalog name for None). Formulas evaluated over it must reference only
    those names. One query per READ_CHUNK ids (one in all for None)."""
    wanted = _wanted(catalog, references)
    facts = [name for name in wanted if name in FACT_FIELDS]
    related = [name for name in wanted if name in RELATED_COLUMNS and name not in FACT_FIELDS]
    fields = [name for name in wanted if name not in FACT_FIELDS and name not in RELATED_COLUMNS]
    fact_keys, created = fact_inputs(facts)
    plan = _Plan(fields, facts, related, len(fields) > MAX_EXTRACTED, fact_keys, created)
    columns = _read(engine, plan, org_id, opportunity_ids)
    height = len(columns["id"])
    raw: dict[str, Sequence[Any]] = {}
    if fields:
        raw |= _field_columns(plan, columns)
    if facts:
        stored = {key: columns[key] for key in fact_keys}
        raw |= fact_columns(facts, stored, columns.get("created_date"), moment, height)
    raw |= {name: columns[name] for name in related}
    lookup = Catalog(catalog)
    series: list[pl.Series] = []
    types: dict[str, FormulaType] = {}
    unfit: dict[str, frozenset[int]] = {}
    for name in wanted:
        found = lookup.lookup(name)
        assert found is not None
        column, bad = bulk_column(name, found[1], raw[name])
        series.append(column)
        types[name] = found[1]
        if bad:
            unfit[name] = bad
    records = ColumnRecords({name: raw[name] for name in wanted}, height)
    frame = BulkFrame(pl.DataFrame(series), types, unfit, records)
    return EvaluationFrame(list(columns["id"]), frame, list(columns["amount"]))
