"""Visibility per DESIGN.md: by list, by id and in totalCount; nothing crosses orgs."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from store.models import Opportunity, SfUser
from tests import factories as f
from tests.graphql_client import GraphQLClient, graphql_client

pytestmark = [pytest.mark.anyio, pytest.mark.sqlite_only]

LIST = "{ opportunities(first: 100) { totalCount edges { node { id owner { id } } } } }"
BY_ID = "query($id: ID!) { opportunity(id: $id) { id } }"


async def _listed(client: GraphQLClient, who: SfUser) -> tuple[set[str], int]:
    data = await client.data(LIST, as_user=who)
    connection = data["opportunities"]
    return {e["node"]["id"] for e in connection["edges"]}, connection["totalCount"]


async def _by_id(client: GraphQLClient, who: SfUser, opp: Opportunity) -> bool:
    data = await client.data(BY_ID, {"id": opp.id}, as_user=who)
    return data["opportunity"] is not None


async def test_rep_manager_and_admin_see_exactly_their_deals(store_engine: Engine) -> None:
    team = f.team(store_engine)
    deals = {user.id: f.opportunity(store_engine, user) for user in [*team.reps, *team.managers]}
    vp_deal = f.opportunity(store_engine, team.vp)
    east = {deals[u.id].id for u in (team.managers[0], team.reps[0], team.reps[1])}
    everything = {d.id for d in deals.values()} | {vp_deal.id}
    async with graphql_client(store_engine) as client:
        assert await _listed(client, team.reps[0]) == ({deals[team.reps[0].id].id}, 1)
        assert await _listed(client, team.managers[0]) == (east, 3)
        assert await _listed(client, team.vp) == (everything, 7)  # every level below the VP
        assert await _listed(client, team.admin) == (everything, 7)
        # By id: the same rules, and an invisible deal is indistinguishable from a missing one.
        rep, other_rep = team.reps[0], team.reps[2]
        assert await _by_id(client, rep, deals[rep.id])
        assert not await _by_id(client, rep, deals[other_rep.id])
        assert not await _by_id(client, rep, deals[team.managers[0].id])
        assert await _by_id(client, team.managers[0], deals[team.reps[1].id])
        assert not await _by_id(client, team.managers[0], deals[other_rep.id])
        assert await _by_id(client, team.admin, deals[other_rep.id])


async def test_owner_filter_cannot_widen_visibility(store_engine: Engine) -> None:
    team = f.team(store_engine)
    f.opportunity(store_engine, team.reps[2])
    async with graphql_client(store_engine) as client:
        data = await client.data(
            "query($o: [ID!]) { opportunities(filter: {ownerIds: $o}) { totalCount } }",
            {"o": [team.reps[2].id]},
            as_user=team.reps[0],
        )
    assert data["opportunities"]["totalCount"] == 0


async def test_nothing_crosses_orgs(store_engine: Engine) -> None:
    team_a, team_b = f.team(store_engine), f.team(store_engine, f.ORG_B)
    deal_a = f.opportunity(store_engine, team_a.reps[0])
    deal_b = f.opportunity(store_engine, team_b.reps[0])
    async with graphql_client(store_engine) as client:
        assert await _listed(client, team_b.admin) == ({deal_b.id}, 1)
        assert not await _by_id(client, team_b.admin, deal_a)
        # A token naming org B with a user of org A is refused (the user is not in org B).
        forged = f.user(store_engine, "Ghost", org_id=f.ORG_A)
        from auth.dev_tokens import issue_dev_token

        token = issue_dev_token(client.settings, f.ORG_B, forged.id)
        response = await client.post(LIST, token=token)
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert response.json()["data"] is None


async def test_an_inactive_user_is_refused(store_engine: Engine) -> None:
    f.org(store_engine)
    gone = f.user(store_engine, "Gone Rep", active=False)
    async with graphql_client(store_engine) as client:
        response = await client.post("{ me { accessLevel } }", as_user=gone)
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
