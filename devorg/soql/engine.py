"""Running a compiled SOQL query: the first page, query locators for the next ones, JSON records.

Next pages stay cheap on million-row tables. Without ORDER BY the rows come in rowid order and a
page resumes after the last rowid served (keyset paging: no OFFSET rescans, nothing held in
memory). With ORDER BY the matching rowids are materialised once, compactly, and pages are
slices of that list. Either way a page is addressed by its position, so retrying a page (after
a dropped response, say) gives the same rows again.
"""

from __future__ import annotations

import json
import secrets
import weakref
from array import array
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from devorg.catalog import API_VERSION
from devorg.db import OrgDatabase, to_json_value, utcnow
from devorg.ids import make_id
from devorg.soql.compiler import Compiler, Plan, Shape
from devorg.soql.errors import SoqlError
from devorg.soql.parser import parse

DEFAULT_BATCH_SIZE = 2000
MIN_BATCH_SIZE = 200
LOCATOR_IDLE_TIMEOUT = timedelta(minutes=15)
MAX_OPEN_LOCATORS = 50  # per org; the least recently used one is closed beyond this
# Materialised rowids (8 bytes each) all open ordered locators may hold together, per org.
MAX_MATERIALISED_ROWS = 20_000_000
_LOCATOR_PREFIX = "01g"


def clamp_batch_size(requested: int | None) -> int:
    """Salesforce's rule for `batchSize`: 200 to 2,000, values outside are brought into range."""
    if requested is None:
        return DEFAULT_BATCH_SIZE
    return max(MIN_BATCH_SIZE, min(DEFAULT_BATCH_SIZE, requested))


@dataclass
class Cursor:
    """An open query locator: the plan and where each page it handed out starts."""

    plan: Plan
    total: int
    tooling: bool
    resource: str  # "query", "queryAll" or "tooling/query": the path next pages are under
    api_version: str
    batch_size: int
    last_used: datetime
    ordered_rowids: array[int] | None = None  # with ORDER BY: every matching rowid, in order
    # Without ORDER BY: page position → the rowid that page starts after.
    keyset: dict[int, int] = field(default_factory=dict)


class LocatorStore:
    """The open locators of one org, bounded in number and expiring when idle."""

    def __init__(self) -> None:
        self.cursors: OrderedDict[str, Cursor] = OrderedDict()
        self.next_number = secrets.randbelow(62**7)

    def open(self, cursor: Cursor, now: datetime) -> str:
        self.expire(now)
        self.next_number += 1
        locator = make_id(_LOCATOR_PREFIX, self.next_number)
        self.cursors[locator] = cursor
        while len(self.cursors) > MAX_OPEN_LOCATORS or (
            len(self.cursors) > 1 and self.materialised_rows() > MAX_MATERIALISED_ROWS
        ):
            self.cursors.popitem(last=False)
        return locator

    def materialised_rows(self) -> int:
        return sum(len(c.ordered_rowids or ()) for c in self.cursors.values())

    def get(self, locator: str, now: datetime) -> Cursor | None:
        self.expire(now)
        cursor = self.cursors.get(locator)
        if cursor is not None:
            cursor.last_used = now
            self.cursors.move_to_end(locator)
        return cursor

    def expire(self, now: datetime) -> None:
        for locator in [
            k for k, c in self.cursors.items() if now - c.last_used > LOCATOR_IDLE_TIMEOUT
        ]:
            del self.cursors[locator]


_stores: weakref.WeakKeyDictionary[OrgDatabase, LocatorStore] = weakref.WeakKeyDictionary()


def locator_store(db: OrgDatabase) -> LocatorStore:
    if db not in _stores:
        _stores[db] = LocatorStore()
    return _stores[db]


def execute_soql(
    db: OrgDatabase,
    soql: str,
    *,
    tooling: bool = False,
    include_deleted: bool = False,
    batch_size: int | None = DEFAULT_BATCH_SIZE,
    now: datetime | None = None,
    api_version: str = API_VERSION,
) -> dict[str, Any]:
    """The first page of `soql`, shaped like Salesforce's query response. Raises SoqlError."""
    moment = now or utcnow()
    query = parse(soql)
    try:
        compiler = Compiler(
            soql, tooling=tooling, include_deleted=include_deleted, today=moment.date(), now=moment
        )
        plan = compiler.compile(query)
    except RecursionError:
        raise SoqlError("MALFORMED_QUERY", "Query is too complicated: nesting too deep") from None
    if plan.kind == "count":
        return {"totalSize": _count(db, plan), "done": True, "records": []}
    if plan.kind == "aggregate":
        return _aggregate(db, plan)
    resource = "tooling/query" if tooling else ("queryAll" if include_deleted else "query")
    cursor = Cursor(plan, 0, tooling, resource, api_version, clamp_batch_size(batch_size), moment)
    if plan.order_sql:
        sql = (
            f"SELECT t0.rowid {plan.from_sql} WHERE {plan.where_sql} "
            f"ORDER BY {plan.order_sql}, t0.rowid LIMIT ? OFFSET ?"
        )
        limit = -1 if plan.limit is None else plan.limit
        rows = db.conn.execute(sql, [*plan.params, limit, plan.offset])
        cursor.ordered_rowids = array("q", (r[0] for r in rows))
        cursor.total = len(cursor.ordered_rowids)
    else:
        cursor.total = _count(db, plan)
    if plan.one_row_only and cursor.total > 1:
        raise SoqlError(
            "MALFORMED_QUERY",
            "When retrieving results with Metadata or FullName fields, the query qualifications "
            f"must specify no more than one row for retrieval. Result size: {cursor.total}",
        )
    return _page(db, cursor, None, 0, moment)


