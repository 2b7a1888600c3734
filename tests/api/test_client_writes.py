"""A client acting as no user writes when its scopes say so (issue 10: "read-only unless its
scopes say more"), through the org's integration connection, the audit naming the client:
a quick-fix and a check-in reach devorg over real HTTP, a snooze is the client's, a retried
key is the client's own, and `admin` it never gets (rules and milestones are changed by an
administrator the audit can name)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session

from auth.access_tokens import issue_access_token
from auth.clients import RegisteredClient, register_client
from devorg.organization import demo_today
from store.process_models import Alert
from tests.api.write_api import (
    WriteOrg,
    fix_input,
    mirrored,
    open_alerts_of_rule,
    write_devorg,
    write_org,
)
from tests.graphql_client import GraphQLClient, graphql_client

pytestmark = [pytest.mark.anyio, pytest.mark.sqlite_only]
__all__ = ["write_devorg", "write_org"]

PAST_MEETING = "Next meeting date is in the past"
IDLE = "No activity in 14 days"
WRITES = ["pipeline:read", "alerts:read", "alerts:write", "opportunities:write"]
QUICK_FIX = """mutation($input: QuickFixInput!) { quickFix(input: $input) {
  outcome replayed remainingTodoCount errors { field message } } }"""
CHECK_IN = """mutation($input: CheckInInput!) { checkIn(input: $input) {
  taskId outcome errors { field message } } }"""
SNOOZE = """mutation($input: SnoozeAlertInput!) { snoozeAlert(input: $input) {
  alert { id status } errors { code } } }"""
TRAIL = """query($id: ID!) { auditLog(opportunityId: $id) {
  action field outcome connection clientId user { id } } }"""


def _client(write_org: WriteOrg, scopes: list[str]) -> RegisteredClient:
    client, _secret = register_client(
        write_org.engine, org_id=write_org.org_id, name="partner CRM sync", scopes=scopes
    )
    return client


def _token(http: GraphQLClient, write_org: WriteOrg, client: RegisteredClient) -> str:
    return issue_access_token(
        write_org.engine, http.settings, subject=client.client_id, client_id=client.client_id,
        org_id=write_org.org_id, scopes=list(client.scopes),
    )  # fmt: skip


async def _data(http: GraphQLClient, token: str, query: str, **variables: Any) -> Any:
    response = await http.post(query, variables or None, token=token)
    body = response.json()
    assert response.status_code == 200, body
    assert "errors" not in body, body
    return body["data"]


async def test_a_client_with_write_scopes_quick_fixes_through_the_integration_connection(
    write_org: WriteOrg,
) -> None:
    engine, org_id = write_org.engine, write_org.org_id
    alerts = open_alerts_of_rule(engine, org_id, PAST_MEETING)
    opportunity = mirrored(engine, org_id, sorted(alerts)[0])
    client = _client(write_org, [*WRITES, "admin"])
    new_date = (demo_today() + timedelta(days=9)).isoformat()
    fix = fix_input(opportunity, {"Next_Meeting_Date__c": new_date}, str(uuid.uuid4()))
    async with graphql_client(engine) as http:
        token = _token(http, write_org, client)
        me = await _data(http, token, "{ me { accessLevel scopes user { id } } }")
        first = (await _data(http, token, QUICK_FIX, input=fix))["quickFix"]
        again = (await _data(http, token, QUICK_FIX, input=fix))["quickFix"]
        trail = (await _data(http, token, TRAIL, id=opportunity.id))["auditLog"]
    # every scope it was registered with but admin
    assert me["me"] == {"accessLevel": "CLIENT", "scopes": WRITES, "user": None}
    assert (first["outcome"], first["errors"], first["remainingTodoCount"]) == (
        "APPLIED", [], None,
    )  # fmt: skip
    assert (again["outcome"], again["replayed"]) == ("APPLIED", True)  # the client's own key
    record = write_org.devorg.sf().Opportunity.get(opportunity.id)
    assert record["Next_Meeting_Date__c"] == new_date
    assert record["LastModifiedById"] == write_org.user_id("admin")  # the integration user
    assert trail == [
        {"action": "QUICK_FIX", "field": "Next_Meeting_Date__c", "outcome": "APPLIED",
         "connection": "integration", "clientId": client.client_id, "user": None},
    ]  # fmt: skip


async def test_a_client_checks_in_and_snoozes_as_itself_and_never_administers(
    write_org: WriteOrg,
) -> None:
    engine, org_id = write_org.engine, write_org.org_id
    idle = open_alerts_of_rule(engine, org_id, IDLE)
    opportunity = mirrored(engine, org_id, sorted(idle)[0])
    alert = idle[opportunity.id]
    client = _client(write_org, [*WRITES, "admin"])
    reader = _client(write_org, ["pipeline:read", "alerts:read"])
    check_in = {"opportunityId": opportunity.id, "note": "Synced from the partner's CRM",
                "idempotencyKey": str(uuid.uuid4())}  # fmt: skip
    snooze = {
        "alertId": alert.id,
        "until": (datetime.now(UTC) + timedelta(days=7)).isoformat(),
        "reason": "Partner call",
    }
    milestone = (
        'mutation { createMilestone(input: {name: "Partner", weight: 1}) { errors { code } } }'
    )
    async with graphql_client(engine) as http:
        token = _token(http, write_org, client)
        administer = (await _data(http, token, milestone))["createMilestone"]
        refused = await _data(http, _token(http, write_org, reader), SNOOZE, input=snooze)
        snoozed = (await _data(http, token, SNOOZE, input=snooze))["snoozeAlert"]
        checked_in = (await _data(http, token, CHECK_IN, input=check_in))["checkIn"]
        trail = (await _data(http, token, TRAIL, id=opportunity.id))["auditLog"]
    assert (checked_in["outcome"], checked_in["errors"]) == ("APPLIED", [])
    task = write_org.devorg.sf().Task.get(checked_in["taskId"])
    # no user to own it: Salesforce makes the integration user its owner
    assert (task["WhatId"], task["OwnerId"]) == (opportunity.id, write_org.user_id("admin"))
    assert administer["errors"] == [{"code": "FORBIDDEN"}]  # not an administrator
    assert refused["snoozeAlert"]["errors"] == [{"code": "INSUFFICIENT_SCOPE"}]
    assert snoozed == {"alert": {"id": alert.id, "status": "SNOOZED"}, "errors": []}
    with Session(engine) as session:
        stored = session.get(Alert, (org_id, alert.id))
        assert stored is not None
        assert stored.snoozed_by_id == client.client_id
    assert {(e["action"], e["connection"], e["clientId"], e["user"]) for e in trail} == {
        ("CHECK_IN", "integration", client.client_id, None),
        ("SNOOZE", "dealpulse", client.client_id, None),
    }
