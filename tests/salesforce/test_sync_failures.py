"""Sync under failure: expired sessions, 503 storms, an exhausted API budget and a pass killed
half-way. After each, the mirror is consistent, the failing object's watermark has not moved,
and the next pass catches up with nothing lost or doubled."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from salesforce.errors import ApiLimitExceeded, SalesforceUnavailable
from salesforce.sync import SyncReport, sync_org
from services.refresh import refresh_org
from store.mirror import Mirror
from store.models import Account, Opportunity
from tests.devorg_server import RunningDevorg
from tests.salesforce.conftest import FAST_RETRY, gateway, new_mirror
from tests.salesforce.test_sync import MIRRORED_OBJECTS, devorg_counts, mirror_counts


def at_page(sobject: str, action: Callable[[], None]) -> Callable[[str, int, int], None]:
    """A page hook running `action` once, after the first page of `sobject`."""
    fired: list[bool] = []

    def hook(name: str, number: int, _records: int) -> None:
        if name == sobject and not fired:
            fired.append(True)
            action()

    return hook


def watermarks(mirror: Mirror) -> dict[str, object]:
    return {name: state.watermark for name, state in mirror.sync_states().items()}


def add_opportunity(devorg: RunningDevorg, name: str) -> str:
    result = devorg.sf().Opportunity.create(
        {"Name": name, "StageName": "Prospecting", "CloseDate": "2031-05-01"}
    )
    return str(result["id"])


def test_expired_session_mid_sync_reauthenticates_once(
    small: RunningDevorg, store_engine: Engine
) -> None:
    mirror = new_mirror(store_engine, small)
    gw = gateway(small)
    hook = at_page("Opportunity", lambda: small.control("POST", "expire-sessions"))
    report = sync_org(gw, mirror, on_page=hook)
    assert report.ok
    assert gw.logins == 2
    assert mirror_counts(store_engine, small.seed.org_id) == devorg_counts(small.sf())


def test_a_503_storm_within_the_retry_budget_is_absorbed(
    small: RunningDevorg, store_engine: Engine
) -> None:
    mirror = new_mirror(store_engine, small)
    gw = gateway(small)
    storm = FAST_RETRY.max_attempts - 1
    hook = at_page("Opportunity", lambda: small.control("PUT", "faults", {"fail_next": storm}))
    report = sync_org(gw, mirror, on_page=hook)
    assert report.ok
    # token + describe + stages + 2 composite calls + next pages + the retried requests
    assert report.api_calls == 3 + 2 + sum(report.pages.values()) - MIRRORED_OBJECTS + storm
    assert mirror_counts(store_engine, small.seed.org_id) == devorg_counts(small.sf())


def test_a_503_storm_beyond_the_budget_fails_cleanly_and_the_next_sync_completes(
    small: RunningDevorg, store_engine: Engine
) -> None:
    mirror = new_mirror(store_engine, small)
    gw = gateway(small)
    sync_org(gw, mirror)
    marks = watermarks(mirror)
    account = small.sf().Account.create({"Name": "Storm Ltd"})["id"]

    # The hot objects come in the first composite call; the storm hits the second one (the
    # cold objects: roles, users, accounts, tasks), which fails after every retry.
    hook = at_page("Opportunity", lambda: small.control("PUT", "faults", {"fail_next": 10}))
    report = SyncReport(org_id=mirror.org_id, started_at=datetime.now(UTC))
    with pytest.raises(SalesforceUnavailable, match="503"):
        sync_org(gw, mirror, on_page=hook, report=report)
    assert report.error is not None
    assert not report.ok
    states = mirror.sync_states()
    assert states["Account"].watermark == marks["Account"]
    assert "503" in (states["Account"].last_error or "")
    small.reset_faults()

    after = refresh_org(store_engine, gw, mirror.org_id)
    assert after.sync.ok
    assert after.sync.counts["Account"] >= 1
    assert mirror.sync_states()["Account"].last_error is None
    with Session(store_engine) as session:
        assert session.get(Account, (mirror.org_id, account)) is not None
    assert mirror_counts(store_engine, small.seed.org_id) == devorg_counts(small.sf())


def test_api_budget_exhausted_mid_sync(small: RunningDevorg, store_engine: Engine) -> None:
    mirror = new_mirror(store_engine, small)
    gw = gateway(small)
    sync_org(gw, mirror)
    marks = watermarks(mirror)
    account = small.sf().Account.create({"Name": "Budget Ltd"})["id"]
    limit = small.settings.api_daily_limit

    # One call left: the hot composite call passes, the cold one (accounts...) hits the limit.
    gw.connect()
    small.control("PUT", "api-usage", {"used": limit - 1})
    with pytest.raises(ApiLimitExceeded) as caught:
        sync_org(gw, mirror)
    assert caught.value.total == limit
    states = mirror.sync_states()
    assert "REQUEST_LIMIT_EXCEEDED" in (states["Account"].last_error or "")
    assert states["Account"].watermark == marks["Account"]
    assert gw.api_usage == (limit, limit)

    small.control("PUT", "api-usage", {"used": 0})
    report = sync_org(gw, mirror)
    assert report.ok
    with Session(store_engine) as session:
        assert session.get(Account, (mirror.org_id, account)) is not None
    assert mirror_counts(store_engine, small.seed.org_id) == devorg_counts(small.sf())


def test_reserve_stops_before_spending_the_last_calls(
    small: RunningDevorg, store_engine: Engine
) -> None:
    mirror = new_mirror(store_engine, small)
    gw = gateway(small, reserve_calls=100)
    gw.connect()
    small.control("PUT", "api-usage", {"used": small.settings.api_daily_limit - 103})
    with pytest.raises(ApiLimitExceeded, match="reserve"):
        sync_org(gw, mirror)
    used, total = gw.api_usage or (0, 0)
    assert total - used == 100


class Killed(BaseException):
    """Stands for the process dying (not an Exception: nothing may swallow it)."""


def test_a_sync_killed_half_way_resumes_with_nothing_lost_or_doubled(
    small: RunningDevorg, store_engine: Engine
) -> None:
    mirror = new_mirror(store_engine, small)
    gw = gateway(small)
    sync_org(gw, mirror)
    marks = watermarks(mirror)
    sf = small.sf()
    added = add_opportunity(small, "Killed deal")
    existing = next(iter(mirror.opportunity_ids()))
    sf.Opportunity.update(existing, {"NextStep": "Call back after the crash"})

    def kill() -> None:
        raise Killed

    # Dies after committing the first page of opportunities, before their watermark moves.
    with pytest.raises(Killed):
        refresh_org(store_engine, gw, mirror.org_id, on_page=at_page("Opportunity", kill))
    assert watermarks(mirror)["Opportunity"] == marks["Opportunity"]
    # What was committed is whole: the new deal is there, with its facts.
    assert mirror.load_fact_inputs([added]).opportunities

    resumed = sync_org(gw, mirror)
    assert resumed.ok
    assert {added, existing} <= resumed.changed_opportunity_ids
    assert mirror_counts(store_engine, small.seed.org_id) == devorg_counts(sf)
    assert mirror.count(Opportunity) == int(
        sf.query("SELECT COUNT() FROM Opportunity")["totalSize"]
    )
