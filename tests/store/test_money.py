"""Money is exact on both databases: Numeric on PostgreSQL, integer units on SQLite (store.types
.Money). Values a float cannot tell apart stay apart, in storage, ORDER BY and range filters."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, event, text
from sqlalchemy.exc import StatementError
from sqlmodel import select

from store import queries
from store.engine import session_scope
from store.models import Account, DerivedFacts, Opportunity
from store.queries import OpportunityFilter, Ordering, SortField, Visibility
from tests import factories as f

# Each pair is one float apart or less: as doubles they would compare equal.
CENTS = Decimal("0.1") + Decimal("0.2")  # 0.30, where 0.1 + 0.2 in floats is 0.30000000000000004
LARGEST = Decimal("9999999999999999.99")  # 18 digits: Salesforce's currency(18, 2) maximum
NEIGHBOURS = (Decimal("1234567890123456.78"), Decimal("1234567890123456.79"))
ADMIN = Visibility(f.ORG_A, None)


def _stored(engine: Engine, opportunity_id: str) -> Decimal | None:
    with session_scope(engine) as session:
        row = session.exec(select(Opportunity).where(Opportunity.id == opportunity_id)).one()
    return row.amount


@pytest.mark.parametrize(
    "amount",
    [CENTS, LARGEST, -LARGEST, *NEIGHBOURS, Decimal("0.01"), Decimal(0), 58500, None],
    ids=str,
)
def test_an_amount_comes_back_exactly_with_the_columns_scale(
    store_engine: Engine, amount: Decimal | int | None
) -> None:
    rep = f.team(store_engine).reps[0]
    opp = f.opportunity(store_engine, rep, amount=amount)
    stored = _stored(store_engine, opp.id)
    if amount is None:
        assert stored is None
        return
    assert isinstance(stored, Decimal)
    assert stored == amount
    assert stored.as_tuple().exponent == -2  # "58500.00", not "58500" or "5.85E+4"


def test_revenue_and_amount_change_keep_their_own_precision_and_scale(store_engine: Engine) -> None:
    rep = f.team(store_engine).reps[0]
    account = f.account(store_engine, "Big", annual_revenue=Decimal("999999999999999999"))
    opp = f.opportunity(store_engine, rep, amount=LARGEST)
    # Largest minus smallest amount: 17 integer digits, beyond a currency(18, 2).
    f.facts(store_engine, opp, amount_change_since_creation=LARGEST * 2)
    with session_scope(store_engine) as session:
        revenue = session.exec(select(Account.annual_revenue).where(Account.id == account.id))
        change = session.exec(select(DerivedFacts.amount_change_since_creation))
        assert (revenue.one(), change.one()) == (Decimal("999999999999999999"), LARGEST * 2)


def test_sqlite_keeps_integer_cents_and_postgresql_numeric(store_engine: Engine) -> None:
    rep = f.team(store_engine).reps[0]
    opp = f.opportunity(store_engine, rep, amount=CENTS)
    with store_engine.connect() as conn:
        if store_engine.dialect.name == "sqlite":
            row = conn.execute(
                text("SELECT amount, typeof(amount) FROM opportunity WHERE id = :id"),
                {"id": opp.id},
            ).one()
            assert tuple(row) == (30, "integer")
        else:
            declared = conn.execute(
                text(
                    "SELECT data_type, numeric_precision, numeric_scale"
                    " FROM information_schema.columns WHERE table_schema = current_schema()"
                    " AND table_name = 'opportunity' AND column_name = 'amount'"
                )
            ).one()
            assert tuple(declared) == ("numeric", 18, 2)


def test_order_and_range_filters_tell_apart_amounts_a_float_cannot(store_engine: Engine) -> None:
    rep = f.team(store_engine).reps[0]
    low, high = NEIGHBOURS
    assert float(low) == float(high)  # the point of this test
    made = {
        amount: f.opportunity(store_engine, rep, amount=amount).id
        for amount in (high, low, CENTS, Decimal("0.29"), Decimal("0.31"), None)
    }

    def ids(where: OpportunityFilter, descending: bool = False) -> list[str]:
        ordering = Ordering(SortField.AMOUNT, descending=descending)
        page = queries.list_opportunities(store_engine, ADMIN, where, ordering, limit=50, offset=0)
        return [row.id for row in page.rows]

    ascending = [Decimal("0.29"), CENTS, Decimal("0.31"), low, high]
    assert ids(OpportunityFilter()) == [made[a] for a in ascending] + [made[None]]
    assert ids(OpportunityFilter(), descending=True) == [made[a] for a in reversed(ascending)] + [
        made[None]
    ]
    assert ids(OpportunityFilter(amount_min=high)) == [made[high]]
    assert ids(OpportunityFilter(amount_max=low, amount_min=low)) == [made[low]]
    assert ids(OpportunityFilter(amount_min=CENTS, amount_max=CENTS)) == [made[CENTS]]
    assert (
        queries.count_opportunities(
            store_engine, ADMIN, OpportunityFilter(amount_max=Decimal("0.30"))
        )
        == 2
    )


def test_the_amount_range_filter_searches_the_amount_index(store_engine: Engine) -> None:
    rep = f.team(store_engine).reps[0]
    for n in range(200):
        f.opportunity(store_engine, rep, amount=Decimal(n * 1000) + CENTS)
    seen: list[tuple[str, Any]] = []

    def record(_c: Connection, _cur: Any, statement: str, parameters: Any, *_: Any) -> None:
        seen.append((statement, parameters))

    low, high = Decimal("5000.30"), Decimal("7000.30")
    where = OpportunityFilter(amount_min=low, amount_max=high)
    event.listen(store_engine, "before_cursor_execute", record)
    try:
        assert queries.count_opportunities(store_engine, ADMIN, where) == 3
    finally:
        event.remove(store_engine, "before_cursor_execute", record)
    [(statement, parameters)] = seen
    # The bounds are converted, never the column: integer cents on SQLite, numeric on PG.
    if store_engine.dialect.name == "sqlite":
        assert parameters[-2:] == (500030, 700030)
    else:
        assert (parameters["amount_1"], parameters["amount_2"]) == (low, high)
    with store_engine.connect() as conn:
        if store_engine.dialect.name == "sqlite":
            plan = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            details = " ".join(str(row[-1]) for row in plan)
            assert "INDEX ix_opportunity_org_amount (org_id=? AND amount>? AND amount<?)" in (
                details
            ), details
        else:
            conn.execute(text("ANALYZE opportunity"))
            conn.execute(text("SET LOCAL enable_seqscan = off"))
            plan = conn.exec_driver_sql(f"EXPLAIN {statement}", parameters).all()
            text_plan = "\n".join(row[0] for row in plan)
            assert "ix_opportunity_org_amount" in text_plan, text_plan
            conn.rollback()


@pytest.mark.parametrize(
    ("amount", "reason"),
    [
        (1234.5, "not float"),
        (Decimal("0.005"), "more than 2 decimals"),
        (Decimal("10000000000000000"), "out of range"),
        (Decimal("NaN"), "is not an amount"),
        (Decimal("-Infinity"), "is not an amount"),
    ],
    ids=str,
)
def test_an_amount_the_column_cannot_hold_exactly_is_refused(
    store_engine: Engine, amount: object, reason: str
) -> None:
    rep = f.team(store_engine).reps[0]
    with pytest.raises(StatementError) as refused:
        f.opportunity(store_engine, rep, amount=amount)  # type: ignore[arg-type]
    assert isinstance(refused.value.orig, ValueError)
    assert reason in str(refused.value.orig)
