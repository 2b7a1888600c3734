"""The mirror's write side: the only place sync writes (and reads what sync itself needs).

`Mirror(engine, org_id)` is scoped to one org: every statement it runs is built through its
store.tenancy.OrgScope, so it filters on, or writes, that `org_id` only. Upserts are
dialect-aware (`INSERT ... ON CONFLICT DO UPDATE` on SQLite and PostgreSQL), in chunks, and
idempotent: writing the same record version twice changes nothing, so a sync may overlap or
repeat pages freely. A row never goes back to an older version: an update is skipped when the
stored `system_modstamp` is newer than the incoming one.

Each public method runs in its own transaction (one `session_scope`), which is what makes a page
of a sync atomic. Blocking: async callers use `run_in_threadpool`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import Engine, func, or_, select
from sqlmodel import Session, SQLModel, col

from store.engine import conflict_insert, session_scope
from store.models import (
    Activity,
    DerivedFacts,
    FieldCatalog,
    Opportunity,
    OpportunityFieldHistory,
    OpportunityHistory,
    OpportunityStage,
    Org,
    Organization,
    SfUser,
    SyncState,
)
from store.tenancy import OrgScope, table_of

UPSERT_CHUNK = 500
READ_CHUNK = 500
# The SyncState row (sobject) that records whole sync passes of the org.
ORG_PASS = "_org"  # noqa: S105 (a pass, not a password)


def _defaults(model: type[SQLModel], columns: Sequence[str]) -> dict[str, Any]:
    """The model's default for each column (what a missing key in a row means)."""
    fields = model.model_fields
    return {
        c: fields[c].get_default(call_default_factory=True) if c in fields else None
        for c in columns
    }


def upsert(session: Session, model: type[SQLModel], rows: Sequence[dict[str, Any]]) -> int:
    """Insert or update `rows` (full column dicts) by primary key, in chunks. One statement is
    built per call and executed with many parameter sets: compiling a multi-row VALUES per
    chunk cost most of a sync's time (bench/README.md)."""
    if not rows:
        return 0
    table = table_of(model)
    keys = [c.name for c in table.primary_key.columns]
    columns = [c.name for c in table.columns]
    defaults = _defaults(model, columns)
    insert = conflict_insert(session.get_bind().dialect, table)
    where = None
    if "system_modstamp" in columns:
        # Never replace a newer version with an older one (an overlap or a late page).
        stored = table.c.system_modstamp
        incoming = insert.excluded.system_modstamp
        where = or_(stored.is_(None), incoming.is_(None), incoming >= stored)
    stmt = insert.on_conflict_do_update(
        index_elements=keys,
        set_={c: insert.excluded[c] for c in columns if c not in keys},
        where=where,
    )
    for start in range(0, len(rows), UPSERT_CHUNK):
        chunk = [
            {c: row[c] if c in row else defaults[c] for c in columns}
            for row in rows[start : start + UPSERT_CHUNK]
        ]
        session.execute(stmt, chunk)
    return len(rows)


def _columns(model: type[SQLModel], row_type: type[tuple[Any, ...]]) -> list[Any]:
    """The columns of `model` named like the fields of the NamedTuple `row_type`, in order."""
    table = table_of(model)
    return [table.c[name] for name in row_type._fields]  # type: ignore[attr-defined]


def _grouped(
    session: Session,
    model: type[SQLModel],
    row_type: type[RowT],
    key: str,
    *where: Any,
) -> dict[str, list[RowT]]:
    """Rows of `model` matching `where`, as `row_type` tuples grouped by their `key` column."""
    grouped: dict[str, list[RowT]] = {}
    for row in session.execute(select(*_columns(model, row_type)).where(*where)):
        item = row_type(*row)
        grouped.setdefault(getattr(item, key) or "", []).append(item)
    return grouped


def _chunks(ids: Iterable[str], size: int = READ_CHUNK) -> Iterable[list[str]]:
    unique = list(dict.fromkeys(ids))
    for start in range(0, len(unique), size):
        yield unique[start : start + size]


RowT = TypeVar("RowT", bound=tuple[Any, ...])


class OpportunityFactRow(NamedTuple):
    id: str
    stage_name: str
    amount: Decimal | None
    close_date: date | None
    created_date: datetime | None
    # Straight from the `fields` JSON, as the REST API wrote them (ISO text or None).
    last_stage_change_date: str | None
    last_activity_date: str | None
    next_meeting_date: str | None


class HistoryFactRow(NamedTuple):
    id: str
    opportunity_id: str
    created_date: datetime | None
    stage_name: str | None
    amount: Decimal | None
    close_date: date | None


class FieldChangeFactRow(NamedTuple):
    id: str
    opportunity_id: str
    created_date: datetime | None
    field: str
    old_value: str | None
    new_value: str | None


class ActivityFactRow(NamedTuple):
    what_id: str | None
    kind: str
    activity_date: date | None
    start_datetime: datetime | None
    is_closed: bool


