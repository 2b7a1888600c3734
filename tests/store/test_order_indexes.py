"""On PostgreSQL the descending listing orders (the default among them) are an index scan.

`store.queries._order_by` sorts `<column> DESC NULLS LAST, id DESC`. A backward scan of an
ascending index gives NULLS FIRST on PostgreSQL, so these orders need their own PostgreSQL-only
indexes (store.models), or the first page sorts the whole org. SQLite needs none of this (its
NULLs sort low), so these tests run on PostgreSQL only.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, event, text

from store import queries
from store.engine import session_scope
from store.models import Opportunity
from store.queries import OpportunityFilter, Ordering, SortField, Visibility
from tests import factories as f

DESCENDING_INDEXES = {
    SortField.LAST_MODIFIED: ("last_modified_date", "ix_opportunity_org_modified_desc"),
    SortField.AMOUNT: ("amount", "ix_opportunity_org_amount_desc"),
    SortField.CLOSE_DATE: ("close_date", "ix_opportunity_org_close_date_desc"),
}


@pytest.fixture
def pg_engine(store_engine: Engine) -> Engine:
    if store_engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL-only indexes: SQLite orders NULLs low and needs none")
    return store_engine


def _a_few_hundred_opportunities(engine: Engine) -> None:
    f.org(engine)
    rows = [
        Opportunity(
            org_id=f.ORG_A,
            id=f.sf_id("006"),
            name=f"Deal {n}",
            owner_id="005000000000001AAA",
            stage_name="Prospecting",
            amount=None if n % 7 == 0 else Decimal(n % 50) * 1000,
            close_date=None if n % 11 == 0 else date(2026, 1, 1) + timedelta(days=n % 90),
            last_modified_date=None if n % 13 == 0 else f.NOW - timedelta(minutes=n),
        )
        for n in range(400)
    ]
    with session_scope(engine) as session:
        session.add_all(rows)
    with engine.begin() as conn:
        conn.execute(text("ANALYZE opportunity"))


@contextmanager
def _statements(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    seen: list[tuple[str, Any]] = []

    def record(_c: Connection, _cur: Any, statement: str, parameters: Any, *_: Any) -> None:
        seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _plan(engine: Engine, ordering: Ordering) -> dict[str, Any]:
    """The plan of the exact statement list_opportunities runs for the admin's first page."""
    with _statements(engine) as seen:
        queries.list_opportunities(
            engine, Visibility(f.ORG_A, None), OpportunityFilter(), ordering, limit=50, offset=0
        )
    [(statement, parameters)] = seen
    with engine.connect() as conn:
        # A few hundred rows fit in a page or two, where scanning and sorting is as cheap as an
        # index: rule those out so the plan shows whether an index can serve the order at all.
        conn.execute(text("SET LOCAL enable_seqscan = off"))
        conn.execute(text("SET LOCAL enable_bitmapscan = off"))
        explained = conn.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {statement}", parameters)
        plan: dict[str, Any] = explained.scalar_one()[0]["Plan"]
        conn.rollback()
    return plan


def _node_types(plan: dict[str, Any]) -> list[str]:
    return [plan["Node Type"]] + [t for p in plan.get("Plans", []) for t in _node_types(p)]


@pytest.mark.parametrize(
    "field", list(DESCENDING_INDEXES), ids=[field.value for field in DESCENDING_INDEXES]
)
def test_the_descending_order_is_an_index_scan_without_a_sort(
    pg_engine: Engine, field: SortField
) -> None:
    _a_few_hundred_opportunities(pg_engine)
    plan = _plan(pg_engine, Ordering(field, descending=True))
    assert plan["Node Type"] == "Limit"
    [scan] = plan["Plans"]
    _, index = DESCENDING_INDEXES[field]
    assert (scan["Node Type"], scan.get("Index Name")) == ("Index Scan", index), plan
    assert scan["Scan Direction"] == "Forward"
    assert not [t for t in _node_types(plan) if "Sort" in t], plan


def test_the_descending_indexes_sort_nulls_last(pg_engine: Engine) -> None:
    with pg_engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT indexname, indexdef FROM pg_indexes"
                " WHERE tablename = 'opportunity' AND schemaname = current_schema()"
            )
        ).all()
    definitions: dict[str, str] = dict(rows)
    for column, index in DESCENDING_INDEXES.values():
        assert definitions[index].endswith(f"(org_id, {column} DESC NULLS LAST, id DESC)")
