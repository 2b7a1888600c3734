"""Each query over HTTP: me, stages, opportunity (with every field), syncStatus."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import Engine

from tests import factories as f
from tests.graphql_client import graphql_client

pytestmark = [pytest.mark.anyio, pytest.mark.sqlite_only]

OPPORTUNITY = """
query($id: ID!) { opportunity(id: $id) {
  id name amount closeDate probability forecastCategory isClosed isWon type leadSource nextStep
  stage { name label sortOrder isClosed isWon probability forecastCategory }
  account { id name industry billingCountry employees annualRevenue }
  owner { id name email title role manager { name } }
  competitors stageEnteredAt daysInStage stageNumber closeDatePushCount
  amountChangeSinceCreation daysSinceLastActivity nextMeetingDate ageInDays
  history { stage enteredAt amount closeDate }
  competitor: field(name: "competitor__c") { name label type value displayValue }
  budget: field(name: "Budget_Confirmed__c") { value displayValue }
  syncedAt
} }"""


async def test_me_names_the_caller_and_their_access(store_engine: Engine) -> None:
    team = f.team(store_engine)
    async with graphql_client(store_engine) as client:
        query = "{ me { orgId accessLevel user { id name role manager { name } } } }"
        rep = await client.data(query, as_user=team.reps[0])
        manager = await client.data(query, as_user=team.managers[0])
        admin = await client.data(query, as_user=team.admin)
    assert rep["me"] == {
        "orgId": f.ORG_A,
        "accessLevel": "REP",
        "user": {
            "id": team.reps[0].id,
            "name": "East Rep1",
            "role": "East Rep",
            "manager": {"name": "East Boss"},
        },
    }
    assert manager["me"]["accessLevel"] == "MANAGER"
    assert admin["me"]["accessLevel"] == "ADMIN"


async def test_stages_come_in_sort_order(store_engine: Engine) -> None:
    team = f.team(store_engine)
    async with graphql_client(store_engine) as client:
        data = await client.data(
            "{ stages { name sortOrder isClosed isWon } }", as_user=team.reps[0]
        )
    assert [s["name"] for s in data["stages"]] == [name for name, *_ in f.STAGES]
    assert data["stages"][4] == {
        "name": "Closed Won",
        "sortOrder": 5,
        "isClosed": True,
        "isWon": True,
    }


async def test_opportunity_by_id_resolves_every_field(store_engine: Engine) -> None:
    team = f.team(store_engine)
    rep = team.reps[0]
    acme = f.account(store_engine, "Acme")
    opp = f.opportunity(
        store_engine,
        rep,
        name="Big deal",
        account=acme,
        stage="Proposal",
        amount=50_000,
        close_date=date(2026, 4, 30),
        type="New Business",
        lead_source="Web",
        next_step="Demo",
        fields={"Competitor__c": "acme", "Budget_Confirmed__c": True},
    )
    f.competitor(store_engine, opp, "Globex")
    f.history(store_engine, opp, "Prospecting", f.NOW - timedelta(days=30), amount=40_000)
    f.history(store_engine, opp, "Prospecting", f.NOW - timedelta(days=20), amount=45_000)
    f.history(store_engine, opp, "Proposal", f.NOW - timedelta(days=10), amount=50_000)
    # noon UTC ten days ago: ten calendar days in stage whatever the time of day now (the org
    # has no time zone mirrored, so days count in UTC)
    entered = datetime.combine(datetime.now(UTC).date() - timedelta(days=10), time(12), UTC)
    f.facts(
        store_engine,
        opp,
        stage_entered_at=entered,
        stage_number=3,
        close_date_push_count=2,
        amount_change_since_creation=10_000,
        last_activity_date=datetime.now(UTC).date() - timedelta(days=4),
        next_meeting_date=date(2026, 5, 2),
    )
    f.catalog(
        store_engine,
        f.ORG_A,
        [
            {
                "name": "Competitor__c",
                "label": "Primary Competitor",
                "type": "picklist",
                "picklistValues": [{"value": "acme", "label": "Acme Corp"}],
            },
            {"name": "Budget_Confirmed__c", "label": "Budget Confirmed", "type": "boolean"},
        ],
    )
    f.synced(store_engine, f.ORG_A, f.NOW)
    async with graphql_client(store_engine) as client:
        data = await client.data(OPPORTUNITY, {"id": opp.id}, as_user=rep)
    got = data["opportunity"]
    assert got["name"] == "Big deal"
    assert got["stage"]["name"] == "Proposal"
    assert got["stage"]["probability"] == 60.0
    assert got["account"]["name"] == "Acme"
    assert got["owner"] == {
        "id": rep.id,
        "name": rep.name,
        "email": rep.email,
        "title": rep.title,
        "role": "East Rep",
        "manager": {"name": "East Boss"},
    }
    assert got["competitors"] == ["acme", "Globex"]
    assert (got["daysInStage"], got["stageNumber"], got["closeDatePushCount"]) == (10, 3, 2)
    assert got["amountChangeSinceCreation"] == "10000.00"
    assert got["daysSinceLastActivity"] == 4
    assert got["nextMeetingDate"] == "2026-05-02"
    assert got["ageInDays"] >= 40
    assert [(h["stage"], h["amount"]) for h in got["history"]] == [
        ("Prospecting", "40000.00"),
        ("Proposal", "50000.00"),
    ]
    assert got["competitor"] == {
        "name": "Competitor__c",
        "label": "Primary Competitor",
        "type": "picklist",
        "value": "acme",
        "displayValue": "Acme Corp",
    }
    assert got["budget"] == {"value": True, "displayValue": "Yes"}
    assert got["syncedAt"] == f.NOW.isoformat()


async def test_an_unknown_field_is_a_typed_error(store_engine: Engine) -> None:
    team = f.team(store_engine)
    opp = f.opportunity(store_engine, team.reps[0])
    f.catalog(store_engine, f.ORG_A, [{"name": "Amount", "label": "Amount", "type": "currency"}])
    async with graphql_client(store_engine) as client:
        response = await client.post(
            'query($id: ID!) { opportunity(id: $id) { amount: field(name: "Amount") '
            '{ displayValue } nope: field(name: "Nope__c") { value } } }',
            {"id": opp.id},
            as_user=team.reps[0],
        )
    payload = response.json()
    assert response.status_code == 200
    assert payload["data"] == {"opportunity": None}  # field() is non-null: nulls the parent
    [error] = payload["errors"]
    assert error["extensions"]["code"] == "UNKNOWN_FIELD"
    assert "Nope__c" in error["message"]


async def test_sync_status_reports_age_and_objects(store_engine: Engine) -> None:
    team = f.team(store_engine)
    long_ago = datetime(2020, 1, 1, tzinfo=UTC)
    f.synced(store_engine, f.ORG_A, long_ago, error="GatewayError: login failed password=hunter2")
    async with graphql_client(store_engine, staleness_seconds=30) as client:
        data = await client.data(
            "{ syncStatus { orgId syncedAt stale lastError objects { sobject lastSuccessAt } } }",
            as_user=team.reps[0],
        )
    status = data["syncStatus"]
    assert status["orgId"] == f.ORG_A
    assert status["syncedAt"] == long_ago.isoformat()
    assert status["stale"] is True
    assert "hunter2" not in status["lastError"]
    assert "[redacted]" in status["lastError"]
    assert [o["sobject"] for o in status["objects"]] == ["Opportunity", "User"]


async def test_sync_status_objects_redact_their_errors(store_engine: Engine) -> None:
    team = f.team(store_engine)
    f.synced(store_engine, f.ORG_A, f.NOW, error="login failed password=hunter2")
    async with graphql_client(store_engine) as client:
        data = await client.data(
            "{ syncStatus { objects { sobject lastError recordsSynced } } }", as_user=team.admin
        )
    objects = data["syncStatus"]["objects"]
    assert [o["lastError"] for o in objects] == ["login failed [redacted]"] * 2
    assert [o["recordsSynced"] for o in objects] == [1, 1]


async def test_a_stage_the_mirror_does_not_know_is_shown_by_its_name(store_engine: Engine) -> None:
    team = f.team(store_engine)
    deal = f.opportunity(store_engine, team.reps[0], stage="Closed Won")
    renamed = f.opportunity(store_engine, team.reps[0], stage="Closed Signed")
    query = """query($id: ID!) { opportunity(id: $id) {
      stage { name label sortOrder isActive isClosed isWon probability forecastCategory } } }"""
    async with graphql_client(store_engine) as client:
        known = await client.data(query, {"id": deal.id}, as_user=team.reps[0])
        unknown = await client.data(query, {"id": renamed.id}, as_user=team.reps[0])
    assert known["opportunity"]["stage"]["sortOrder"] == 5
    assert unknown["opportunity"]["stage"] == {
        "name": "Closed Signed", "label": "Closed Signed", "sortOrder": 0, "isActive": False,
        "isClosed": True, "isWon": False, "probability": None, "forecastCategory": None,
    }  # fmt: skip
