"""quickFix over the real app and a private devorg (real HTTP through simple-salesforce): a
rep's fix of a past next-meeting date resolves its alert, reaches Salesforce, shortens the to-do
list and is audited, in 2 Salesforce calls; Salesforce's validation rule comes back at the
field with nothing changed; a stale read is a CONFLICT with no call; a repeated key writes
once; bad input of every kind is refused before any call."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest

from devorg.organization import demo_today
from store.audit import audit_log
from tests.api.write_api import (
    WriteOrg,
    busiest_owner,
    fix_input,
    mirrored,
    open_alerts_of_rule,
    owned_open,
    writable,
    write_devorg,
    write_org,
)
from tests.graphql_client import GraphQLClient, graphql_client

pytestmark = [pytest.mark.anyio, pytest.mark.sqlite_only]
__all__ = ["write_devorg", "write_org"]

PAST_MEETING = "Next meeting date is in the past"
QUICK_FIX = """mutation($input: QuickFixInput!) { quickFix(input: $input) {
  outcome replayed currentValues remainingTodoCount
  opportunity { id health { score } lastModifiedAt }
  resolvedAlerts { id status }
  errors { field message ... on QuickFixError { code } } } }"""
TODO_COUNT = "{ todo(first: 1) { totalCount } }"


def _key() -> str:
    return str(uuid.uuid4())


async def _fix(client: GraphQLClient, token: str, value: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(QUICK_FIX, {"input": value}, token=token)
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["quickFix"]
    return payload


def _future(days: int = 10) -> str:
    return (demo_today() + timedelta(days=days)).isoformat()


async def test_a_rep_fixes_a_past_meeting_date(write_org: WriteOrg) -> None:
    engine, org_id = write_org.engine, write_org.org_id
    alerts = open_alerts_of_rule(engine, org_id, PAST_MEETING)
    assert alerts, "the demo's data has past next-meeting dates to fix"
    opportunity = mirrored(engine, org_id, sorted(alerts)[0])
    async with graphql_client(engine) as client:
        token = write_org.token_of(client, opportunity.owner_id)
        before = (await client.post(TODO_COUNT, token=token)).json()["data"]["todo"]["totalCount"]
        used = write_org.api_used()
        new_date = _future()
        payload = await _fix(
            client, token, fix_input(opportunity, {"Next_Meeting_Date__c": new_date}, _key())
        )
        assert write_org.calls_since(used) == 2  # the conditional PATCH and the read-back
        after = (await client.post(TODO_COUNT, token=token)).json()["data"]["todo"]["totalCount"]
    assert payload["errors"] == []
    assert payload["outcome"] == "APPLIED"
    resolved = {a["id"]: a["status"] for a in payload["resolvedAlerts"]}
    assert resolved[alerts[opportunity.id].id] == "RESOLVED"
    assert payload["remainingTodoCount"] == after <= before
    record = write_org.devorg.sf().Opportunity.get(opportunity.id)
    assert record["Next_Meeting_Date__c"] == new_date
    assert mirrored(engine, org_id, opportunity.id).fields["Next_Meeting_Date__c"] == new_date
    (entry,) = audit_log(engine, org_id, [opportunity.id])[opportunity.id]
    assert (entry.action, entry.outcome, entry.field) == (
        "QUICK_FIX", "APPLIED", "Next_Meeting_Date__c",
    )  # fmt: skip
    assert entry.new_value == new_date
    assert entry.user_id == opportunity.owner_id
    assert entry.old_value == opportunity.fields["Next_Meeting_Date__c"]


async def test_a_validation_rule_refuses_at_the_field_and_nothing_changes(
    write_org: WriteOrg,
) -> None:
    engine, org_id = write_org.engine, write_org.org_id
    owner, owned = busiest_owner(engine, org_id)
    opportunity = owned[0]
    yesterday = (demo_today() - timedelta(days=1)).isoformat()
    async with graphql_client(engine) as client:
        payload = await _fix(
            client,
            write_org.token_of(client, owner),
            fix_input(opportunity, {"Next_Meeting_Date__c": yesterday, "NextStep": "x"}, _key()),
        )
    assert payload["outcome"] == "REFUSED"
    (error,) = payload["errors"]
    assert error["code"] == "FIELD_CUSTOM_VALIDATION_EXCEPTION"
    assert error["field"] == "input.values.Next_Meeting_Date__c"
    assert "past" in error["message"]
    record = write_org.devorg.sf().Opportunity.get(opportunity.id)
    assert record["NextStep"] == opportunity.fields.get("NextStep")
    assert record["LastModifiedDate"].startswith(
        opportunity.last_modified_date.strftime("%Y-%m-%dT%H:%M:%S")  # type: ignore[union-attr]
    )
    outcomes = {e.outcome for e in audit_log(engine, org_id, [opportunity.id])[opportunity.id]}
    assert outcomes == {"REFUSED"}


async def test_a_stale_read_is_a_conflict_without_any_call(write_org: WriteOrg) -> None:
    engine, org_id = write_org.engine, write_org.org_id
    owner, owned = busiest_owner(engine, org_id)
    opportunity = owned[1]
    assert opportunity.last_modified_date is not None
    stale = (opportunity.last_modified_date - timedelta(milliseconds=1)).isoformat()
    async with graphql_client(engine) as client:
        used = write_org.api_used()
        payload = await _fix(
            client,
            write_org.token_of(client, owner),
            fix_input(opportunity, {"NextStep": "Call"}, _key(), expectedLastModified=stale),
        )
        assert write_org.calls_since(used) == 0
    assert payload["outcome"] == "CONFLICT"
    assert [e["code"] for e in payload["errors"]] == ["CONFLICT"]
    current = payload["currentValues"]
    assert current["NextStep"] == opportunity.fields.get("NextStep")
    assert datetime.fromisoformat(current["LastModifiedDate"]) == opportunity.last_modified_date


async def test_a_record_edited_in_salesforce_after_the_check_is_a_conflict_from_the_412(
    write_org: WriteOrg,
) -> None:
    """The mirror has not seen the edit, so dealpulse's own check passes; Salesforce's
    If-Unmodified-Since refuses the write and the read-back brings the current values."""
    engine, org_id = write_org.engine, write_org.org_id
    owner, owned = busiest_owner(engine, org_id)
    opportunity = owned[5]
    write_org.devorg.sf().Opportunity.update(opportunity.id, {"NextStep": "Edited in Salesforce"})
    async with graphql_client(engine) as client:
        writes_before = write_org.devorg_writes()
        used = write_org.api_used()
        payload = await _fix(
            client,
            write_org.token_of(client, owner),
            fix_input(opportunity, {"NextStep": "From dealpulse"}, _key()),
        )
        assert write_org.calls_since(used) == 2  # the refused PATCH and the read-back
        assert write_org.devorg_writes() == writes_before
    assert payload["outcome"] == "CONFLICT"
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [
        ("input.expectedLastModified", "CONFLICT")
    ]
    assert payload["currentValues"]["NextStep"] == "Edited in Salesforce"
    assert write_org.devorg.sf().Opportunity.get(opportunity.id)["NextStep"] == (
        "Edited in Salesforce"
    )
    assert mirrored(engine, org_id, opportunity.id).fields["NextStep"] == "Edited in Salesforce"
    (entry,) = audit_log(engine, org_id, [opportunity.id])[opportunity.id]
    assert (entry.outcome, entry.new_value) == ("CONFLICT", "From dealpulse")


async def test_a_repeated_key_writes_once_and_other_values_under_it_are_refused(
    write_org: WriteOrg,
) -> None:
    engine, org_id = write_org.engine, write_org.org_id
    owner, owned = busiest_owner(engine, org_id)
    opportunity = owned[2]
    key = _key()
    first_input = fix_input(opportunity, {"NextStep": "Send the proposal"}, key)
    async with graphql_client(engine) as client:
        token = write_org.token_of(client, owner)
        writes_before = write_org.devorg_writes()
        first = await _fix(client, token, first_input)
        written = write_org.devorg.sf().Opportunity.get(opportunity.id)["LastModifiedDate"]
        used = write_org.api_used()
        again = await _fix(client, token, first_input)
        assert write_org.calls_since(used) == 0
        other = await _fix(client, token, {**first_input, "values": {"NextStep": "Other"}})
        assert write_org.devorg_writes() == writes_before + 1
    assert (first["outcome"], first["replayed"]) == ("APPLIED", False)
    assert (again["outcome"], again["replayed"], again["errors"]) == ("APPLIED", True, [])
    assert write_org.devorg.sf().Opportunity.get(opportunity.id)["LastModifiedDate"] == written
    assert [e["code"] for e in other["errors"]] == ["IDEMPOTENCY_KEY_REUSED"]
    assert write_org.devorg.sf().Opportunity.get(opportunity.id)["NextStep"] == "Send the proposal"
    audited = audit_log(engine, org_id, [opportunity.id])[opportunity.id]
    assert sorted(e.outcome for e in audited) == ["APPLIED", "REFUSED"]


BAD_VALUES = [
    ({"NoSuchField__c": "x"}, "input.values.NoSuchField__c", "UNKNOWN_FIELD"),
    ({"CreatedDate": "2026-01-01T00:00:00Z"}, "input.values.CreatedDate", "NOT_UPDATEABLE"),
    ({"CloseDate": 20270101}, "input.values.CloseDate", "INVALID_VALUE"),
    ({"CloseDate": "2027-02-30"}, "input.values.CloseDate", "INVALID_VALUE"),
    ({"Amount": "12,000"}, "input.values.Amount", "INVALID_VALUE"),
    ({"Amount": True}, "input.values.Amount", "INVALID_VALUE"),
    ({"StageName": "Not a stage"}, "input.values.StageName", "INVALID_VALUE"),
    ({"NextStep": "x" * 256}, "input.values.NextStep", "TOO_LONG"),
    ({"Name": None}, "input.values.Name", "REQUIRED"),
    ({}, "input.values", "INVALID_VALUE"),
]


@pytest.mark.parametrize(("values", "field", "code"), BAD_VALUES)
async def test_bad_values_are_refused_before_any_call(
    write_org: WriteOrg, values: dict[str, Any], field: str, code: str
) -> None:
    engine, org_id = write_org.engine, write_org.org_id
    owner, owned = busiest_owner(engine, org_id)
    opportunity = owned[3]
    async with graphql_client(engine) as client:
        used = write_org.api_used()
        payload = await _fix(
            client, write_org.token_of(client, owner), fix_input(opportunity, values, _key())
        )
        assert write_org.calls_since(used) == 0
    assert payload["outcome"] == "REFUSED"
    assert (payload["errors"][0]["field"], payload["errors"][0]["code"]) == (field, code)
    assert payload["opportunity"]["id"] == opportunity.id


async def test_bad_shapes_and_another_teams_deal_are_refused(write_org: WriteOrg) -> None:
    engine, org_id = write_org.engine, write_org.org_id
    owner, owned = busiest_owner(engine, org_id)
    mine = owned[4]
    theirs = next(o for o in owned_open(engine, org_id, None) if o.owner_id != owner)
    cases = [
        (fix_input(theirs, {"NextStep": "x"}, _key()), "input.opportunityId", "NOT_VISIBLE"),
        ({**fix_input(mine, {}, _key()), "opportunityId": "001' OR 1=1"}, "input.opportunityId",
         "INVALID_ID"),
        (fix_input(mine, {"NextStep": "x"}, "has spaces"), "input.idempotencyKey", "INVALID_VALUE"),
        ({**fix_input(mine, {}, _key()), "values": ["NextStep"]}, "input.values", "INVALID_VALUE"),
        (fix_input(mine, {"NextStep": "x"}, _key(), expectedLastModified="2026-01-01T00:00:00"),
         "input.expectedLastModified", "INVALID_VALUE"),
        (fix_input(mine, {"NextStep": "x"}, _key(), expectedLastModified="2999-01-01T00:00:00Z"),
         "input.expectedLastModified", "INVALID_VALUE"),
    ]  # fmt: skip
    async with graphql_client(engine) as client:
        token = write_org.token_of(client, owner)
        used = write_org.api_used()
        for value, field, code in cases:
            payload = await _fix(client, token, value)
            assert [(e["field"], e["code"]) for e in payload["errors"]] == [(field, code)], value
            assert payload["outcome"] == "REFUSED"
        assert write_org.calls_since(used) == 0
    assert write_org.devorg.sf().Opportunity.get(theirs.id)["NextStep"] == theirs.fields.get(
        "NextStep"
    )


async def test_money_is_audited_as_exact_decimal_text(write_org: WriteOrg) -> None:
    engine, org_id = write_org.engine, write_org.org_id
    owner, owned = busiest_owner(engine, org_id)
    opportunity = next(o for o in writable(owned) if o.amount is not None)
    async with graphql_client(engine) as client:
        payload = await _fix(
            client, write_org.token_of(client, owner),
            fix_input(opportunity, {"Amount": 58500}, _key()),
        )  # fmt: skip
    assert payload["outcome"] == "APPLIED", payload
    (entry,) = audit_log(engine, org_id, [opportunity.id])[opportunity.id]
    assert entry.new_value == "58500.00"
    assert entry.old_value == f"{opportunity.amount:.2f}"
