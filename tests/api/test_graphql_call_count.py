"""No per-row I/O: the SQL statements of a page do not grow with its size."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from tests import factories as f
from tests.graphql_client import graphql_client
from tests.store_backends import counting

pytestmark = pytest.mark.anyio

PAGE = """query($first: Int) { opportunities(first: $first) {
  totalCount
  edges { node {
    id name amount stage { name probability } account { name industry }
    owner { name role manager { name } } competitors
    daysInStage stageNumber closeDatePushCount daysSinceLastActivity nextMeetingDate ageInDays
  } }
} }"""
# Per request: synced-at (1), principal (user, roles, subordinate users: 3), page (1), count (1),
# then one batch each for stages, accounts, owners, roles, managers, competitors, facts (7).
EXPECTED_STATEMENTS = 13


async def test_statements_do_not_grow_with_page_size(store_engine: Engine) -> None:
    team = f.team(store_engine)
    f.synced(store_engine, f.ORG_A, datetime.now(UTC))
    accounts = [f.account(store_engine, f"Account {i}") for i in range(20)]
    for i in range(200):
        opp = f.opportunity(
            store_engine, team.reps[i % 2], account=accounts[i % 20], stage=f.STAGES[i % 6][0]
        )
        f.competitor(store_engine, opp, f"Rival {i % 5}")
        f.facts(
            store_engine,
            opp,
            stage_entered_at=datetime.now(UTC) - timedelta(days=i),
            stage_number=1,
        )
    counts = {}
    async with graphql_client(store_engine, staleness_seconds=3600) as client:
        for first in (10, 200):
            with counting(store_engine) as statements:
                data = await client.data(PAGE, {"first": first}, as_user=team.managers[0])
            assert len(data["opportunities"]["edges"]) == first
            assert data["opportunities"]["edges"][0]["node"]["competitors"]
            counts[first] = len(statements)
    assert counts[10] == counts[200] == EXPECTED_STATEMENTS, counts
