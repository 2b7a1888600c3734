"""Live updates of a rep's own writes: over a real WebSocket, a subscriber sees the alert its
quick-fix resolved (through Salesforce, devorg) and the alert it snoozed, and never the snooze
another team made on its own deal."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlmodel import Session

from devorg.organization import demo_today
from store.models import SfUser
from tests.api.subscriptions import Served, changes, served, subscribed, subscribed_listening
from tests.api.write_api import (
    WriteOrg,
    fix_input,
    mirrored,
    open_alerts_of_rule,
    write_devorg,
    write_org,
)

pytestmark = [pytest.mark.anyio, pytest.mark.sqlite_only]
__all__ = ["write_devorg", "write_org"]

PAST_MEETING = "Next meeting date is in the past"
QUICK_FIX = """mutation($input: QuickFixInput!) { quickFix(input: $input) {
  outcome resolvedAlerts { id } errors { field message } } }"""
SNOOZE = """mutation($input: SnoozeAlertInput!) { snoozeAlert(input: $input) {
  alert { id status } errors { field message } } }"""


async def _post(api: Served, user: SfUser, document: str, value: dict[str, Any]) -> Any:
    url = api.url.replace("ws://", "http://")
    async with httpx.AsyncClient(timeout=30) as http:
        response = await http.post(
            url, json={"query": document, "variables": {"input": value}},
            headers={"Authorization": f"Bearer {api.token(user)}"},
        )  # fmt: skip
    body = response.json()
    assert "errors" not in body, body
    (payload,) = body["data"].values()
    assert payload["errors"] == [], payload
    return payload


async def test_a_subscriber_sees_its_fix_and_snooze_never_another_teams(
    write_org: WriteOrg,
) -> None:
    engine, org_id = write_org.engine, write_org.org_id
    alerts = sorted(open_alerts_of_rule(engine, org_id, PAST_MEETING).values(), key=lambda a: a.id)
    owners = {a.id: mirrored(engine, org_id, a.opportunity_id).owner_id for a in alerts}
    counts = list(owners.values())
    me = max(sorted(set(counts)), key=counts.count)
    fixed, snoozed = [a for a in alerts if owners[a.id] == me][:2]
    theirs = next(a for a in alerts if owners[a.id] != me)
    with Session(engine) as session:
        mine_user = session.get(SfUser, (org_id, me))
        their_user = session.get(SfUser, (org_id, owners[theirs.id]))
    assert mine_user is not None
    assert their_user is not None
    until = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    with served(engine) as api:
        async with subscribed(api, mine_user) as ws:
            await subscribed_listening(api, org_id)
            new_date = (demo_today() + timedelta(days=5)).isoformat()
            opportunity = mirrored(engine, org_id, fixed.opportunity_id)
            value = fix_input(opportunity, {"Next_Meeting_Date__c": new_date}, str(uuid.uuid4()))
            payload = await _post(api, mine_user, QUICK_FIX, value)
            assert payload["outcome"] == "APPLIED"
            resolved_ids = {a["id"] for a in payload["resolvedAlerts"]}
            assert fixed.id in resolved_ids  # maybe others of the deal with it
            resolved = await changes(ws, len(resolved_ids))
            assert {e["change"] for e in resolved} == {"RESOLVED"}
            assert {e["alert"]["id"] for e in resolved} == resolved_ids
            assert {e["opportunity"]["id"] for e in resolved} == {fixed.opportunity_id}
            # Another team's snooze first, then mine: only mine arrives.
            other = {"alertId": theirs.id, "until": until, "reason": "Their reason"}
            await _post(api, their_user, SNOOZE, other)
            await _post(api, mine_user, SNOOZE, {**other, "alertId": snoozed.id})
            [event] = await changes(ws, 1)
            assert (event["change"], event["alert"]["id"]) == ("SNOOZED", snoozed.id)
            assert event["opportunity"]["id"] == snoozed.opportunity_id
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(ws.recv(), timeout=0.3)
