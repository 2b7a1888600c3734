"""A saved rule is evaluated at once, over the real app: creating it opens its alerts,
editing the wording re-renders them (same alerts), editing the condition resolves them as
RULE_CHANGED and opens new ones, retiring resolves them as RULE_RETIRED."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import Engine

from tests import factories as f
from tests.api.alert_api import (
    CREATE,
    PREVIEW,
    RETIRE,
    UPDATE,
    org_with_describe,
    rule_input,
)
from tests.api.payloads import payload_of
from tests.graphql_client import GraphQLClient, graphql_client

pytestmark = [pytest.mark.anyio, pytest.mark.sqlite_only]

ALERTS = """query($id: ID!) { opportunity(id: $id) { alerts {
  id status message resolution ruleVersion severity } } }"""


@pytest.fixture
async def client(store_engine: Engine) -> AsyncIterator[GraphQLClient]:
    async with graphql_client(store_engine) as client:
        yield client


async def _alerts(client: GraphQLClient, deal: f.Opportunity, user: f.SfUser) -> list[Any]:
    data = await client.data(ALERTS, {"id": deal.id}, as_user=user)
    found: list[Any] = data["opportunity"]["alerts"]
    return found


async def _saved(
    client: GraphQLClient, query: str, variables: dict[str, Any], user: f.SfUser
) -> dict[str, Any]:
    payload = await payload_of(client, query, variables, user)
    assert payload["errors"] == []
    rule: dict[str, Any] = payload["alertRule"]
    return rule


async def test_saving_a_rule_evaluates_it(store_engine: Engine, client: GraphQLClient) -> None:
    team = org_with_describe(store_engine)
    rep = team.reps[0]
    late = f.opportunity(
        store_engine, rep, name="Late", fields={"CloseDate": "2020-01-15", "Name": "Late"}
    )
    later = f.opportunity(
        store_engine, rep, name="Later", fields={"CloseDate": "2999-01-15", "Name": "Later"}
    )
    message = "{!Name} closed on {!CloseDate}"
    rule = await _saved(client, CREATE, {"input": rule_input(message=message)}, team.admin)
    [opened] = await _alerts(client, late, rep)
    assert opened == {
        "id": opened["id"], "status": "OPEN", "message": "Late closed on 2020-01-15",
        "resolution": None, "ruleVersion": 1, "severity": "HIGH",
    }  # fmt: skip
    assert await _alerts(client, later, rep) == []

    reworded = {"message": "Overdue: {!Name}", "severity": "CRITICAL"}
    await _saved(client, UPDATE, {"id": rule["id"], "input": reworded}, team.admin)
    [kept] = await _alerts(client, late, rep)
    assert (kept["id"], kept["status"], kept["message"], kept["ruleVersion"]) == (
        opened["id"], "OPEN", "Overdue: Late", 2
    )  # fmt: skip
    assert kept["severity"] == "CRITICAL"

    widened = {"condition": "CloseDate < DATE(3000, 1, 1)"}
    await _saved(client, UPDATE, {"id": rule["id"], "input": widened}, team.admin)
    by_status = {(a["status"], a["resolution"]): a for a in await _alerts(client, late, rep)}
    assert set(by_status) == {("RESOLVED", "RULE_CHANGED"), ("OPEN", None)}
    assert by_status["RESOLVED", "RULE_CHANGED"]["id"] == opened["id"]
    assert by_status["OPEN", None]["ruleVersion"] == 3
    [newly] = await _alerts(client, later, rep)
    assert (newly["status"], newly["message"]) == ("OPEN", "Overdue: Later")

    await _saved(client, RETIRE, {"id": rule["id"]}, team.admin)
    for deal in (late, later):
        statuses = {(a["status"], a["resolution"]) for a in await _alerts(client, deal, rep)}
        assert ("OPEN", None) not in statuses
        assert ("RESOLVED", "RULE_RETIRED") in statuses


async def test_a_rule_created_inactive_opens_nothing(
    store_engine: Engine, client: GraphQLClient
) -> None:
    team = org_with_describe(store_engine)
    late = f.opportunity(store_engine, team.reps[0], fields={"CloseDate": "2020-01-15"})
    rule = await _saved(client, CREATE, {"input": rule_input(active=False)}, team.admin)
    assert await _alerts(client, late, team.reps[0]) == []
    await _saved(client, UPDATE, {"id": rule["id"], "input": {"active": True}}, team.admin)
    assert [a["status"] for a in await _alerts(client, late, team.reps[0])] == ["OPEN"]


async def test_a_preview_shows_what_saving_opens(
    store_engine: Engine, client: GraphQLClient
) -> None:
    team = org_with_describe(store_engine)
    fields = {"CloseDate": "2020-01-15", "Name": "Late"}
    late = f.opportunity(store_engine, team.reps[0], name="Late", fields=fields)
    message = "{!Name}: {!Amount} due {!CloseDate}, {!TODAY() - CloseDate} days ago"
    variables = {"input": {"condition": "CloseDate < TODAY()", "message": message}}
    preview = await payload_of(client, PREVIEW, variables, team.admin)
    [sample] = preview["sample"]
    await _saved(client, CREATE, {"input": rule_input(message=message)}, team.admin)
    [opened] = await _alerts(client, late, team.reps[0])
    assert sample["message"] == opened["message"]
    assert opened["message"].startswith("Late: 1,000.00 due 2020-01-15, ")
