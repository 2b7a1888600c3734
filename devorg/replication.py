"""sObject Get Updated / Get Deleted: the replication windows Salesforce offers.

Rules (Salesforce's REST and SOAP getUpdated()/getDeleted() docs): the seconds of start and end
are ignored; start must come strictly before end (else INVALID_REPLICATION_DATE); updated
records are found by SystemModstamp for no more than 30 days back, deleted ones for no more
than 15 days back; latestDateCovered is the end of the window (never later than now, to the
minute), to be used as the next call's start.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from devorg.catalog import SObject
from devorg.db import OrgDatabase, parse_sf_datetime, sf_datetime, utcnow
from devorg.write_body import write_error

UPDATED_DAYS = 30
DELETED_DAYS = 15


def _to_minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def _parse(name: str, text: str | None) -> datetime:
    if not text:
        raise write_error("MISSING_ARGUMENT", f"Missing required parameter: {name}")
    # An unencoded '+' in a query string arrives as a space.
    cleaned = text.strip().replace(" ", "+")
    try:
        return _to_minute(parse_sf_datetime(cleaned))
    except ValueError as exc:
        raise write_error(
            "INVALID_REPLICATION_DATE", f"Invalid date format for parameter {name}: {text[:100]}"
        ) from exc


def window(start_text: str | None, end_text: str | None, days: int) -> tuple[datetime, datetime]:
    """The [start, latestDateCovered) window of a replication call, checked."""
    start, end = _parse("start", start_text), _parse("end", end_text)
    if start >= end:
        raise write_error(
            "INVALID_REPLICATION_DATE", "startDate must chronologically precede endDate"
        )
    now = _to_minute(utcnow())
    if start < now - timedelta(days=days):
        raise write_error(
            "INVALID_REPLICATION_DATE",
            f"startDate cannot be more than {days} days ago",
        )
    return start, min(end, now)


def updated(db: OrgDatabase, sobj: SObject, start_text: str | None, end_text: str | None) -> Any:
    if not sobj.replicateable or not sobj.has_system_modstamp:
        raise write_error("INVALID_TYPE", f"sObject type '{sobj.name}' is not replicateable")
    start, covered = window(start_text, end_text, UPDATED_DAYS)
    live = ' AND "IsDeleted" = 0' if sobj.field("IsDeleted") else ""
    rows = db.conn.execute(
        f'SELECT "Id" FROM "{sobj.name}" WHERE "SystemModstamp" >= ? AND "SystemModstamp" < ?'
        f'{live} ORDER BY "SystemModstamp", "Id"',
        [sf_datetime(start), sf_datetime(covered)],
    )
    return {"ids": [r[0] for r in rows], "latestDateCovered": sf_datetime(covered)}


def deleted(db: OrgDatabase, sobj: SObject, start_text: str | None, end_text: str | None) -> Any:
    if not sobj.replicateable:
        raise write_error("INVALID_TYPE", f"sObject type '{sobj.name}' is not replicateable")
    start, covered = window(start_text, end_text, DELETED_DAYS)
    records: list[dict[str, str]] = []
    if sobj.deletable:
        rows = db.conn.execute(
            f'SELECT "Id", "_DeletedDate" FROM "{sobj.name}" WHERE "IsDeleted" = 1 AND '
            '"_DeletedDate" >= ? AND "_DeletedDate" < ? ORDER BY "_DeletedDate", "Id"',
            [sf_datetime(start), sf_datetime(covered)],
        )
        records = [{"id": r[0], "deletedDate": r[1]} for r in rows]
    earliest = _to_minute(utcnow()) - timedelta(days=DELETED_DAYS)
    return {
        "deletedRecords": records,
        "earliestDateAvailable": sf_datetime(earliest),
        "latestDateCovered": sf_datetime(covered),
    }
