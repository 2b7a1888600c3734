"""No per-row I/O on the sales process's fields: a page of opportunities with their health,
milestones and alerts costs the same SQL statements with 200 rows as with 10."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine

from store import milestones
from tests import factories as f
from tests import process_factories as pf
from tests.api.milestone_requests import health
from tests.graphql_client import graphql_client
from tests.services.evaluation_rows import milestone
from tests.store_backends import counting

pytestmark = pytest.mark.anyio

PAGE = """query($first: Int) { opportunities(first: $first) { edges { node {
  id
  health { score progress penalty breakdown { label points } }
  milestones { milestone { id name } applicable completed completedAt completedBy { name } how }
  alerts(status: [OPEN]) { id rule { id name } kind severity status message recommendation
                           fixFields { name } openedAt }
} } } }"""
# Per request: synced-at (1), principal (3), page (1); then one batch each for the milestones,
# the completions, the health rows, the stages that decide applicability, the users who
# completed milestones (5), and for the alerts, their rules and the rule versions (3).
EXPECTED_STATEMENTS = 13


async def test_health_milestones_and_alerts_cost_the_same_for_10_or_200_rows(
    store_engine: Engine,
) -> None:
    team = f.team(store_engine)
    f.synced(store_engine, f.ORG_A, datetime.now(UTC))
    made = [
        milestone(store_engine, "Budget confirmed"),
        milestone(store_engine, "Proposal sent", stage="Proposal"),
        milestone(store_engine, "Agreed", stage="Negotiation"),
    ]
    rules = [pf.rule(store_engine, f.ORG_A, name=f"Rule {i}") for i in range(3)]
    for i in range(200):
        rep = team.reps[i % 2]
        opp = f.opportunity(store_engine, rep, stage=f.STAGES[i % 4][0])
        health(store_engine, opp.id, i % 100)
        pf.alert(store_engine, rules[i % 3], opp)
        milestones.complete_milestone(
            store_engine, f.ORG_A, made[i % 3].id, opp.id, rep.id, None, f.NOW
        )
    counts = {}
    async with graphql_client(store_engine, staleness_seconds=3600) as client:
        for first in (10, 200):
            with counting(store_engine) as statements:
                data = await client.data(PAGE, {"first": first}, as_user=team.managers[0])
            edges = data["opportunities"]["edges"]
            assert len(edges) == first
            assert all(edge["node"]["health"] is not None for edge in edges)
            assert any(m["completedBy"] for e in edges for m in e["node"]["milestones"])
            assert all(len(edge["node"]["alerts"]) == 1 for edge in edges)
            counts[first] = len(statements)
    assert counts[10] == counts[200] == EXPECTED_STATEMENTS, counts
