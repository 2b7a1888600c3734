"""devorg's Organization object over HTTP: queryable and described as on Salesforce, read-only,
present in a file an older devorg seeded, and the time zone the org's validation rules run in."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

from devorg import validation
from tests.devorg_server import RunningDevorg, start_devorg
from tests.zones import a_zone_whose_date_is_not_utcs

ORGANIZATION_SOQL = "SELECT Id, Name, TimeZoneSidKey, DefaultCurrencyIsoCode FROM Organization"


def call(org: RunningDevorg, sf: Salesforce, method: str, path: str, **kw: Any) -> Any:
    headers = {"Authorization": f"Bearer {sf.session_id}"}
    return requests.request(method, org.api + path, headers=headers, timeout=10, **kw)


def test_the_organization_is_queryable_as_on_salesforce(devorg: RunningDevorg) -> None:
    result = devorg.sf().query(ORGANIZATION_SOQL)
    assert result["totalSize"] == 1
    record = result["records"][0]
    assert record["attributes"]["type"] == "Organization"
    assert {k: v for k, v in record.items() if k != "attributes"} == {
        "Id": devorg.seed.org_id,
        "Name": "Brightwave Software",
        "TimeZoneSidKey": "America/Los_Angeles",
        "DefaultCurrencyIsoCode": "USD",
    }
    more = devorg.sf().query(
        "SELECT IsSandbox, OrganizationType, LanguageLocaleKey, SystemModstamp FROM Organization"
    )["records"][0]
    assert (more["IsSandbox"], more["OrganizationType"], more["LanguageLocaleKey"]) == (
        False,
        "Enterprise Edition",
        "en_US",
    )
    assert more["SystemModstamp"].endswith("+0000")
    by_id = devorg.sf().Organization.get(devorg.seed.org_id)
    assert by_id["TimeZoneSidKey"] == "America/Los_Angeles"


def test_the_organization_is_described_and_read_only(devorg: RunningDevorg) -> None:
    sf = devorg.sf()
    described = sf.describe()
    assert described is not None
    entry = {o["name"]: o for o in described["sobjects"]}["Organization"]
    assert (entry["keyPrefix"], entry["createable"], entry["updateable"]) == ("00D", False, False)
    assert (entry["deletable"], entry["queryable"], entry["replicateable"]) == (False, True, False)
    fields = {f["name"]: f for f in sf.Organization.describe()["fields"]}
    zone = fields["TimeZoneSidKey"]
    assert (zone["type"], zone["createable"], zone["updateable"]) == ("picklist", False, False)
    assert "America/Los_Angeles" in [v["value"] for v in zone["picklistValues"]]
    assert fields["DefaultCurrencyIsoCode"]["type"] == "picklist"
    patched = call(devorg, sf, "PATCH", f"/sobjects/Organization/{devorg.seed.org_id}",
                   json={"TimeZoneSidKey": "Europe/London"})  # fmt: skip
    assert patched.status_code == 400
    assert patched.json()[0]["errorCode"] == "INVALID_TYPE_FOR_OPERATION"
    created = call(devorg, sf, "POST", "/sobjects/Organization", json={"Name": "Another org"})
    assert created.status_code == 400
    assert created.json()[0]["errorCode"] == "INVALID_TYPE_FOR_OPERATION"
    assert sf.query(ORGANIZATION_SOQL)["records"][0]["TimeZoneSidKey"] == "America/Los_Angeles"


def _as_seeded_before_the_organization_object(database: Path) -> None:
    with sqlite3.connect(database) as conn:
        conn.execute('DROP TABLE "Organization"')


def test_a_file_seeded_before_the_organization_object_gets_its_row(
    tmp_path: Path,
) -> None:
    old = start_devorg(
        tmp_path, opportunities=5, seed=2, before_serving=_as_seeded_before_the_organization_object
    )
    try:
        records = old.sf().query(ORGANIZATION_SOQL)["records"]
    finally:
        old.stop()
    assert [(r["Id"], r["Name"], r["TimeZoneSidKey"], r["DefaultCurrencyIsoCode"])
            for r in records] == [(old.seed.org_id, "Brightwave Software",
                                   "America/Los_Angeles", "USD")]  # fmt: skip


# -- validation rules run in the org's time zone ---------------------------------------------
@pytest.fixture(scope="module")
def zoned_org(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDevorg]:
    running = start_devorg(Path(tmp_path_factory.mktemp("zoned")), opportunities=5, seed=4)
    yield running
    running.stop()


def set_time_zone(org: RunningDevorg, key: str) -> None:
    """What an admin does in Setup > Company Information (devorg has no API for it)."""
    with sqlite3.connect(org.database) as conn:
        conn.execute('UPDATE "Organization" SET "TimeZoneSidKey" = ?', [key])


def test_validation_rules_take_today_in_the_orgs_time_zone(zoned_org: RunningDevorg) -> None:
    key, ahead = a_zone_whose_date_is_not_utcs()
    set_time_zone(zoned_org, key)
    sf = zoned_org.sf()
    local_today = datetime.now(ZoneInfo(key)).date()
    assert local_today == datetime.now(UTC).date() + timedelta(days=ahead)
    deal = {"Name": "Zoned", "StageName": "Prospecting", "CloseDate": "2031-01-31"}
    # The org's today is fine, the org's yesterday is refused, whatever UTC's date says.
    assert sf.Opportunity.create({**deal, "Next_Meeting_Date__c": local_today.isoformat()})
    yesterday = (local_today - timedelta(days=1)).isoformat()
    with pytest.raises(SalesforceMalformedRequest) as refused:
        sf.Opportunity.create({**deal, "Next_Meeting_Date__c": yesterday})
    assert refused.value.content[0]["fields"] == ["Next_Meeting_Date__c"]


def test_an_unknown_time_zone_key_falls_back_to_utc(zoned_org: RunningDevorg) -> None:
    set_time_zone(zoned_org, "Not/A_Zone")
    sf = zoned_org.sf()
    deal = {"Name": "Unzoned", "StageName": "Prospecting", "CloseDate": "2031-01-31"}
    today = datetime.now(UTC).date()
    assert sf.Opportunity.create({**deal, "Next_Meeting_Date__c": today.isoformat()})
    with pytest.raises(SalesforceMalformedRequest):
        sf.Opportunity.create(
            {**deal, "Next_Meeting_Date__c": (today - timedelta(days=2)).isoformat()}
        )


@pytest.mark.parametrize(
    ("now", "zone", "fires"),
    [
        # 23:30 on June 15th in Los Angeles is already June 16th in UTC
        (datetime(2026, 6, 16, 6, 30, tzinfo=UTC), "America/Los_Angeles", False),
        (datetime(2026, 6, 16, 6, 30, tzinfo=UTC), None, True),
        # 00:30 on June 16th in Los Angeles: the meeting date is yesterday's there too
        (datetime(2026, 6, 16, 7, 30, tzinfo=UTC), "America/Los_Angeles", True),
    ],
)
def test_the_next_meeting_rule_on_both_sides_of_local_midnight(
    now: datetime, zone: str | None, fires: bool
) -> None:
    row = {"IsClosed": 0, "Next_Meeting_Date__c": "2026-06-15"}
    rule = [r for r in validation.RULES if r.name == "Next_Meeting_Not_In_Past"]
    assert bool(validation.failing_rules(rule, row, now, time_zone=zone)) is fires
