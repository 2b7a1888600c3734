"""The store runs the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from store.engine import session_scope
from store.models import Opportunity, Org


def make_org(org_id: str = "00D5g0000000001AAA") -> Org:
    return Org(id=org_id, name="Test org", instance_url="http://x", auth_flow="jwt", client_id="c")


def test_datetimes_come_back_aware_utc_and_json_fields_round_trip(store_engine: Engine) -> None:
    berlin = timezone(timedelta(hours=1))
    moment = datetime(2026, 3, 1, 12, 30, tzinfo=berlin)
    with session_scope(store_engine) as session:
        session.add(make_org())
        session.flush()  # no ORM relationships: the org row must exist before its rows
        session.add(
            Opportunity(
                org_id="00D5g0000000001AAA", id="0065g0000000001AAA", name="Deal",
                owner_id="0055g0000000001AAA", stage_name="Prospecting", amount=Decimal("1234.5"),
                close_date=date(2026, 4, 1), system_modstamp=moment,
                fields={"Competitor__c": "Acme Corp", "Amount": 1234.5},
            )
        )  # fmt: skip
    with session_scope(store_engine) as session:
        stored = session.exec(select(Opportunity)).one()
    assert stored.system_modstamp == moment
    assert stored.system_modstamp is not None
    assert stored.system_modstamp.tzinfo is not None
    assert stored.system_modstamp.utcoffset() == timedelta(0)
    assert stored.fields == {"Competitor__c": "Acme Corp", "Amount": 1234.5}
    assert stored.close_date == date(2026, 4, 1)


def test_naive_datetimes_are_refused(store_engine: Engine) -> None:
    with pytest.raises(Exception, match="naive datetime"), session_scope(store_engine) as session:
        org = make_org()
        org.created_at = datetime(2026, 1, 1)
        session.add(org)
    with session_scope(store_engine) as session:
        assert session.exec(select(Org)).all() == []


def test_session_scope_rolls_back_on_error(store_engine: Engine) -> None:
    with pytest.raises(RuntimeError), session_scope(store_engine) as session:
        session.add(make_org())
        session.flush()
        raise RuntimeError("boom")
    with session_scope(store_engine) as session:
        assert session.exec(select(Org)).all() == []
