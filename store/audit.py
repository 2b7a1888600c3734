"""The audit trail of writes: every attempt a person makes through dealpulse (a quick-fix, a
check-in, a snooze, a dismissal, a milestone), applied or refused or failed, one row per field
written (store.write_models.AuditEntry). Rows are only ever inserted.

Values before and after are kept as JSON: `jsonable` turns money (Decimal) into its exact
decimal text ("58500.00", never a float) and dates and moments into ISO 8601, so what the
trail shows is what Salesforce held, on both databases.

Every statement is built through store.tenancy.OrgScope. Blocking: async callers use
`run_in_threadpool`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import Engine, func, insert
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from rules.process import AuditAction, AuditOutcome
from store.engine import session_scope
from store.process_models import new_id
from store.tenancy import OrgScope, table_of
from store.write_models import ERROR_MAX_LENGTH, AuditEntry

# Ids per statement of audit_log: bounded so a DataLoader's batch never builds an IN list
# larger than the databases handle well.
CHUNK = 500


@dataclass(frozen=True)
class AuditRecord:
    """What a caller writes to the trail: one attempt on one field (or none, for an action
    that sets no field: a dismissal, a check-in's note)."""

    user_id: str
    action: AuditAction
    opportunity_id: str
    outcome: AuditOutcome
    field: str | None = None
    old_value: object = None
    new_value: object = None
    alert_id: str | None = None
    error: str | None = None
    request_id: str | None = None
    connection: str = ""
    client_id: str | None = None


def jsonable(value: object) -> Any:
    """`value` as JSON-ready data: Decimal as its exact decimal text ("58500.00", with no
    exponent), date, time and datetime in ISO 8601 (a datetime in UTC), an enum member as its
    name, tuples and sets as lists, mapping keys as text. TypeError for anything else (an
    object the trail cannot show faithfully is a bug to see, not to stringify); ValueError for
    a naive datetime, as the UTC columns refuse it."""
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the audit trail")
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.name
    if isinstance(value, Mapping):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    if isinstance(value, set | frozenset):
        return sorted((jsonable(item) for item in value), key=repr)
    raise TypeError(f"cannot store a {type(value).__name__} in the audit trail")


def _row(org_id: str, record: AuditRecord, at: datetime) -> AuditEntry:
    error = record.error
    if error is not None and len(error) > ERROR_MAX_LENGTH:
        error = error[: ERROR_MAX_LENGTH - 1] + "\u2026"  # an ellipsis says it was cut
    return AuditEntry(
        org_id=org_id,
        id=new_id("aud"),
        at=at,
        user_id=record.user_id,
        action=record.action.name,
        opportunity_id=record.opportunity_id,
        alert_id=record.alert_id,
        field=record.field,
        old_value=jsonable(record.old_value),
        new_value=jsonable(record.new_value),
        outcome=record.outcome.name,
        error=error,
        request_id=record.request_id,
        connection=record.connection,
        client_id=record.client_id,
    )


def record_audit(
    engine: Engine, org_id: str, records: Sequence[AuditRecord], at: datetime
) -> list[AuditEntry]:
    """The records, written to the org's trail at `at` in one transaction and one INSERT
    (executed for many rows), in the order given. Values are converted by `jsonable` first,
    so a value the trail cannot hold fails before anything is written."""
    if not records:
        return []
    entries = [_row(org_id, record, at) for record in records]
    scope = OrgScope(org_id)
    # Column values as the table names them: an ORM flush would send one INSERT per row on
    # some drivers; a Core insert with a list of parameters is one executemany.
    values = scope.stamp(entry.model_dump() for entry in entries)
    with session_scope(engine) as session:
        session.execute(insert(table_of(AuditEntry)), values)
    return entries


def audit_log(
    engine: Engine, org_id: str, opportunity_ids: Collection[str], *, limit: int = 200
) -> dict[str, list[AuditEntry]]:
    """The trail of each opportunity, newest first, at most `limit` entries each, in one
    statement per CHUNK ids (a DataLoader's batch: one statement for any batch up to CHUNK).
    Opportunities with no entry are absent. Entries written at the same moment (one
    quick-fix's fields) come in a stable order, by id."""
    if limit < 1:
        raise ValueError("limit must be at least 1")
    ids = sorted(set(opportunity_ids))
    found: dict[str, list[AuditEntry]] = {}
    with Session(engine) as session:
        for start in range(0, len(ids), CHUNK):
            for entry in session.exec(_newest(org_id, ids[start : start + CHUNK], limit)).all():
                found.setdefault(entry.opportunity_id, []).append(entry)
    return found


def _newest(org_id: str, opportunity_ids: list[str], limit: int) -> SelectOfScalar[AuditEntry]:
    """The newest `limit` entries of each of the opportunities: a window numbers each
    opportunity's entries newest first (SQLite >= 3.25 and PostgreSQL alike), and the outer
    query keeps the first `limit`, so the cap holds per opportunity in one round trip."""
    newest_first = (col(AuditEntry.at).desc(), col(AuditEntry.id).desc())
    rank = (
        func.row_number()
        .over(partition_by=col(AuditEntry.opportunity_id), order_by=newest_first)
        .label("rank")
    )
    ranked = (
        select(AuditEntry, rank)
        .where(OrgScope(org_id).owns(AuditEntry))
        .where(col(AuditEntry.opportunity_id).in_(opportunity_ids))
        .subquery()
    )
    entry = aliased(AuditEntry, ranked)
    return (
        select(entry)
        .where(ranked.c.rank <= limit)
        .order_by(ranked.c.opportunity_id, ranked.c.at.desc(), ranked.c.id.desc())
    )
