"""syncStatus.lastError is the latest failure of a pass of the org, and clears as soon as any
later pass succeeds, whichever kind failed and whichever kind recovered (devorg's 503 fault
makes a pass fail: the gateway gives up after its retries)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine

from salesforce.gateway import RetryPolicy
from services.freshness import SyncFailure, sync_error
from services.orgs import OrgRefresher
from store.models import SfUser, SyncState
from tests.api.test_graphql_api_calls import admin_of, make_stale
from tests.devorg_server import RunningDevorg
from tests.graphql_client import GraphQLClient, graphql_client

pytestmark = [pytest.mark.anyio, pytest.mark.sqlite_only]

STATUS = "{ syncStatus { stale lastError } }"
EVERY_ATTEMPT_FAILS = {"fail_next": RetryPolicy().max_attempts, "fail_status": 503}


def next_pass_fails(engine: Engine, devorg: RunningDevorg) -> SfUser:
    """A stale mirror whose next pass fails; the admin, to ask with."""
    make_stale(engine, devorg.seed.org_id)
    devorg.control("PUT", "faults", EVERY_ATTEMPT_FAILS)
    return admin_of(engine, devorg)


async def sync_status(client: GraphQLClient, user: SfUser) -> dict[str, Any]:
    return dict((await client.data(STATUS, as_user=user))["syncStatus"])


async def test_a_failure_clears_when_a_later_pass_of_the_other_kind_succeeds(
    store_engine: Engine, devorg_faults: RunningDevorg, refresher: OrgRefresher
) -> None:
    # A request-time pass fails; the scheduler's pass (or `dealpulse sync`) then succeeds.
    admin = next_pass_fails(store_engine, devorg_faults)
    async with graphql_client(store_engine, sync_org=refresher.hot, staleness_seconds=30) as gql:
        failed = await sync_status(gql, admin)
        assert failed["stale"] is True
        assert "SalesforceUnavailable" in failed["lastError"]

        assert refresher.full_all() == []
        recovered = await sync_status(gql, admin)
    assert recovered == {"stale": False, "lastError": None}

    # The reverse: the scheduler's pass fails; a request-time pass then succeeds.
    next_pass_fails(store_engine, devorg_faults)
    assert refresher.full_all() == [devorg_faults.seed.org_id]
    async with graphql_client(store_engine, staleness_seconds=30) as mirror_only:
        failed = await sync_status(mirror_only, admin)
    assert "SalesforceUnavailable" in failed["lastError"]
    async with graphql_client(store_engine, sync_org=refresher.hot, staleness_seconds=30) as gql:
        recovered = await sync_status(gql, admin)
    assert recovered == {"stale": False, "lastError": None}


T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)


def org_pass(*, success: datetime, attempt: datetime, error: str | None) -> SyncState:
    return SyncState(
        org_id="00DA", sobject="_org", last_success_at=success, last_attempt_at=attempt,
        last_error=error,
    )  # fmt: skip


def test_the_latest_failure_is_shown_until_a_later_success() -> None:
    remembered = SyncFailure(at=T0, message="SalesforceUnavailable")
    failed_before = org_pass(success=T0 - timedelta(hours=1), attempt=T0, error="stored")
    assert sync_error(failed_before, remembered) == f"sync failed at {T0.isoformat()}: " + (
        "SalesforceUnavailable"
    )
    succeeded_after = org_pass(success=T0 + timedelta(seconds=1), attempt=T0, error=None)
    assert sync_error(succeeded_after, remembered) is None
    later = T0 + timedelta(minutes=1)
    failed_later = org_pass(success=T0 - timedelta(hours=1), attempt=later, error="503 later")
    assert sync_error(failed_later, remembered) == "503 later"
    assert sync_error(failed_later, None) == "503 later"
    assert sync_error(None, None) is None
