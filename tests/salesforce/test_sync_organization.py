"""The sync mirrors the Organization record (time zone, currency) over HTTP from devorg: with the
full passes only, at no extra API call, backfilled for an org synced before it was mirrored,
followed when an admin changes the time zone (the facts' dates move with it), and never in the
way of the rest of a pass when Salesforce refuses the query."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete
from sqlmodel import Session

from devorg.db import sf_datetime
from salesforce import sync as sync_module
from salesforce.sync import HOT_OBJECTS, MirrorSync, sync_org
from salesforce.sync_objects import ObjectSpec
from services.refresh import refresh_org
from store.engine import session_scope
from store.mirror import Mirror
from store.models import DerivedFacts, Organization, SyncState
from tests.devorg_server import RunningDevorg, start_devorg
from tests.salesforce.conftest import gateway, new_mirror
from tests.salesforce.test_sync import NO_CHANGE_CALLS, devorg_counts, mirror_counts


@pytest.fixture(scope="module")
def org(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDevorg]:
    """A private devorg: these tests change its Organization record."""
    running = start_devorg(Path(tmp_path_factory.mktemp("organization")), opportunities=30, seed=8)
    yield running
    running.stop()


def organization(engine: Engine, org_id: str) -> Organization | None:
    with Session(engine) as session:
        return session.get(Organization, org_id)


def set_time_zone(devorg: RunningDevorg, key: str) -> None:
    """An admin's change in Company Information: the record's SystemModstamp moves."""
    stamp = sf_datetime(datetime.now(UTC))
    with sqlite3.connect(devorg.database) as conn:
        conn.execute(
            'UPDATE "Organization" SET "TimeZoneSidKey" = ?, "SystemModstamp" = ?, '
            '"LastModifiedDate" = ?',
            [key, stamp, stamp],
        )


def test_a_full_pass_mirrors_the_org_time_zone_and_currency(
    org: RunningDevorg, store_engine: Engine
) -> None:
    mirror = new_mirror(store_engine, org)
    report = sync_org(gateway(org), mirror)
    assert report.ok
    assert report.counts["Organization"] == 1
    row = organization(store_engine, org.seed.org_id)
    assert row is not None
    assert (row.id, row.name) == (org.seed.org_id, "Brightwave Software")
    assert (row.time_zone_sid_key, row.default_currency_iso_code) == ("America/Los_Angeles", "USD")
    assert mirror.time_zone() == "America/Los_Angeles"


def test_the_hot_pass_leaves_the_organization_out(org: RunningDevorg, store_engine: Engine) -> None:
    mirror = new_mirror(store_engine, org)
    gw = gateway(org)
    sync_org(gw, mirror)
    calls = gw.api_calls
    report = MirrorSync(gw, mirror).run(objects=HOT_OBJECTS)
    assert gw.api_calls - calls == 1
    assert "Organization" not in report.counts
    assert "Organization" not in report.full


def forget_the_organization(engine: Engine, org_id: str) -> None:
    """The store of an org connected before the Organization record was mirrored."""
    with session_scope(engine) as session:
        session.execute(delete(Organization).where(Organization.org_id == org_id))  # type: ignore[arg-type]
        session.execute(
            delete(SyncState).where(
                SyncState.org_id == org_id,  # type: ignore[arg-type]
                SyncState.sobject == "Organization",  # type: ignore[arg-type]
            )
        )


def test_an_org_synced_before_is_backfilled_on_its_next_pass_at_no_extra_call(
    org: RunningDevorg, store_engine: Engine
) -> None:
    mirror = new_mirror(store_engine, org)
    gw = gateway(org)
    refresh_org(store_engine, gw, org.seed.org_id)
    forget_the_organization(store_engine, org.seed.org_id)
    assert mirror.time_zone() is None
    gw.connect()
    calls = gw.api_calls
    result = refresh_org(store_engine, gw, org.seed.org_id)
    assert gw.api_calls - calls == NO_CHANGE_CALLS
    assert result.sync.full["Organization"]
    assert not result.sync.full["Opportunity"]
    assert mirror.time_zone() == "America/Los_Angeles"
    # the zone arrived, so every opportunity's facts were recomputed in it
    assert result.facts_refreshed == mirror.count(DerivedFacts)


def test_a_time_zone_change_is_followed_and_moves_the_facts_dates(
    org: RunningDevorg, store_engine: Engine
) -> None:
    sf = org.sf()
    deal = sf.Opportunity.create(
        {"Name": "Zoned meeting", "StageName": "Prospecting", "CloseDate": "2031-03-01"}
    )["id"]
    sf.Event.create({
        "WhatId": deal, "Subject": "Evening call in California",
        "StartDateTime": "2031-01-05T03:00:00.000+0000",  # Jan 4th 19:00 PST, Jan 5th in Tokyo
        "EndDateTime": "2031-01-05T04:00:00.000+0000",
    })  # fmt: skip
    mirror = new_mirror(store_engine, org)
    gw = gateway(org)
    try:
        refresh_org(store_engine, gw, org.seed.org_id)
        assert next_meeting(store_engine, org.seed.org_id, deal) == date(2031, 1, 4)
        set_time_zone(org, "Asia/Tokyo")
        result = refresh_org(store_engine, gw, org.seed.org_id)
        assert result.sync.counts["Organization"] == 1
        assert mirror.time_zone() == "Asia/Tokyo"
        assert next_meeting(store_engine, org.seed.org_id, deal) == date(2031, 1, 5)
        assert result.facts_refreshed == mirror.count(DerivedFacts)
        # Within the overlap the record comes again, unchanged: no second full facts refresh.
        again = refresh_org(store_engine, gw, org.seed.org_id)
        assert again.sync.counts["Organization"] == 1
        assert again.facts_refreshed < mirror.count(DerivedFacts)
    finally:
        set_time_zone(org, "America/Los_Angeles")


def next_meeting(engine: Engine, org_id: str, opportunity_id: str) -> date | None:
    with Session(engine) as session:
        facts = session.get(DerivedFacts, (org_id, opportunity_id))
    assert facts is not None
    return facts.next_meeting_date


def test_a_refused_organization_query_does_not_stop_the_pass(
    org: RunningDevorg, store_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As for an org that lacks one of the fields (an edition without it, say)."""
    real_specs = sync_module.object_specs

    def with_a_field_the_org_lacks(describe: dict[str, object]) -> tuple[ObjectSpec, ...]:
        specs = real_specs(describe)
        return tuple(
            ObjectSpec(s.sobject, s.model, (*s.fields, "NoSuchField__c"), s.to_row,
                       has_is_deleted=False, optional=True)
            if s.sobject == "Organization" else s
            for s in specs
        )  # fmt: skip

    monkeypatch.setattr(sync_module, "object_specs", with_a_field_the_org_lacks)
    mirror = new_mirror(store_engine, org)
    gw = gateway(org)
    report = sync_org(gw, mirror)
    assert report.ok
    assert "INVALID_FIELD" in report.skipped["Organization"]
    assert "Organization" not in report.counts
    counts = devorg_counts(org.sf())
    assert mirror_counts(store_engine, org.seed.org_id) == {**counts, "Organization": 0}
    state = Mirror(store_engine, org.seed.org_id).sync_states()["Organization"]
    assert state.last_error is not None
    assert "INVALID_FIELD" in state.last_error
    assert state.watermark is None  # asked again, in full, by the next pass
