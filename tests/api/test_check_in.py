"""checkIn over the real app and a private devorg: the Task is created in Salesforce as
documented, is in the mirror at once and resolves "No activity in 14 days"; its field updates go
through quick-fix's checks (a refused one writes no Task); a repeated key writes once."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import Session, select

from auth.dev_tokens import issue_dev_token
from devorg.organization import demo_today
from store.audit import audit_log
from store.models import Activity
from tests.api.write_api import (
    WriteOrg,
    busiest_owner,
    fix_input,
    mirrored,
    open_alerts_of_rule,
    writable,
    write_devorg,
    write_org,
)
from tests.graphql_client import graphql_client

pytestmark = [pytest.mark.anyio, pytest.mark.sqlite_only]
__all__ = ["write_devorg", "write_org"]

IDLE = "No activity in 14 days"
CHECK_IN = """mutation($input: CheckInInput!) { checkIn(input: $input) {
  taskId outcome opportunity { id } resolvedAlerts { id }
  errors { field message ... on QuickFixError { code } } } }"""


async def _check_in(write_org: WriteOrg, owner: str, value: dict[str, Any]) -> dict[str, Any]:
    async with graphql_client(write_org.engine) as client:
        response = await client.post(
            CHECK_IN, {"input": value}, token=write_org.token_of(client, owner)
        )
    body = response.json()
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["checkIn"]
    return payload


async def test_a_check_in_creates_the_task_and_resolves_the_idle_alert(
    write_org: WriteOrg,
) -> None:
    engine, org_id = write_org.engine, write_org.org_id
    idle = open_alerts_of_rule(engine, org_id, IDLE)
    assert idle, "the demo's data has idle deals"
    opportunity = mirrored(engine, org_id, sorted(idle)[0])
    next_meeting = (demo_today() + timedelta(days=7)).isoformat()
    note = "Called the buyer: budget approved.\nThey want a demo for the CFO."
    used = write_org.api_used()
    payload = await _check_in(
        write_org,
        opportunity.owner_id,
        {"opportunityId": opportunity.id, "note": note, "nextStep": "Demo for the CFO",
         "nextMeetingDate": next_meeting, "idempotencyKey": str(uuid.uuid4())},
    )  # fmt: skip
    assert write_org.calls_since(used) == 3  # the field updates, the Task, the read-back
    assert (payload["errors"], payload["outcome"]) == ([], "APPLIED")
    assert idle[opportunity.id].id in {a["id"] for a in payload["resolvedAlerts"]}
    task = write_org.devorg.sf().Task.get(payload["taskId"])
    assert task["Subject"] == "Check-in: Called the buyer: budget approved."
    assert task["Description"] == note
    assert (task["Status"], task["WhatId"], task["OwnerId"]) == (
        "Completed", opportunity.id, opportunity.owner_id,
    )  # fmt: skip
    assert task["ActivityDate"] == demo_today().isoformat()  # the date in the org's zone
    record = write_org.devorg.sf().Opportunity.get(opportunity.id)
    assert (record["NextStep"], record["Next_Meeting_Date__c"]) == (
        "Demo for the CFO",
        next_meeting,
    )
    with Session(engine) as session:
        mirrored_task = session.exec(select(Activity).where(Activity.id == payload["taskId"])).one()
    assert mirrored_task.what_id == opportunity.id
    actions = sorted(e.action for e in audit_log(engine, org_id, [opportunity.id])[opportunity.id])
    assert actions == ["CHECK_IN", "QUICK_FIX", "QUICK_FIX"]


async def test_a_refused_field_update_writes_no_task(write_org: WriteOrg) -> None:
    owner, owned = busiest_owner(write_org.engine, write_org.org_id)
    opportunity = owned[0]
    used = write_org.api_used()
    payload = await _check_in(
        write_org, owner,
        {"opportunityId": opportunity.id, "note": "Met them", "nextStep": "x" * 300,
         "idempotencyKey": str(uuid.uuid4())},
    )  # fmt: skip
    assert write_org.calls_since(used) == 0
    assert payload["taskId"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("input.nextStep", "TOO_LONG")]


async def test_bad_check_ins_are_refused(write_org: WriteOrg) -> None:
    owner, owned = busiest_owner(write_org.engine, write_org.org_id)
    base = {"opportunityId": owned[0].id, "note": "Met them", "idempotencyKey": "k-1"}
    cases = [
        ({**base, "note": "   "}, "input.note", "REQUIRED"),
        ({**base, "note": "x" * 32_001}, "input.note", "TOO_LONG"),
        ({**base, "opportunityId": "006nope"}, "input.opportunityId", "INVALID_ID"),
    ]
    used = write_org.api_used()
    for value, field, code in cases:
        payload = await _check_in(write_org, owner, {**value, "idempotencyKey": str(uuid.uuid4())})
        assert [(e["field"], e["code"]) for e in payload["errors"]] == [(field, code)]
    assert write_org.calls_since(used) == 0


async def test_a_repeated_check_in_writes_one_task(write_org: WriteOrg) -> None:
    owner, owned = busiest_owner(write_org.engine, write_org.org_id)
    value = {"opportunityId": owned[1].id, "note": "Sent the deck", "idempotencyKey": "ck-1"}
    first = await _check_in(write_org, owner, value)
    used = write_org.api_used()
    again = await _check_in(write_org, owner, value)
    assert write_org.calls_since(used) == 0
    assert first["taskId"] == again["taskId"] is not None
    soql = (
        f"SELECT Id FROM Task WHERE WhatId = '{owned[1].id}'"
        " AND Subject = 'Check-in: Sent the deck'"
    )
    assert len(write_org.devorg.sf().query_all(soql)["records"]) == 1


async def test_a_task_not_sent_after_the_fields_were_written_says_so(write_org: WriteOrg) -> None:
    """The budget allows one more call: the field update goes through, the Task does not. The
    answer must not say "nothing was written": the fields stand in Salesforce and are audited
    as applied."""
    engine, org_id = write_org.engine, write_org.org_id
    owner, owned = busiest_owner(engine, org_id)
    opportunity = writable(owned)[0]
    limit = write_org.devorg.settings.api_daily_limit
    async with graphql_client(engine) as client:
        token = write_org.token_of(client, owner)
        write_org.devorg.control("PUT", "api-usage", {"used": limit - 1})
        try:
            response = await client.post(
                CHECK_IN,
                {"input": {"opportunityId": opportunity.id, "note": "Spoke to them",
                           "nextStep": "Budget call", "idempotencyKey": str(uuid.uuid4())}},
                token=token,
            )  # fmt: skip
        finally:
            write_org.devorg.control("PUT", "api-usage", {"used": 0})
    payload = response.json()["data"]["checkIn"]
    assert (payload["outcome"], payload["taskId"]) == ("FAILED", None)
    [error] = payload["errors"]
    assert error["code"] == "API_LIMIT"
    assert error["message"].startswith("the field updates were written; the check-in Task was not")
    assert write_org.devorg.sf().Opportunity.get(opportunity.id)["NextStep"] == "Budget call"
    rows = {
        (e.action, e.outcome) for e in audit_log(engine, org_id, [opportunity.id])[opportunity.id]
    }
    assert rows == {("CHECK_IN", "FAILED"), ("QUICK_FIX", "APPLIED")}


async def test_writes_without_their_scope_reach_neither_salesforce_nor_the_store(
    write_org: WriteOrg,
) -> None:
    """checkIn needs alerts:write, and opportunities:write too when it updates fields; quickFix
    needs opportunities:write. A token without them gets INSUFFICIENT_SCOPE in the payload."""
    owner, owned = busiest_owner(write_org.engine, write_org.org_id)
    opportunity = writable(owned)[0]
    quick_fix = """mutation($input: QuickFixInput!) { quickFix(input: $input) {
      outcome errors { field message ... on QuickFixError { code } } } }"""
    used = write_org.api_used()
    async with graphql_client(write_org.engine) as client:
        reads = ["pipeline:read", "alerts:read", "alerts:write"]
        token = issue_dev_token(client.settings, write_org.org_id, owner, scopes=reads)
        check_in = await client.post(
            CHECK_IN,
            {"input": {"opportunityId": opportunity.id, "note": "Met them", "nextStep": "Call",
                       "idempotencyKey": str(uuid.uuid4())}},
            token=token,
        )  # fmt: skip
        fix = await client.post(
            quick_fix,
            {"input": fix_input(opportunity, {"NextStep": "Call"}, str(uuid.uuid4()))},
            token=token,
        )
    assert write_org.calls_since(used) == 0
    for payload in (check_in.json()["data"]["checkIn"], fix.json()["data"]["quickFix"]):
        assert [e["code"] for e in payload["errors"]] == ["INSUFFICIENT_SCOPE"]
        assert "opportunities:write" in payload["errors"][0]["message"]
    assert audit_log(write_org.engine, write_org.org_id, [opportunity.id]) == {}
