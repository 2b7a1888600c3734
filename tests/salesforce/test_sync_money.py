"""Money from Salesforce's JSON reaches the mirror exactly: the gateway parses JSON numbers as
Decimals, the converters keep them at their column's scale, the facts subtract them exactly,
and the `fields` JSON still holds plain JSON numbers."""

from __future__ import annotations

import json
from decimal import Decimal

from sqlalchemy import Engine
from sqlmodel import Session, select

from salesforce.sync_objects import object_specs, opportunity_row
from services.refresh import refresh_org
from store.models import Account, DerivedFacts, Opportunity, OpportunityHistory
from tests.devorg_server import RunningDevorg
from tests.salesforce.conftest import gateway, new_mirror

DESCRIBE = {"fields": [{"name": n} for n in ("Id", "IsDeleted", "SystemModstamp", "Name",
                                              "StageName", "OwnerId", "Amount")]}  # fmt: skip


def _spec(sobject: str):  # type: ignore[no-untyped-def]
    return next(spec for spec in object_specs(DESCRIBE) if spec.sobject == sobject)


def test_the_gateway_reads_json_numbers_as_decimals(small: RunningDevorg) -> None:
    sf = small.sf("admin")
    made = sf.Opportunity.create({
        "Name": "Cents", "StageName": "Prospecting", "CloseDate": "2031-01-15",
        "Amount": 12345678901234.56,
    })["id"]  # fmt: skip
    gw = gateway(small)
    [record] = gw.query_all_iter(
        f"SELECT Id, Amount, Probability FROM Opportunity WHERE Id = '{made}'"
    )
    # PostgreSQL's float8::numeric, for one, would make that ...234.6: no float on the way.
    assert record["Amount"] == Decimal("12345678901234.56")
    assert isinstance(record["Amount"], Decimal)


def test_converters_keep_the_exact_amount_at_the_columns_scale() -> None:
    record = {
        "attributes": {"type": "Opportunity"}, "Id": "006000000000001AAA", "Name": "X",
        "StageName": "Prospecting", "OwnerId": "005000000000001AAA",
        "Amount": Decimal("1234567890123456.79"), "Probability": Decimal("10.0"),
        "Nested": {"Value": Decimal("0.1")}, "Seats__c": 12,
    }  # fmt: skip
    row = opportunity_row(record)
    assert (row["amount"], str(row["amount"])) == (
        Decimal("1234567890123456.79"),
        "1234567890123456.79",
    )
    assert row["probability"] == 10.0  # a percent, not money: still a float
    # The JSON column stays JSON: numbers as a JSON parser gives them.
    assert row["fields"]["Amount"] == 1234567890123456.79
    assert row["fields"]["Nested"] == {"Value": 0.1}
    assert json.loads(json.dumps(row["fields"]))["Seats__c"] == 12
    # A float (a client that parsed the JSON itself) counts as its shortest decimal.
    assert opportunity_row({**record, "Amount": 0.1 + 0.2})["amount"] == Decimal("0.30")
    assert opportunity_row({**record, "Amount": 58500})["amount"] == Decimal("58500.00")
    assert opportunity_row({**record, "Amount": None})["amount"] is None
    # AnnualRevenue is currency(18, 0): rounded half up, as Salesforce does on save.
    account = _spec("Account").to_row({"Id": "001A", "AnnualRevenue": Decimal("2500000.5")})
    assert account["annual_revenue"] == Decimal(2500001)
    history = _spec("OpportunityHistory").to_row({"Id": "008A", "Amount": Decimal("0.1")})
    assert (history["amount"], str(history["amount"])) == (Decimal("0.10"), "0.10")


def test_synced_amounts_and_their_change_are_exact(
    small: RunningDevorg, store_engine: Engine
) -> None:
    new_mirror(store_engine, small)
    gw = gateway(small)
    sf = small.sf("admin")
    account = sf.Account.create({"Name": "Exact Ltd", "AnnualRevenue": 987654321012})["id"]
    made = sf.Opportunity.create({
        "Name": "Dimes", "StageName": "Prospecting", "CloseDate": "2031-01-15", "Amount": 0.1,
        "AccountId": account,
    })["id"]  # fmt: skip
    sf.Opportunity.update(made, {"Amount": 0.3, "StageName": "Qualification"})
    refresh_org(store_engine, gw, small.seed.org_id)
    with Session(store_engine) as session:
        opp = session.get(Opportunity, (small.seed.org_id, made))
        facts = session.get(DerivedFacts, (small.seed.org_id, made))
        revenue = session.get(Account, (small.seed.org_id, account))
        history = session.exec(
            select(OpportunityHistory.amount).where(OpportunityHistory.opportunity_id == made)
        ).all()
    assert opp is not None
    assert facts is not None
    assert revenue is not None
    assert (opp.amount, opp.fields["Amount"]) == (Decimal("0.30"), 0.3)
    assert sorted(a for a in history if a is not None) == [Decimal("0.10"), Decimal("0.30")]
    # As floats: 0.3 - 0.1 = 0.19999999999999998.
    assert str(facts.amount_change_since_creation) == "0.20"
    assert revenue.annual_revenue == Decimal(987654321012)