def fetch_page(
    db: OrgDatabase,
    locator: str,
    *,
    tooling: bool = False,
    batch_size: int | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The page a `nextRecordsUrl` names: `locator` is its last segment, `01g...-2000`."""
    moment = now or utcnow()
    locator_id, _, position_text = locator.partition("-")
    cursor = locator_store(db).get(locator_id, moment)
    if cursor is None or cursor.tooling != tooling or not position_text.isdigit():
        raise SoqlError("INVALID_QUERY_LOCATOR", "invalid query locator")
    position = int(position_text)
    if position > cursor.total or (cursor.ordered_rowids is None and position not in cursor.keyset):
        raise SoqlError("INVALID_QUERY_LOCATOR", "invalid query locator")
    if batch_size is not None:
        cursor.batch_size = clamp_batch_size(batch_size)
    return _page(db, cursor, locator_id, position, moment)


def _count(db: OrgDatabase, plan: Plan) -> int:
    row = db.conn.execute(
        f"SELECT COUNT(*) {plan.from_sql} WHERE {plan.where_sql}", plan.params
    ).fetchone()
    matching = max(0, int(row[0]) - plan.offset)
    return matching if plan.limit is None else min(matching, plan.limit)


def _aggregate(db: OrgDatabase, plan: Plan) -> dict[str, Any]:
    expressions = ", ".join(plan.select_sql[2:])
    row = db.conn.execute(
        f"SELECT {expressions} {plan.from_sql} WHERE {plan.where_sql}", plan.params
    ).fetchone()
    record: dict[str, Any] = {"attributes": {"type": "AggregateResult"}}
    record.update(zip(plan.aggregate_names, (int(v) for v in row), strict=True))
    return {"totalSize": 1, "done": True, "records": [record]}


def _page(
    db: OrgDatabase, cursor: Cursor, locator: str | None, position: int, now: datetime
) -> dict[str, Any]:
    plan = cursor.plan
    size = min(cursor.batch_size, cursor.total - position)
    columns = ", ".join(plan.select_sql)
    if size <= 0:
        rows: list[tuple[Any, ...]] = []
    elif cursor.ordered_rowids is not None:
        wanted = cursor.ordered_rowids[position : position + size]
        sql = f"SELECT {columns} {plan.from_sql} WHERE t0.rowid IN (SELECT value FROM json_each(?))"
        by_rowid = {r[0]: r for r in db.conn.execute(sql, [json.dumps(wanted.tolist())])}
        rows = [by_rowid[r] for r in wanted if r in by_rowid]  # rows deleted since are skipped
    else:
        after = cursor.keyset.get(position)
        sql = f"SELECT {columns} {plan.from_sql} WHERE {plan.where_sql}"
        params: list[object] = list(plan.params)
        if after is not None:
            sql += " AND t0.rowid > ?"
            params.append(after)
        sql += " ORDER BY t0.rowid LIMIT ? OFFSET ?"
        params += [size, plan.offset if after is None else 0]
        rows = db.conn.execute(sql, params).fetchall()
    next_position = position + len(rows)
    result: dict[str, Any] = {"totalSize": cursor.total, "done": True}
    if rows and len(rows) == size and next_position < cursor.total:
        if cursor.ordered_rowids is None:
            cursor.keyset[next_position] = rows[-1][0]
        locator = locator or locator_store(db).open(cursor, now)
        result["done"] = False
        result["nextRecordsUrl"] = (
            f"/services/data/v{cursor.api_version}/{cursor.resource}/{locator}-{next_position}"
        )
    prefix = f"/services/data/v{cursor.api_version}/" + ("tooling/" if cursor.tooling else "")
    result["records"] = [_record(plan, plan.shape, row, prefix) for row in rows]
    return result


def _record(plan: Plan, shape: Shape, row: tuple[Any, ...], url_prefix: str) -> dict[str, Any]:
    key = row[shape.key_index]
    record: dict[str, Any] = {
        "attributes": {
            "type": shape.sobject.name,
            "url": f"{url_prefix}sobjects/{shape.sobject.name}/{key}",
        }
    }
    for name, entry in shape.entries:
        if isinstance(entry, Shape):
            parent_key = row[entry.key_index]
            record[name] = None if parent_key is None else _record(plan, entry, row, url_prefix)
            continue
        fld = plan.fields[entry]
        value = row[entry]
        if fld.type == "complexvalue" and isinstance(value, str):
            record[name] = json.loads(value)
        else:
            record[name] = to_json_value(fld, value)
    return record
