"""The mirror's write side on SQLite and PostgreSQL: idempotent upserts, no going back to older
versions, deletions, tenant scoping, sync state, metadata and facts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, select

from store.mirror import ORG_PASS, Mirror
from store.models import DerivedFacts, Opportunity, OpportunityHistory, OpportunityStage
from tests import factories as f

T0 = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)


def org(engine: Engine, org_id: str) -> Mirror:
    mirror = Mirror(engine, org_id)
    mirror.ensure_org(name=org_id, instance_url="https://x.my.salesforce.com",
                      auth_flow="jwt", client_id="c")  # fmt: skip
    return mirror


def opp_row(opp_id: str, name: str, modstamp: datetime, **kw: Any) -> dict[str, Any]:
    return {"id": opp_id, "name": name, "owner_id": "005A", "stage_name": "Prospecting",
            "system_modstamp": modstamp, "fields": {"Name": name}, **kw}  # fmt: skip


def test_upsert_is_idempotent_and_never_goes_back(store_engine: Engine) -> None:
    mirror = org(store_engine, "00DA")
    rows = [opp_row(f"006{n:015d}", f"Deal {n}", T0) for n in range(1200)]
    assert mirror.upsert(Opportunity, rows) == 1200
    mirror.upsert(Opportunity, rows)
    assert mirror.count(Opportunity) == 1200
    first = rows[0]["id"]
    newer = opp_row(first, "Newer", T0 + timedelta(seconds=1), amount=Decimal("5.00"))
    mirror.upsert(Opportunity, [newer])
    mirror.upsert(Opportunity, [opp_row(first, "Older", T0 - timedelta(days=1))])
    with Session(store_engine) as session:
        row = session.get(Opportunity, ("00DA", first))
        assert row is not None
        assert (row.name, row.amount, row.fields) == ("Newer", Decimal("5.00"), {"Name": "Newer"})
        assert row.system_modstamp == T0 + timedelta(seconds=1)


def test_rows_are_scoped_to_their_org(store_engine: Engine) -> None:
    a, b = org(store_engine, "00DA"), org(store_engine, "00DB")
    a.upsert(Opportunity, [opp_row("006X", "A's deal", T0)])
    b.upsert(Opportunity, [opp_row("006X", "B's deal", T0)])
    assert b.mark_deleted(Opportunity, ["006X"]) == 1
    assert a.count(Opportunity) == 1
    assert b.count(Opportunity) == 0
    assert a.opportunity_ids() == ["006X"]
    assert b.opportunity_ids() == []
    assert b.opportunity_ids(include_deleted=True) == ["006X"]
    with Session(store_engine) as session:
        assert session.get(Opportunity, ("00DA", "006X")).name == "A's deal"  # type: ignore[union-attr]


def test_sync_state_watermark_only_moves_forward(store_engine: Engine) -> None:
    mirror = org(store_engine, "00DA")
    mirror.record_attempt("Opportunity", T0)
    mirror.record_success("Opportunity", watermark=T0, records=3, at=T0)
    mirror.record_failure("Opportunity", error="SalesforceUnavailable: 503", at=T0)
    state = mirror.sync_states()["Opportunity"]
    assert (state.watermark, state.last_error, state.records_synced) == (
        T0,
        "SalesforceUnavailable: 503",
        3,
    )
    mirror.record_success("Opportunity", watermark=T0 - timedelta(hours=1), records=0, at=T0)
    state = mirror.sync_states()["Opportunity"]
    assert state.watermark == T0
    assert state.last_error is None
    assert mirror.synced_at() is None
    mirror.record_success(ORG_PASS, watermark=None, records=0, at=T0)
    assert mirror.synced_at() == T0
    assert org(store_engine, "00DB").sync_states() == {}


def test_catalog_stages_and_facts(store_engine: Engine) -> None:
    mirror = org(store_engine, "00DA")
    describe = {"name": "Opportunity", "fields": [{"name": "Id", "type": "id"}]}
    mirror.save_catalog("Opportunity", describe, T0)
    mirror.save_catalog("Opportunity", describe, T0)
    assert mirror.load_catalog("Opportunity") == describe
    assert org(store_engine, "00DB").load_catalog("Opportunity") is None
    stage = {"id": "01J1", "api_name": "Prospecting", "label": "Prospecting", "sort_order": 1,
             "is_active": True, "is_closed": False, "is_won": False}  # fmt: skip
    mirror.save_stages([stage, {**stage, "id": "01J2", "api_name": "Won", "sort_order": 2}])
    mirror.save_stages([stage])
    assert [s.api_name for s in mirror.load_stages()] == ["Prospecting"]

    mirror.upsert(Opportunity, [opp_row("006X", "Deal", T0)])
    mirror.upsert(
        OpportunityHistory,
        [{"id": "008A", "opportunity_id": "006X", "stage_name": "Prospecting", "created_date": T0}],
    )
    inputs = mirror.load_fact_inputs(["006X", "006Y"])
    assert [o.id for o in inputs.opportunities] == ["006X"]
    assert [h.id for h in inputs.history["006X"]] == ["008A"]
    mirror.save_facts(
        [
            {
                "opportunity_id": "006X",
                "stage_number": 1,
                "last_activity_date": date(2025, 1, 2),
                "computed_at": T0,
            }
        ]
    )
    mirror.save_facts([{"opportunity_id": "006X", "stage_number": 2, "computed_at": T0}])
    with Session(store_engine) as session:
        facts = session.exec(select(DerivedFacts)).all()
        assert [(f.stage_number, f.last_activity_date) for f in facts] == [(2, None)]
        assert session.exec(select(OpportunityStage)).one().org_id == "00DA"
    mirror.delete_facts(["006X"])
    with Session(store_engine) as session:
        assert session.exec(select(DerivedFacts)).all() == []


def test_the_open_opportunities_reaching_changed_accounts_owners_and_roles(
    store_engine: Engine,
) -> None:
    f.org(store_engine)
    managers, reps = f.role(store_engine, "Managers"), f.role(store_engine, "Reps")
    boss, rep = f.user(store_engine, "Boss", managers), f.user(store_engine, "Rep", reps)
    acme, globex = f.account(store_engine, "Acme"), f.account(store_engine, "Globex")
    on_acme = f.opportunity(store_engine, rep, account=acme)
    bosses = f.opportunity(store_engine, boss, account=globex)
    f.opportunity(store_engine, rep, account=acme, stage="Closed Won")  # closed: never
    mirror = Mirror(store_engine, f.ORG_A)
    assert mirror.open_opportunities_reaching({}) == set()
    assert mirror.open_opportunities_reaching({"Account": [acme.id]}) == {on_acme.id}
    assert mirror.open_opportunities_reaching({"User": [boss.id]}) == {bosses.id}
    assert mirror.open_opportunities_reaching({"UserRole": [reps.id]}) == {on_acme.id}
    both = {"Account": [globex.id], "UserRole": [reps.id]}
    assert mirror.open_opportunities_reaching(both) == {on_acme.id, bosses.id}
    # another org's records reach nothing here
    assert (
        Mirror(store_engine, "00D000000000002AAA").open_opportunities_reaching(
            {"Account": [acme.id]}
        )
        == set()
    )
