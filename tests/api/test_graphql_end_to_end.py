"""devorg → sync (services.refresh) → GraphQL: the rep's opportunities with facts."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from salesforce.gateway import Gateway
from salesforce.login import OrgConnection
from services.refresh import refresh_org
from store.engine import session_scope
from store.mirror import Mirror
from store.models import SfUser
from tests.devorg_server import RunningDevorg
from tests.graphql_client import graphql_client

pytestmark = [pytest.mark.anyio, pytest.mark.sqlite_only]

PAGE = """query($after: String) { opportunities(first: 200, after: $after) {
  totalCount pageInfo { hasNextPage endCursor }
  edges { node { id owner { id } stage { name } daysInStage stageNumber ageInDays syncedAt } }
} }"""


async def test_a_rep_lists_their_devorg_opportunities(
    store_engine: Engine, devorg: RunningDevorg
) -> None:
    seed = devorg.seed
    admin = seed.users["admin"]
    org_id = seed.org_id
    Mirror(store_engine, org_id).ensure_org(
        name="Demo org",
        instance_url=devorg.url,
        auth_flow="password",
        client_id=seed.client_id,
        is_devorg=True,
    )
    gateway = Gateway(
        OrgConnection(
            auth_flow="password",
            instance_url=devorg.url,
            client_id=seed.client_id,
            client_secret=seed.client_secret,
            username=admin.username,
            password=admin.password,
            is_devorg=True,
        )
    )
    syncs: list[str] = []

    def sync_org(org: str) -> None:
        syncs.append(org)
        refresh_org(store_engine, gateway, org)

    rep_id = seed.users["rep"].user_id
    soql = f"SELECT COUNT() FROM Opportunity WHERE OwnerId = '{rep_id}'"
    expected = await run_in_threadpool(lambda: devorg.sf("admin").query(soql)["totalSize"])
    assert expected > 0
    async with graphql_client(store_engine, sync_org=sync_org, staleness_seconds=30) as client:
        # The mirror is empty: the first request syncs the org, then answers.
        with session_scope(store_engine) as session:
            assert session.get(SfUser, (org_id, rep_id)) is None
        rep = SfUser(org_id=org_id, id=rep_id, name="rep", username="rep")
        nodes: list[dict[str, Any]] = []
        after = None
        while True:
            data = await client.data(PAGE, {"after": after}, as_user=rep)
            connection = data["opportunities"]
            nodes += [edge["node"] for edge in connection["edges"]]
            if not connection["pageInfo"]["hasNextPage"]:
                break
            after = connection["pageInfo"]["endCursor"]
        me = await client.data("{ me { accessLevel } }", as_user=rep)
    assert syncs == [org_id]
    assert connection["totalCount"] == expected == len(nodes)
    assert {node["owner"]["id"] for node in nodes} == {rep_id}
    assert me["me"]["accessLevel"] == "REP"
    assert all(node["ageInDays"] is not None and node["syncedAt"] for node in nodes)
    open_deals = [n for n in nodes if n["stageNumber"] is not None]
    assert open_deals
    assert all(n["daysInStage"] is not None for n in open_deals)
