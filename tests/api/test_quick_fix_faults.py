"""quickFix when Salesforce fails (devorg's injected faults): each leaves Salesforce, the
mirror and the audit trail consistent. A 503 on the write is read back (nothing written, the
attempt FAILED, its key released so a retry runs anew); an expired session is renewed without
the client knowing; a spent API budget writes nothing; an answer later than the request
timeout is resolved by reading the record back: APPLIED, never written twice."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from typing import Any

import pytest

from devorg.organization import demo_today
from store.audit import audit_log
from tests.api.write_api import (
    WriteOrg,
    busiest_owner,
    fix_input,
    mirrored,
    writable,
    write_devorg,
    write_org,
)
from tests.graphql_client import GraphQLClient, graphql_client

pytestmark = [pytest.mark.anyio, pytest.mark.sqlite_only]
__all__ = ["write_devorg", "write_org"]

QUICK_FIX = """mutation($input: QuickFixInput!) { quickFix(input: $input) {
  outcome replayed errors { field message ... on QuickFixError { code } } } }"""


async def _fix(client: GraphQLClient, token: str, value: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(QUICK_FIX, {"input": value}, token=token)
    body = response.json()
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["quickFix"]
    return payload


def _step() -> str:
    return f"Step {uuid.uuid4().hex[:8]}"


async def test_a_503_on_the_write_is_read_back_and_the_key_released(write_org: WriteOrg) -> None:
    engine, org_id = write_org.engine, write_org.org_id
    owner, owned = busiest_owner(engine, org_id)
    owned = writable(owned)
    opportunity = owned[0]
    value = fix_input(opportunity, {"NextStep": _step()}, str(uuid.uuid4()))
    async with graphql_client(engine) as client:
        token = write_org.token_of(client, owner)
        write_org.devorg.control("PUT", "faults", {"fail_next": 1, "fail_status": 503})
        writes = write_org.devorg_writes()
        failed = await _fix(client, token, value)
        assert write_org.devorg_writes() == writes
        assert failed["outcome"] == "FAILED"
        [error] = failed["errors"]
        assert error["code"] == "UNAVAILABLE"
        assert "nothing was written" in error["message"]
        record = write_org.devorg.sf().Opportunity.get(opportunity.id)
        assert record["NextStep"] == opportunity.fields.get("NextStep")
        assert mirrored(engine, org_id, opportunity.id).fields.get("NextStep") == (
            opportunity.fields.get("NextStep")
        )
        again = await _fix(client, token, value)  # the same key: it runs anew
    assert (again["outcome"], again["replayed"]) == ("APPLIED", False)
    assert (
        write_org.devorg.sf().Opportunity.get(opportunity.id)["NextStep"]
        == value["values"]["NextStep"]
    )
    outcomes = [e.outcome for e in audit_log(engine, org_id, [opportunity.id])[opportunity.id]]
    assert outcomes == ["APPLIED", "FAILED"]


async def test_an_expired_session_is_renewed_transparently(write_org: WriteOrg) -> None:
    engine, org_id = write_org.engine, write_org.org_id
    owner, owned = busiest_owner(engine, org_id)
    owned = writable(owned)
    async with graphql_client(engine) as client:
        token = write_org.token_of(client, owner)
        # The app's gateway logs in on its first write; expire that session, then write again.
        first = fix_input(owned[1], {"NextStep": _step()}, str(uuid.uuid4()))
        got = await _fix(client, token, first)
        assert got["outcome"] == "APPLIED", got
        write_org.devorg.control("POST", "expire-sessions")
        value = fix_input(mirrored(engine, org_id, owned[2].id), {"NextStep": _step()},
                          str(uuid.uuid4()))  # fmt: skip
        payload = await _fix(client, token, value)
    assert (payload["outcome"], payload["errors"]) == ("APPLIED", [])
    assert (
        write_org.devorg.sf().Opportunity.get(owned[2].id)["NextStep"]
        == value["values"]["NextStep"]
    )


async def test_a_spent_api_budget_writes_nothing(write_org: WriteOrg) -> None:
    engine, org_id = write_org.engine, write_org.org_id
    owner, owned = busiest_owner(engine, org_id)
    owned = writable(owned)
    opportunity = owned[0]
    value = fix_input(opportunity, {"NextStep": _step()}, str(uuid.uuid4()))
    limit = write_org.devorg.settings.api_daily_limit
    async with graphql_client(engine) as client:
        token = write_org.token_of(client, owner)
        write_org.devorg.control("PUT", "api-usage", {"used": limit})
        try:
            payload = await _fix(client, token, value)
        finally:
            write_org.devorg.control("PUT", "api-usage", {"used": 0})
    assert payload["outcome"] == "FAILED"
    assert [e["code"] for e in payload["errors"]] == ["API_LIMIT"]
    record = write_org.devorg.sf().Opportunity.get(opportunity.id)
    assert record["NextStep"] == opportunity.fields.get("NextStep")
    (entry,) = audit_log(engine, org_id, [opportunity.id])[opportunity.id]
    assert (entry.outcome, entry.error is not None) == ("FAILED", True)


async def test_an_answer_past_the_timeout_is_resolved_by_reading_back(
    write_org: WriteOrg, caplog: pytest.LogCaptureFixture
) -> None:
    engine, org_id = write_org.engine, write_org.org_id
    owner, owned = busiest_owner(engine, org_id)
    owned = writable(owned)
    opportunity = owned[0]
    new_date = (demo_today() + timedelta(days=9)).isoformat()
    value = fix_input(opportunity, {"Next_Meeting_Date__c": new_date}, str(uuid.uuid4()))
    async with graphql_client(engine, salesforce_timeout_seconds=1) as client:
        token = write_org.token_of(client, owner)
        warm = fix_input(owned[1], {"NextStep": _step()}, str(uuid.uuid4()))
        assert (await _fix(client, token, warm))["outcome"] == "APPLIED"  # logged in
        writes = write_org.devorg_writes()
        # The PATCH is handled at once, its answer held back 2.5 s: past the 1 s timeout.
        write_org.devorg.control(
            "PUT", "faults", {"latency_after_ms": 2500, "latency_after_next": 1}
        )
        with caplog.at_level(logging.WARNING, logger="salesforce.writes"):
            payload = await _fix(client, token, value)
    assert (payload["outcome"], payload["errors"]) == ("APPLIED", [])
    assert "outcome unknown (ReadTimeout" in caplog.text  # the timeout did happen
    assert write_org.devorg_writes() == writes + 1  # written once, never repeated
    assert write_org.devorg.sf().Opportunity.get(opportunity.id)["Next_Meeting_Date__c"] == (
        new_date
    )
    assert mirrored(engine, org_id, opportunity.id).fields["Next_Meeting_Date__c"] == new_date
    (entry,) = audit_log(engine, org_id, [opportunity.id])[opportunity.id]
    assert entry.outcome == "APPLIED"
