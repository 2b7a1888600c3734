"""The evaluation clock: every few minutes, and just after each org's midnight, since date
conditions (CloseDate < TODAY()) change with no record change; in the org's time zone, so Los
Angeles does not see tomorrow at 4 pm."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine

from rules.time_zones import seconds_until_midnight
from services.orgs import MIDNIGHT_MARGIN_SECONDS, OrgRefresher
from services.scheduler import Job, Scheduler, org_jobs
from store.evaluation_state import evaluation_clock
from store.models import Organization
from tests import factories as f
from tests.graphql_client import make_settings
from tests.services import evaluation_rows as rows

pytestmark = pytest.mark.sqlite_only

LA = ZoneInfo("America/Los_Angeles")


def test_seconds_until_midnight_follow_the_zone_and_its_clock_changes() -> None:
    one_minute_before = datetime(2026, 3, 1, 23, 59, tzinfo=LA)
    assert seconds_until_midnight(one_minute_before, LA) == 60
    assert seconds_until_midnight(one_minute_before, UTC) == 16 * 3600 + 60  # 07:59 UTC
    # 8 March 2026 in Los Angeles has 23 hours (clocks go forward at 2 am).
    assert seconds_until_midnight(datetime(2026, 3, 8, tzinfo=LA), LA) == 23 * 3600


@pytest.fixture
def team(store_engine: Engine) -> f.Team:
    """An org in Los Angeles, with its team and its Opportunity describe."""
    org_team = f.team(store_engine)
    rows.describe(store_engine)
    f.add(
        store_engine,
        Organization(org_id=f.ORG_A, id=f.ORG_A, time_zone_sid_key="America/Los_Angeles"),
    )
    return org_team


@pytest.fixture
def refresher(store_engine: Engine, team: f.Team) -> OrgRefresher:
    return OrgRefresher(store_engine, make_settings())


def test_the_evaluation_job_runs_at_its_interval_and_just_after_an_org_s_midnight(
    refresher: OrgRefresher,
) -> None:
    [*_, job] = org_jobs(
        refresher,
        sync_interval_seconds=60,
        clock_tick_seconds=3600,
        evaluation_interval_seconds=300,
    )
    assert (job.name, job.every_seconds, job.run) == ("evaluation", 300, refresher.evaluate_all)
    assert 0 < job.next_wait() <= 300
    afternoon = datetime(2026, 3, 1, 16, 0, tzinfo=LA)
    assert refresher.next_evaluation_delay(300, afternoon) == 300
    before_midnight = datetime(2026, 3, 1, 23, 58, tzinfo=LA)
    assert refresher.next_evaluation_delay(300, before_midnight) == 120 + MIDNIGHT_MARGIN_SECONDS


def test_midnight_in_los_angeles_opens_date_alerts_with_no_record_change(
    store_engine: Engine, team: f.Team, refresher: OrgRefresher
) -> None:
    deal = f.opportunity(
        store_engine, team.reps[0], close_date=date(2026, 3, 1), fields={"CloseDate": "2026-03-01"}
    )
    rows.rule(store_engine, "CloseDate < TODAY()", fix_fields=["CloseDate"])
    # 4 pm on 1 March in Los Angeles is already 2 March in UTC: not past due yet there.
    afternoon = datetime(2026, 3, 1, 16, 0, tzinfo=LA)
    refresher.evaluate_on_the_clock(f.ORG_A, afternoon)
    assert rows.live(store_engine) == {}
    assert evaluation_clock(store_engine, f.ORG_A) == (date(2026, 3, 1), "America/Los_Angeles")
    after_midnight = datetime(2026, 3, 2, 0, 0, 5, tzinfo=LA)
    refresher.evaluate_on_the_clock(f.ORG_A, after_midnight)
    [alert] = rows.live(store_engine).values()
    assert (alert.opportunity_id, alert.opened_at) == (deal.id, after_midnight.astimezone(UTC))
    assert evaluation_clock(store_engine, f.ORG_A)[0] == date(2026, 3, 2)
    assert refresher.evaluate_all() == []
    assert len(rows.live(store_engine)) == 1


def test_an_alerts_datetime_merge_field_is_the_orgs_time(
    store_engine: Engine, team: f.Team, refresher: OrgRefresher
) -> None:
    f.opportunity(store_engine, team.reps[0])
    rows.rule(store_engine, "true", "Checked {!NOW()}")
    early = datetime(2026, 6, 15, 3, 30, tzinfo=UTC)  # still the 14th in Los Angeles
    refresher.evaluate(f.ORG_A, now=early)
    [alert] = rows.live(store_engine).values()
    assert alert.message == "Checked 2026-06-14 20:30 PDT"


@pytest.mark.anyio
async def test_a_job_with_a_delay_waits_what_it_says_after_each_run() -> None:
    runs: list[int] = []
    asked: list[int] = []

    def delay() -> float:
        asked.append(1)
        return 0.01

    scheduler = Scheduler([Job("soon", 3600, lambda: runs.append(1), delay=delay)])
    scheduler.start()
    for _ in range(200):
        if len(runs) >= 3:
            break
        await asyncio.sleep(0.01)
    await scheduler.stop()
    assert len(runs) >= 3  # not once an hour: the delay's 10 ms
    assert len(asked) >= len(runs) - 1
