"""Migration 0004 on a populated database of each kind: the float money columns of 0003 become
exact decimals, and every index and constraint survives."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import JSON, Boolean, Engine, Float, String, column, inspect, select, table, text

from store import queries
from store.engine import session_scope
from store.migrate import alembic_config
from store.models import Account, DerivedFacts, Opportunity, OpportunityHistory
from store.queries import OpportunityFilter, Ordering, SortField, Visibility
from tests.store.test_migrations import _differences_from_the_models
from tests.store_backends import empty_engine

ORG = "00D000000000001AAA"
LARGEST = Decimal("9999999999999999.99")
OWNER = "005000000000001AAA"

# The 0003 tables, as far as these rows need them (floats where money is).
_org = table(
    "org", *(column(n, String) for n in ("id", "name", "instance_url", "api_version")),
    column("auth_flow", String), column("client_id", String), column("is_devorg", Boolean),
)  # fmt: skip
_account = table(
    "account", column("org_id", String), column("id", String), column("name", String),
    column("annual_revenue", Float), column("is_deleted", Boolean),
)  # fmt: skip
_opportunity = table(
    "opportunity", column("org_id", String), column("id", String), column("name", String),
    column("owner_id", String), column("stage_name", String), column("amount", Float),
    column("probability", Float), column("is_closed", Boolean), column("is_won", Boolean),
    column("is_deleted", Boolean), column("fields", JSON),
)  # fmt: skip
_history = table(
    "opportunity_history", column("org_id", String), column("id", String),
    column("opportunity_id", String), column("amount", Float), column("is_deleted", Boolean),
)  # fmt: skip
_facts = table(
    "derived_facts", column("org_id", String), column("opportunity_id", String),
    column("close_date_push_count"), column("amount_change_since_creation", Float),
)  # fmt: skip

# float stored by 0003 -> the exact amount 0004 must give (at the column's scale).
AMOUNTS: dict[str, tuple[float | None, Decimal | None]] = {
    "0060000000000001AA": (58500.0, Decimal("58500.00")),
    "0060000000000002AA": (0.1 + 0.2, Decimal("0.30")),  # 0.30000000000000004 as a float
    # PostgreSQL's float8::numeric would keep 15 digits and make it ...234.60.
    "0060000000000003AA": (12345678901234.56, Decimal("12345678901234.56")),
    "0060000000000004AA": (-1234.565, Decimal("-1234.57")),  # half up, away from zero
    # 9999999999999999.99 (18 digits) is the float 1e16: one cent past currency(18, 2).
    "0060000000000005AA": (9999999999999999.99, LARGEST),
    "0060000000000006AA": (None, None),
    "0060000000000007AA": (1e-9, Decimal("0.00")),
    "0060000000000008AA": (-1e300, -LARGEST),  # held within the column's range
    "0060000000000009AA": (float("inf"), None),  # no amount (SQLite stores a NaN as NULL)
    "0060000000000010AA": (float("nan"), None),
}
REVENUES = {
    "0010000000000001AA": (12_500_000.4, Decimal(12_500_000)),  # AnnualRevenue has scale 0
    "0010000000000002AA": (None, None),
}
CHANGES = {
    "0060000000000001AA": (-0.7 + 0.1, Decimal("-0.60")),  # the double -0.5999999999999999778
    "0060000000000002AA": (1e16, Decimal("10000000000000000.00")),  # precision 19 holds it
}


@pytest.fixture(params=["sqlite", "postgresql"])
def engine_at_0003(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    with empty_engine(request.param, tmp_path) as engine:
        _migrate(engine, "upgrade", "0003")
        yield engine


def _migrate(engine: Engine, direction: str, revision: str) -> None:
    with engine.begin() as connection:
        config: Config = alembic_config("unused://")
        config.attributes["connection"] = connection
        getattr(command, direction)(config, revision)


def _populate(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            _org.insert(),
            {"id": ORG, "name": "Org", "instance_url": "http://x", "api_version": "59.0",
             "auth_flow": "jwt", "client_id": "c", "is_devorg": False},
        )  # fmt: skip
        conn.execute(
            _account.insert(),
            [{"org_id": ORG, "id": i, "name": i, "annual_revenue": v, "is_deleted": False}
             for i, (v, _) in REVENUES.items()],
        )  # fmt: skip
        conn.execute(
            _opportunity.insert(),
            [{"org_id": ORG, "id": i, "name": i, "owner_id": OWNER, "stage_name": "Prospecting",
              "amount": v, "probability": 10.0, "is_closed": False, "is_won": False,
              "is_deleted": False, "fields": {}}
             for i, (v, _) in AMOUNTS.items()],
        )  # fmt: skip
        conn.execute(
            _history.insert(),
            [{"org_id": ORG, "id": "008" + i[3:], "opportunity_id": i, "amount": v,
              "is_deleted": False} for i, (v, _) in AMOUNTS.items()],
        )  # fmt: skip
        conn.execute(
            _facts.insert(),
            [{"org_id": ORG, "opportunity_id": i, "close_date_push_count": 0,
              "amount_change_since_creation": v} for i, (v, _) in CHANGES.items()],
        )  # fmt: skip


def _schema(engine: Engine) -> dict[str, Any]:
    """Every index (name, columns, definition on PostgreSQL), primary and foreign key."""
    with engine.connect() as conn:
        inspector = inspect(conn)
        found: dict[str, Any] = {}
        for name in inspector.get_table_names():
            found[name] = (
                sorted((i["name"], tuple(i["column_names"])) for i in inspector.get_indexes(name)),
                inspector.get_pk_constraint(name)["constrained_columns"],
                sorted(
                    (tuple(k["constrained_columns"]), k["referred_table"])
                    for k in inspector.get_foreign_keys(name)
                ),
            )
        if engine.dialect.name == "postgresql":
            found["definitions"] = sorted(
                conn.execute(
                    text(
                        "SELECT indexname, indexdef FROM pg_indexes"
                        " WHERE schemaname = current_schema()"
                    )
                ).all()
            )
    return found


def test_upgrade_makes_the_stored_floats_exact_decimals(engine_at_0003: Engine) -> None:
    engine = engine_at_0003
    _populate(engine)
    before = _schema(engine)
    _migrate(engine, "upgrade", "0004")
    with session_scope(engine) as session:
        amounts = dict(session.execute(select(Opportunity.id, Opportunity.amount)).all())
        history = dict(
            session.execute(
                select(OpportunityHistory.opportunity_id, OpportunityHistory.amount)
            ).all()
        )
        revenues = dict(session.execute(select(Account.id, Account.annual_revenue)).all())
        changes = dict(
            session.execute(
                select(DerivedFacts.opportunity_id, DerivedFacts.amount_change_since_creation)
            ).all()
        )
    expected = {i: exact for i, (_, exact) in AMOUNTS.items()}
    assert amounts == expected
    assert history == expected
    assert revenues == {i: exact for i, (_, exact) in REVENUES.items()}
    assert changes == {i: exact for i, (_, exact) in CHANGES.items()}
    assert all(
        str(value) == str(expected[i]) for i, value in amounts.items()
    )  # the scale too: "58500.00"
    assert _schema(engine) == before  # same indexes (definitions), keys and foreign keys
    _migrate(engine, "upgrade", "head")  # the later revisions build on it as on an empty one
    with engine.connect() as conn:
        assert _differences_from_the_models(conn) == []


def test_the_migrated_mirror_orders_and_filters_exactly(engine_at_0003: Engine) -> None:
    _populate(engine_at_0003)
    _migrate(engine_at_0003, "upgrade", "head")
    admin = Visibility(ORG, None)
    page = queries.list_opportunities(
        engine_at_0003,
        admin,
        OpportunityFilter(amount_min=Decimal("0.30"), amount_max=Decimal("58500.00")),
        Ordering(SortField.AMOUNT, descending=True),
        limit=10,
        offset=0,
    )
    assert [row.amount for row in page.rows] == [Decimal("58500.00"), Decimal("0.30")]


def test_downgrade_gives_floats_back_and_upgrade_makes_them_exact_again(
    engine_at_0003: Engine,
) -> None:
    engine = engine_at_0003
    _populate(engine)
    _migrate(engine, "upgrade", "0004")
    _migrate(engine, "downgrade", "0003")
    with engine.connect() as conn:
        floats = dict(conn.execute(select(_opportunity.c.id, _opportunity.c.amount)).all())
    assert floats["0060000000000003AA"] == 12345678901234.56
    assert floats["0060000000000002AA"] == 0.3
    _migrate(engine, "upgrade", "0004")
    with session_scope(engine) as session:
        amounts = dict(session.execute(select(Opportunity.id, Opportunity.amount)).all())
    assert amounts == {i: exact for i, (_, exact) in AMOUNTS.items()}
