"""Salesforce API calls per GraphQL request, against a real devorg and the real refresher:
none when the mirror is fresh, one when it is stale, one for twenty concurrent stale requests."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from salesforce.gateway import Gateway
from services.orgs import OrgRefresher
from store.mirror import ORG_PASS, Mirror
from store.models import SfUser
from tests.devorg_server import RunningDevorg
from tests.graphql_client import graphql_client

pytestmark = [pytest.mark.anyio, pytest.mark.sqlite_only]

LISTING = """{ opportunities(first: 200, orderBy: {field: AMOUNT, direction: DESC}) {
  totalCount edges { node { id name amount account { name } owner { name }
  stage { name sortOrder } competitors daysInStage stageNumber closeDatePushCount
  nextMeetingDate ageInDays } } } }"""


def make_stale(engine: Engine, org_id: str) -> None:
    """Pretend the last complete pass ran an hour ago."""
    Mirror(engine, org_id).record_success(
        ORG_PASS, watermark=None, records=0, at=datetime.now(UTC) - timedelta(hours=1)
    )


def admin_of(engine: Engine, devorg: RunningDevorg) -> SfUser:
    with Session(engine) as session:
        user = session.get(SfUser, (devorg.seed.org_id, devorg.seed.users["admin"].user_id))
    assert user is not None
    return user


def gateway_of(refresher: OrgRefresher, devorg: RunningDevorg) -> Gateway:
    return refresher.gateway(devorg.seed.org_id)


async def test_api_calls_per_request_fresh_stale_and_twenty_concurrent(
    store_engine: Engine, devorg: RunningDevorg, refresher: OrgRefresher
) -> None:
    gateway = gateway_of(refresher, devorg)
    admin = admin_of(store_engine, devorg)
    async with graphql_client(store_engine, sync_org=refresher.hot, staleness_seconds=30) as gql:
        # Fresh: answered from the mirror alone.
        before = gateway.api_calls
        data = await gql.data(LISTING, as_user=admin)
        assert len(data["opportunities"]["edges"]) == 200
        assert gateway.api_calls == before

        # Stale: one hot pass, one composite call.
        make_stale(store_engine, devorg.seed.org_id)
        before = gateway.api_calls
        await gql.data(LISTING, as_user=admin)
        assert gateway.api_calls - before == 1

        # Twenty concurrent stale requests share that one call.
        make_stale(store_engine, devorg.seed.org_id)
        before = gateway.api_calls
        answers = await asyncio.gather(*(gql.data(LISTING, as_user=admin) for _ in range(20)))
        assert all(len(a["opportunities"]["edges"]) == 200 for a in answers)
        assert gateway.api_calls - before == 1