@dataclass(frozen=True)
class FactInputs:
    """What rules.facts needs for a batch of opportunities, loaded in a few queries. Plain
    column tuples, not ORM objects: building those (and parsing every opportunity's `fields`
    JSON) was most of a facts refresh's time."""

    opportunities: list[OpportunityFactRow]
    history: dict[str, list[HistoryFactRow]]
    close_date_changes: dict[str, list[FieldChangeFactRow]]
    activities: dict[str, list[ActivityFactRow]]


class Mirror:
    """One org's mirror (tenant-scoped repository for sync)."""

    def __init__(self, engine: Engine, org_id: str) -> None:
        self.engine = engine
        self.org_id = org_id
        self.scope = OrgScope(org_id)

    # -- org --------------------------------------------------------------------------------------
    def ensure_org(self, **columns: Any) -> None:
        """Create or update this org's row (`name`, `instance_url`, `auth_flow`, ...)."""
        row = {"id": self.org_id, **columns}
        row.setdefault("created_at", datetime.now(UTC))
        with session_scope(self.engine) as session:
            existing = session.get(Org, self.org_id)
            if existing is None:
                session.add(Org(**row))
            else:
                for name, value in columns.items():
                    setattr(existing, name, value)

    def time_zone(self) -> str | None:
        """The org's TimeZoneSidKey as mirrored (None before the pass that mirrors it)."""
        with session_scope(self.engine) as session:
            row = self.scope.get(session, Organization)
            return None if row is None else row.time_zone_sid_key

    # -- records ----------------------------------------------------------------------------------
    def upsert(self, model: type[SQLModel], rows: Sequence[dict[str, Any]]) -> int:
        """Upsert rows of `model` in one transaction; each row gets this org's id."""
        with session_scope(self.engine) as session:
            return upsert(session, model, self.scope.stamp(rows))

    def mark_deleted(self, model: type[SQLModel], ids: Sequence[str]) -> int:
        """Flag rows deleted (they vanish from reads); returns how many rows matched."""
        table = table_of(model)
        count = 0
        with session_scope(self.engine) as session:
            for chunk in _chunks(ids):
                result = session.execute(
                    self.scope.update(model).where(table.c.id.in_(chunk)).values(is_deleted=True)
                )
                count += int(getattr(result, "rowcount", 0) or 0)
        return count

    def opportunity_ids(
        self, *, include_deleted: bool = False, open_only: bool = False
    ) -> list[str]:
        with session_scope(self.engine) as session:
            stmt = select(col(Opportunity.id)).where(self.scope.owns(Opportunity))
            if not include_deleted:
                stmt = stmt.where(col(Opportunity.is_deleted).is_(False))
            if open_only:
                stmt = stmt.where(col(Opportunity.is_closed).is_(False))
            return [str(i) for i in session.execute(stmt).scalars()]

    def open_opportunities_reaching(self, related: Mapping[str, Iterable[str]]) -> set[str]:
        """The open opportunities that reach one of the `related` records (by sObject:
        "Account" ids through AccountId, "User" ids as owner, "UserRole" ids as the owner's
        role), whose formulas' related fields a change of those records moves."""
        reaching = {
            "Account": lambda ids: col(Opportunity.account_id).in_(ids),
            "User": lambda ids: col(Opportunity.owner_id).in_(ids),
            "UserRole": lambda ids: col(Opportunity.owner_id).in_(
                select(col(SfUser.id)).where(
                    self.scope.owns(SfUser), col(SfUser.user_role_id).in_(ids)
                )
            ),
        }
        found: set[str] = set()
        with session_scope(self.engine) as session:
            for sobject, ids in related.items():
                for chunk in _chunks(ids):
                    stmt = select(col(Opportunity.id)).where(
                        self.scope.owns(Opportunity),
                        col(Opportunity.is_deleted).is_(False),
                        col(Opportunity.is_closed).is_(False),
                        reaching[sobject](chunk),
                    )
                    found.update(str(i) for i in session.execute(stmt).scalars())
        return found

    def count(self, model: type[SQLModel], *, include_deleted: bool = False) -> int:
        table = table_of(model)
        stmt = select(func.count()).select_from(table).where(self.scope.owns(model))
        if not include_deleted and "is_deleted" in table.c:
            stmt = stmt.where(table.c.is_deleted.is_(False))
        with session_scope(self.engine) as session:
            return int(session.execute(stmt).scalar_one())

    # -- sync state ------------------------------------------------------------------------------
    def sync_states(self) -> dict[str, SyncState]:
        with session_scope(self.engine) as session:
            rows = session.execute(self.scope.select(SyncState))
            return {s.sobject: s for s in rows.scalars()}

    def _state(self, session: Session, sobject: str) -> SyncState:
        state = self.scope.get(session, SyncState, sobject)
        if state is None:
            state = SyncState(org_id=self.org_id, sobject=sobject)
            session.add(state)
        return state

    def record_attempt(self, sobject: str, at: datetime) -> None:
        with session_scope(self.engine) as session:
            self._state(session, sobject).last_attempt_at = at

    def record_success(
        self, sobject: str, *, watermark: datetime | None, records: int, at: datetime
    ) -> None:
        """The object is synced up to `watermark` (never moved backwards)."""
        with session_scope(self.engine) as session:
            state = self._state(session, sobject)
            if watermark is not None and (state.watermark is None or watermark > state.watermark):
                state.watermark = watermark
            state.last_success_at = at
            state.last_attempt_at = state.last_attempt_at or at
            state.last_error = None
            state.records_synced = records

    def record_failure(self, sobject: str, *, error: str, at: datetime) -> None:
        with session_scope(self.engine) as session:
            state = self._state(session, sobject)
            state.last_attempt_at = at
            state.last_error = error[:1000]

    def synced_at(self) -> datetime | None:
        """When the last complete sync pass of this org started: the mirror is at least that
        fresh (None before the first complete pass)."""
        with session_scope(self.engine) as session:
            state = self.scope.get(session, SyncState, ORG_PASS)
            return None if state is None else state.last_success_at

    # -- metadata ---------------------------------------------------------------------------------
    def save_catalog(self, sobject: str, describe: dict[str, Any], fetched_at: datetime) -> None:
        with session_scope(self.engine) as session:
            row = {"sobject": sobject, "describe": describe, "fetched_at": fetched_at}
            upsert(session, FieldCatalog, self.scope.stamp([row]))

    def load_catalog(self, sobject: str) -> dict[str, Any] | None:
        with session_scope(self.engine) as session:
            row = self.scope.get(session, FieldCatalog, sobject)
            return None if row is None else dict(row.describe)

    def save_stages(self, stages: Sequence[dict[str, Any]]) -> None:
        """Replace this org's stage list."""
        with session_scope(self.engine) as session:
            session.execute(self.scope.delete(OpportunityStage))
            upsert(session, OpportunityStage, self.scope.stamp(stages))

    def load_stages(self) -> list[OpportunityStage]:
        with session_scope(self.engine) as session:
            rows = session.execute(
                self.scope.select(OpportunityStage).order_by(col(OpportunityStage.sort_order))
            )
            return list(rows.scalars())

    # -- derived facts ---------------------------------------------------------------------------
    def load_fact_inputs(self, opportunity_ids: Sequence[str]) -> FactInputs:
        """Opportunities (not deleted), their history, CloseDate changes and activities: four
        queries per READ_CHUNK ids."""
        opportunities: list[OpportunityFactRow] = []
        history: dict[str, list[HistoryFactRow]] = {}
        changes: dict[str, list[FieldChangeFactRow]] = {}
        activities: dict[str, list[ActivityFactRow]] = {}
        owns = self.scope.owns
        fields = col(Opportunity.fields)
        with session_scope(self.engine) as session:
            for chunk in _chunks(opportunity_ids):
                opportunities += (
                    OpportunityFactRow(*row)
                    for row in session.execute(
                        select(
                            col(Opportunity.id), col(Opportunity.stage_name),
                            col(Opportunity.amount), col(Opportunity.close_date),
                            col(Opportunity.created_date),
                            fields["LastStageChangeDate"].as_string(),
                            fields["LastActivityDate"].as_string(),
                            fields["Next_Meeting_Date__c"].as_string(),
                        ).where(
                            owns(Opportunity),
                            col(Opportunity.id).in_(chunk),
                            col(Opportunity.is_deleted).is_(False),
                        )
                    )
                )  # fmt: skip
                history |= _grouped(
                    session, OpportunityHistory, HistoryFactRow, "opportunity_id",
                    owns(OpportunityHistory),
                    col(OpportunityHistory.opportunity_id).in_(chunk),
                    col(OpportunityHistory.is_deleted).is_(False),
                )  # fmt: skip
                changes |= _grouped(
                    session, OpportunityFieldHistory, FieldChangeFactRow, "opportunity_id",
                    owns(OpportunityFieldHistory),
                    col(OpportunityFieldHistory.opportunity_id).in_(chunk),
                    col(OpportunityFieldHistory.field) == "CloseDate",
                    col(OpportunityFieldHistory.is_deleted).is_(False),
                )  # fmt: skip
                activities |= _grouped(
                    session, Activity, ActivityFactRow, "what_id",
                    owns(Activity),
                    col(Activity.what_id).in_(chunk),
                    col(Activity.is_deleted).is_(False),
                )  # fmt: skip
        return FactInputs(opportunities, history, changes, activities)

    def save_facts(self, rows: Sequence[dict[str, Any]]) -> int:
        return self.upsert(DerivedFacts, rows)

    def delete_facts(self, opportunity_ids: Sequence[str]) -> None:
        with session_scope(self.engine) as session:
            for chunk in _chunks(opportunity_ids):
                session.execute(
                    self.scope.delete(DerivedFacts).where(
                        col(DerivedFacts.opportunity_id).in_(chunk)
                    )
                )
