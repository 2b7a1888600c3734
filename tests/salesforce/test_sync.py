"""Full and incremental sync over HTTP against devorg, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from simple_salesforce import Salesforce
from sqlalchemy import Engine
from sqlmodel import Session, select

from salesforce.sync import SyncReport, sync_org
from services.refresh import refresh_org
from store.models import (
    Account,
    Activity,
    DerivedFacts,
    Opportunity,
    OpportunityCompetitor,
    OpportunityFieldHistory,
    OpportunityHistory,
    OpportunityStage,
    Organization,
    SfUser,
    UserRole,
)
from tests.devorg_server import RunningDevorg
from tests.salesforce.conftest import gateway, new_mirror

MODELS = {
    "Organization": (Organization, ""),
    "UserRole": (UserRole, ""),
    "User": (SfUser, ""),
    "Account": (Account, ""),
    "Opportunity": (Opportunity, ""),
    "OpportunityHistory": (OpportunityHistory, ""),
    "OpportunityFieldHistory": (OpportunityFieldHistory, ""),
    "OpportunityCompetitor": (OpportunityCompetitor, ""),
    "Task": (Activity, " WHERE WhatId != null"),
    "Event": (Activity, " WHERE WhatId != null"),
}
# The ten mirrored objects' first pages come in two composite calls (five hot objects, then
# the other five): what an incremental pass costs when nothing changed.
MIRRORED_OBJECTS = 10
NO_CHANGE_CALLS = 2


def devorg_counts(sf: Salesforce) -> dict[str, int]:
    return {
        name: int(sf.query(f"SELECT COUNT() FROM {name}{where}")["totalSize"])
        for name, (_, where) in MODELS.items()
    }


def mirror_counts(engine: Engine, org_id: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    with Session(engine) as session:
        for name, (model, _) in MODELS.items():
            stmt = select(model).where(model.org_id == org_id)  # type: ignore[attr-defined]
            if hasattr(model, "is_deleted"):
                stmt = stmt.where(model.is_deleted == False)  # type: ignore[attr-defined] # noqa: E712
            if model is Activity:
                stmt = stmt.where(Activity.kind == name)
            counts[name] = len(session.exec(stmt).all())
    return counts


def test_full_sync_mirrors_every_object_and_pages_past_2000(
    devorg: RunningDevorg, store_engine: Engine
) -> None:
    mirror = new_mirror(store_engine, devorg)
    gw = gateway(devorg)
    pages: list[tuple[str, int, int]] = []
    report = sync_org(gw, mirror, on_page=lambda *page: pages.append(page))
    assert report.ok
    assert all(report.full.values())
    expected = devorg_counts(devorg.sf())
    assert mirror_counts(store_engine, devorg.seed.org_id) == expected
    # 8,000+ field history rows come in pages of at most 2,000.
    field_history_pages = [p for p in pages if p[0] == "OpportunityFieldHistory"]
    assert len(field_history_pages) == -(-expected["OpportunityFieldHistory"] // 2000) > 2
    assert max(p[2] for p in field_history_pages) == 2000
    # token + describe + stages + two composite calls (first pages) + one call per next page
    assert report.api_calls == 3 + NO_CHANGE_CALLS + len(pages) - MIRRORED_OBJECTS
    assert mirror.synced_at() == report.started_at
    with Session(store_engine) as session:
        stages = session.exec(select(OpportunityStage)).all()
        assert len(stages) == 10
        opp = session.exec(select(Opportunity)).first()
        assert opp is not None
        assert "Description" not in opp.fields  # a long text area
        assert {"StageName", "Next_Meeting_Date__c", "ExpectedRevenue"} <= set(opp.fields)
        user = session.exec(select(SfUser).where(SfUser.id == devorg.seed.users["rep"].user_id))
        assert user.one().profile_name == "Sales Rep"


def test_incremental_sync_brings_inserts_edits_and_deletes(
    small: RunningDevorg, store_engine: Engine
) -> None:
    mirror = new_mirror(store_engine, small)
    gw = gateway(small)
    first = refresh_org(store_engine, gw, small.seed.org_id)
    assert first.facts_refreshed == mirror.count(Opportunity)

    sf = small.sf("admin")
    account = sf.Account.create({"Name": "Incremental Ltd"})["id"]
    created = sf.Opportunity.create({
        "Name": "New deal", "StageName": "Prospecting", "CloseDate": "2031-01-15",
        "Amount": 1000, "AccountId": account,
    })["id"]  # fmt: skip
    edited = sf.Opportunity.create(
        {"Name": "To edit", "StageName": "Prospecting", "CloseDate": "2031-02-01"}
    )["id"]
    doomed = sf.Opportunity.create(
        {"Name": "To delete", "StageName": "Prospecting", "CloseDate": "2031-03-01"}
    )["id"]
    sf.OpportunityCompetitor.create({"OpportunityId": created, "CompetitorName": "Globex"})
    sf.Event.create({
        "WhatId": created, "Subject": "Kick-off", "StartDateTime": "2031-01-05T10:00:00.000+0000",
        "EndDateTime": "2031-01-05T11:00:00.000+0000",
    })  # fmt: skip
    middle = refresh_org(store_engine, gw, small.seed.org_id)
    assert {created, edited, doomed} <= middle.sync.changed_opportunity_ids
    sf.Opportunity.update(
        edited, {"StageName": "Qualification", "CloseDate": "2031-04-01", "Amount": 5}
    )
    sf.Opportunity.delete(doomed)

    result = refresh_org(store_engine, gw, small.seed.org_id)
    report = result.sync
    assert not any(report.full.values())
    assert {edited, doomed} <= report.changed_opportunity_ids
    assert doomed in report.deleted_opportunity_ids
    assert mirror_counts(store_engine, small.seed.org_id) == devorg_counts(sf)
    with Session(store_engine) as session:
        row = session.get(Opportunity, (small.seed.org_id, edited))
        assert row is not None
        assert (row.stage_name, row.close_date, row.amount) == (
            "Qualification",
            date(2031, 4, 1),
            Decimal("5.00"),
        )
        assert row.fields["StageName"] == "Qualification"
        gone = session.get(Opportunity, (small.seed.org_id, doomed))
        assert gone is not None
        assert gone.is_deleted
        assert session.get(DerivedFacts, (small.seed.org_id, doomed)) is None
        facts = session.get(DerivedFacts, (small.seed.org_id, edited))
        assert facts is not None
        assert facts.stage_number == 2
        assert facts.close_date_push_count == 1
        assert facts.amount_change_since_creation is None  # created without an amount
        new_facts = session.get(DerivedFacts, (small.seed.org_id, created))
        assert new_facts is not None
        assert new_facts.next_meeting_date == date(2031, 1, 5)
        competitors = session.exec(
            select(OpportunityCompetitor).where(OpportunityCompetitor.opportunity_id == created)
        ).all()
        assert [c.competitor_name for c in competitors] == ["Globex"]
        account_row = session.get(Account, (small.seed.org_id, account))
        assert account_row is not None
        assert account_row.name == "Incremental Ltd"


def test_incremental_sync_with_no_changes_costs_two_composite_calls(
    small: RunningDevorg, store_engine: Engine
) -> None:
    mirror = new_mirror(store_engine, small)
    gw = gateway(small)
    sync_org(gw, mirror)
    before = mirror_counts(store_engine, small.seed.org_id)
    # A new gateway (a new process): the describe comes from the store, not the API.
    fresh = gateway(small)
    fresh.connect()  # log in first, so the count below is queries only
    calls = fresh.api_calls
    report = sync_org(fresh, mirror)
    assert fresh.api_calls - calls == NO_CHANGE_CALLS
    assert report.api_calls == NO_CHANGE_CALLS
    # Only rows inside the overlap window come again (format_soql drops the milliseconds).
    assert report.counts["Opportunity"] < mirror.count(Opportunity)
    assert mirror_counts(store_engine, small.seed.org_id) == before


def test_a_hot_pass_costs_one_api_call_and_sees_changes(
    small: RunningDevorg, store_engine: Engine
) -> None:
    from salesforce.sync import HOT_OBJECTS, MirrorSync

    mirror = new_mirror(store_engine, small)
    gw = gateway(small)
    sync_org(gw, mirror)
    sf = small.sf()
    opp = sf.Opportunity.create(
        {"Name": "Hot pass", "StageName": "Prospecting", "CloseDate": "2031-02-01"}
    )["id"]
    calls = gw.api_calls
    report = MirrorSync(gw, mirror).run(objects=HOT_OBJECTS)
    assert gw.api_calls - calls == 1
    assert set(report.counts) == set(HOT_OBJECTS)
    assert opp in report.changed_opportunity_ids
    with Session(store_engine) as session:
        row = session.get(Opportunity, (small.seed.org_id, opp))
    assert row is not None
    assert row.name == "Hot pass"


def test_overlap_refetches_without_doubling(small: RunningDevorg, store_engine: Engine) -> None:
    mirror = new_mirror(store_engine, small)
    gw = gateway(small)
    sync_org(gw, mirror)
    # An overlap reaching back past every record refetches everything: still no doubles.
    again = sync_org(gw, mirror, overlap=timedelta(days=5000), report=None)
    assert again.counts["Opportunity"] == mirror.count(Opportunity, include_deleted=True)
    assert mirror_counts(store_engine, small.seed.org_id) == devorg_counts(small.sf())


def test_refresh_metadata_reads_describe_and_stages_again(
    small: RunningDevorg, store_engine: Engine
) -> None:
    from salesforce.sync import MirrorSync

    mirror = new_mirror(store_engine, small)
    gw = gateway(small)
    sync = MirrorSync(gw, mirror)
    sync.run(SyncReport(org_id=mirror.org_id, started_at=datetime.now(UTC)))
    calls = gw.api_calls
    describe = sync.refresh_metadata()
    assert gw.api_calls - calls == 2
    assert mirror.load_catalog("Opportunity") == describe
    assert [s.api_name for s in mirror.load_stages()][:2] == ["Prospecting", "Qualification"]


def test_a_quiet_object_is_not_fetched_again_pass_after_pass(
    small: RunningDevorg, store_engine: Engine
) -> None:
    """The watermark follows Salesforce's clock, not the newest row: roles stamped years ago
    (all at the same moment) do not come back within every pass's overlap."""
    mirror = new_mirror(store_engine, small)
    gw = gateway(small)
    before_first_pass = datetime.now(UTC) - timedelta(seconds=2)
    sync_org(gw, mirror)
    watermark = mirror.sync_states()["UserRole"].watermark
    assert watermark is not None
    assert watermark >= before_first_pass
    again = sync_org(gw, mirror)
    assert again.counts["UserRole"] == 0
    assert again.counts["User"] == 0
