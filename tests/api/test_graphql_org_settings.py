"""`me { currency timeZone }` and day counts in the org's time zone, over GraphQL: after a real
sync from devorg, before the Organization record is mirrored, and for two orgs side by side."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from salesforce.gateway import Gateway
from salesforce.login import OrgConnection
from services.refresh import refresh_org
from store.mirror import Mirror
from store.models import Organization, SfUser
from tests import factories as f
from tests.devorg_server import RunningDevorg
from tests.graphql_client import graphql_client
from tests.zones import a_zone_whose_date_is_not_utcs

pytestmark = [pytest.mark.anyio, pytest.mark.sqlite_only]

ME = "{ me { orgId currency timeZone user { id } } }"


def devorg_gateway(devorg: RunningDevorg) -> Gateway:
    admin = devorg.seed.users["admin"]
    return Gateway(
        OrgConnection(
            auth_flow="password", instance_url=devorg.url, client_id=devorg.seed.client_id,
            client_secret=devorg.seed.client_secret, username=admin.username,
            password=admin.password, is_devorg=True,
        )
    )  # fmt: skip


async def test_me_shows_the_orgs_currency_and_time_zone_after_a_sync_from_devorg(
    store_engine: Engine, devorg: RunningDevorg
) -> None:
    seed = devorg.seed
    Mirror(store_engine, seed.org_id).ensure_org(
        name="Demo org", instance_url=devorg.url, auth_flow="password",
        client_id=seed.client_id, is_devorg=True,
    )  # fmt: skip
    gateway = devorg_gateway(devorg)
    await run_in_threadpool(refresh_org, store_engine, gateway, seed.org_id)
    rep = SfUser(org_id=seed.org_id, id=seed.users["rep"].user_id, name="rep", username="rep")
    async with graphql_client(store_engine, staleness_seconds=3600) as client:
        me = (await client.data(ME, as_user=rep))["me"]
    assert me == {
        "orgId": seed.org_id,
        "currency": "USD",
        "timeZone": "America/Los_Angeles",
        "user": {"id": rep.id},
    }


async def test_me_is_null_until_the_organization_is_mirrored(store_engine: Engine) -> None:
    team = f.team(store_engine)
    async with graphql_client(store_engine) as client:
        me = (await client.data(ME, as_user=team.reps[0]))["me"]
    assert (me["currency"], me["timeZone"]) == (None, None)


def organization(engine: Engine, org_id: str, time_zone: str, currency: str) -> None:
    Mirror(engine, org_id).upsert(
        Organization,
        [{"id": org_id, "time_zone_sid_key": time_zone, "default_currency_iso_code": currency}],
    )


async def test_day_counts_are_in_each_orgs_time_zone(store_engine: Engine) -> None:
    zone, ahead = a_zone_whose_date_is_not_utcs()
    zoned, plain = f.team(store_engine, f.ORG_A), f.team(store_engine, f.ORG_B)
    organization(store_engine, f.ORG_A, zone, "EUR")
    organization(store_engine, f.ORG_B, "Not/A_Zone", "USD")  # unknown here: days count in UTC
    utc_today = datetime.now(UTC).date()
    assert datetime.now(ZoneInfo(zone)).date() == utc_today + timedelta(days=ahead)
    for org, rep in ((f.ORG_A, zoned.reps[0]), (f.ORG_B, plain.reps[0])):
        f.synced(store_engine, org, datetime.now(UTC))
        opp = f.opportunity(store_engine, rep)
        f.facts(store_engine, opp, last_activity_date=utc_today - timedelta(days=1))
    query = (
        "{ me { currency timeZone } opportunities { edges { node { daysSinceLastActivity } } } }"
    )
    async with graphql_client(store_engine, staleness_seconds=3600) as client:
        in_zone = await client.data(query, as_user=zoned.reps[0])
        in_utc = await client.data(query, as_user=plain.reps[0])
    assert in_zone["me"] == {"currency": "EUR", "timeZone": zone}
    assert [e["node"]["daysSinceLastActivity"] for e in in_zone["opportunities"]["edges"]] == [
        1 + ahead
    ]
    assert in_utc["me"] == {"currency": "USD", "timeZone": "Not/A_Zone"}
    assert [e["node"]["daysSinceLastActivity"] for e in in_utc["opportunities"]["edges"]] == [1]
