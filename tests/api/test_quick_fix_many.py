"""quickFixMany over the real app and a private devorg: 200 records in ceil(200/25) = 8
Composite calls and one read-back, each record with its own outcome (a validation rule's refusal
among them); 201 inputs are refused as a whole with nothing written."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest

from devorg.organization import demo_today
from tests.api.write_api import WriteOrg, fix_input, owned_open, write_devorg, write_org
from tests.graphql_client import graphql_client

pytestmark = [pytest.mark.anyio, pytest.mark.sqlite_only]
__all__ = ["write_devorg", "write_org"]

MANY = """mutation($inputs: [QuickFixInput!]!) { quickFixMany(inputs: $inputs) {
  results { opportunityId ok outcome errors { field message ... on QuickFixError { code } } }
  remainingTodoCount
  errors { field message ... on QuickFixError { code } } } }"""


async def _many(write_org: WriteOrg, inputs: list[dict[str, Any]]) -> dict[str, Any]:
    async with graphql_client(write_org.engine) as client:
        response = await client.post(
            MANY, {"inputs": inputs}, token=write_org.token(client, "admin")
        )
    body = response.json()
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["quickFixMany"]
    return payload


async def test_200_records_take_9_calls_and_each_has_its_outcome(write_org: WriteOrg) -> None:
    opportunities = owned_open(write_org.engine, write_org.org_id, None, closed_too=True)[:200]
    assert len(opportunities) == 200
    yesterday = (demo_today() - timedelta(days=1)).isoformat()
    inputs = [
        fix_input(o, {"NextStep": f"Step {n}"}, str(uuid.uuid4()))
        for n, o in enumerate(opportunities)
    ]
    # An open one: the validation rule holds on open deals only.
    refused = next(n for n, o in enumerate(opportunities) if n > 100 and not o.is_closed)
    inputs[refused]["values"] = {"Next_Meeting_Date__c": yesterday}
    used = write_org.api_used()
    payload = await _many(write_org, inputs)
    assert write_org.calls_since(used) == 8 + 1
    assert payload["errors"] == []
    results = payload["results"]
    assert [r["opportunityId"] for r in results] == [o.id for o in opportunities]
    assert results[refused]["outcome"] == "REFUSED"
    (error,) = results[refused]["errors"]
    assert (error["field"], error["code"]) == (
        f"inputs.{refused}.values.Next_Meeting_Date__c", "FIELD_CUSTOM_VALIDATION_EXCEPTION",
    )  # fmt: skip
    # Salesforce runs every validation rule on save: a record already in breach of one cannot
    # take even a new NextStep (the reason dealpulse exists); those come back refused, alone.
    applied = {n for n, r in enumerate(results) if r["ok"]}
    assert len(applied) > 100
    for n, result in enumerate(results):
        if n not in applied:
            assert result["outcome"] == "REFUSED"
            assert {e["code"] for e in result["errors"]} == {"FIELD_CUSTOM_VALIDATION_EXCEPTION"}
    sf = write_org.devorg.sf()
    soql = "SELECT Id, NextStep FROM Opportunity WHERE NextStep LIKE 'Step %'"
    found = {r["Id"]: r["NextStep"] for r in sf.query_all(soql)["records"]}
    assert found == {opportunities[n].id: f"Step {n}" for n in applied}


async def test_201_inputs_are_refused_as_a_whole(write_org: WriteOrg) -> None:
    opportunity = owned_open(write_org.engine, write_org.org_id, None)[0]
    inputs = [fix_input(opportunity, {"NextStep": "never"}, str(uuid.uuid4()))] * 201
    used = write_org.api_used()
    payload = await _many(write_org, inputs)
    assert write_org.calls_since(used) == 0
    assert payload["results"] == []
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("inputs", "TOO_MANY")]


async def test_the_same_opportunity_twice_is_refused_the_second_time(write_org: WriteOrg) -> None:
    first, second = owned_open(write_org.engine, write_org.org_id, None)[:2]
    inputs = [
        fix_input(first, {"NextStep": "once"}, str(uuid.uuid4())),
        fix_input(second, {"NextStep": "other"}, str(uuid.uuid4())),
        fix_input(first, {"NextStep": "twice"}, str(uuid.uuid4())),
    ]
    payload = await _many(write_org, inputs)
    outcomes = [(r["outcome"], [e["code"] for e in r["errors"]]) for r in payload["results"]]
    assert outcomes == [("APPLIED", []), ("APPLIED", []), ("REFUSED", ["DUPLICATE_OPPORTUNITY"])]
    assert write_org.devorg.sf().Opportunity.get(first.id)["NextStep"] == "once"
