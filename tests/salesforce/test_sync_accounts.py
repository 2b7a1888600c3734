"""Accounts mirror what rules read of them, Type included, as devorg holds them."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session, select

from salesforce.sync import sync_org
from store.models import Account
from tests.devorg_server import RunningDevorg
from tests.salesforce.conftest import gateway, new_mirror


def test_accounts_mirror_their_type(small: RunningDevorg, store_engine: Engine) -> None:
    sync_org(gateway(small), new_mirror(store_engine, small))
    records = small.sf().query_all("SELECT Id, Type, Industry FROM Account")["records"]
    expected = {r["Id"]: (r["Type"], r["Industry"]) for r in records}
    with Session(store_engine) as session:
        rows = session.exec(select(Account).where(Account.org_id == small.seed.org_id)).all()
    assert {row.id: (row.type, row.industry) for row in rows} == expected
    assert len({kind for kind, _ in expected.values()}) > 2
