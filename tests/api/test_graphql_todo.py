"""The to-do list over HTTP: who may read whose list, what an item carries, paging by its
(score, id) keyset, bad arguments, and its cost (0 Salesforce calls on a fresh mirror, the same
SQL statements for 3 items as for 30)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine

from rules.process import AlertKind, AlertStatus, Severity
from store.models import SfUser
from tests import factories as f
from tests import process_factories as pf
from tests.graphql_client import GraphQLClient, graphql_client
from tests.store_backends import counting

pytestmark = pytest.mark.anyio

TODO = """query($owner: ID, $first: Int, $after: String) {
  todo(ownerId: $owner, first: $first, after: $after) {
    totalCount remainingTodoCount
    summary { total amount bySeverity { severity count } }
    pageInfo { hasNextPage endCursor }
    edges { cursor node {
      opportunity { id name amount owner { name } }
      alerts { id message rule { name } }
      fixFields { name label type currentValue required length precision scale helpText
                  updateable picklistValues { value label } }
      priority reasons lastModifiedAt
    } }
  }
}"""

DESCRIBE = [
    {"name": "CloseDate", "label": "Close Date", "type": "date", "nillable": False,
     "defaultedOnCreate": False, "updateable": True, "length": 0},
    {"name": "NextStep", "label": "Next Step", "type": "string", "length": 255,
     "nillable": True, "updateable": True, "inlineHelpText": "What happens next"},
    {"name": "LeadSource", "label": "Lead Source", "type": "picklist", "nillable": True,
     "updateable": True, "restrictedPicklist": True, "picklistValues": [
         {"value": "Web", "label": "Web site", "active": True},
         {"value": "Old", "label": "Old", "active": False},
         {"value": "Phone", "label": "Phone Inquiry", "active": True}]},
]  # fmt: skip


def _no_sync(org_id: str) -> object:
    raise AssertionError("a fresh mirror must not call Salesforce")


async def _todo(client: GraphQLClient, user: SfUser, **variables: Any) -> dict[str, Any]:
    data = await client.data(TODO, variables, as_user=user)
    todo: dict[str, Any] = data["todo"]
    return todo


async def _error(client: GraphQLClient, user: SfUser, **variables: Any) -> dict[str, Any]:
    response = await client.post(TODO, variables, as_user=user)
    payload = response.json()
    assert payload["data"] is None, payload
    error: dict[str, Any] = payload["errors"][0]
    return error


def _arranged(engine: Engine) -> tuple[f.Team, list[Any]]:
    team = f.team(engine)
    f.synced(engine, f.ORG_A, datetime.now(UTC))
    f.catalog(engine, f.ORG_A, DESCRIBE)
    rep = team.reps[0]
    close = pf.rule(engine, f.ORG_A, name="Close date", fix_fields=("CloseDate",))
    step = pf.rule(
        engine,
        f.ORG_A,
        name="Next step",
        severity=Severity.LOW,
        fix_fields=("NextStep", "CloseDate"),
    )
    info = pf.rule(engine, f.ORG_A, name="Info", kind=AlertKind.INFORMATIVE, fix_fields=())
    big = f.opportunity(
        engine, rep, name="Big", amount=Decimal("120000.00"), fields={"NextStep": "Call"}
    )
    small = f.opportunity(engine, rep, name="Small", amount=Decimal("500.00"))
    pf.alert(engine, close, big)
    pf.alert(engine, step, big, opened_at=f.NOW)  # after the close date's: its fields come later
    pf.alert(engine, info, big)  # informative: not on the list
    pf.alert(engine, close, small)
    for status in (AlertStatus.SNOOZED, AlertStatus.DISMISSED, AlertStatus.PENDING):
        pf.alert(engine, step, f.opportunity(engine, rep, name=status.name), status)
    pf.alert(engine, close, f.opportunity(engine, rep, name="Won", stage="Closed Won"))
    pf.alert(engine, close, f.opportunity(engine, team.reps[1], name="Other rep's"))
    return team, [big, small]


@pytest.mark.sqlite_only
async def test_a_rep_sees_its_fix_alerts_by_priority_with_editor_metadata(
    store_engine: Engine,
) -> None:
    team, (big, small) = _arranged(store_engine)
    async with graphql_client(store_engine, staleness_seconds=3600, sync_org=_no_sync) as client:
        todo = await _todo(client, team.reps[0])
    assert todo["totalCount"] == todo["remainingTodoCount"] == 2
    assert todo["summary"] == {
        "total": 3,
        "amount": "120500.00",
        "bySeverity": [{"severity": "HIGH", "count": 2}, {"severity": "LOW", "count": 1}],
    }
    first, second = (edge["node"] for edge in todo["edges"])
    assert [first["opportunity"]["id"], second["opportunity"]["id"]] == [big.id, small.id]
    assert first["priority"] > second["priority"]
    assert first["reasons"][:3] == ["1 HIGH alert", "1 LOW alert", "amount 120,000.00"]
    assert sorted(a["rule"]["name"] for a in first["alerts"]) == ["Close date", "Next step"]
    assert first["lastModifiedAt"] == big.last_modified_date.isoformat()
    close_date, next_step = first["fixFields"]
    assert close_date == {
        "name": "CloseDate", "label": "Close Date", "type": "date", "currentValue": None,
        "required": True, "length": None, "precision": None, "scale": None, "helpText": None,
        "updateable": True, "picklistValues": [],
    }  # fmt: skip
    assert next_step["currentValue"] == "Call"
    assert next_step["length"] == 255
    assert next_step["required"] is False
    assert next_step["helpText"] == "What happens next"


@pytest.mark.sqlite_only
async def test_who_may_read_whose_list(store_engine: Engine) -> None:
    team, _ = _arranged(store_engine)
    rep = team.reps[0]
    async with graphql_client(store_engine, staleness_seconds=3600) as client:
        assert (await _todo(client, team.managers[0], owner=rep.id))["totalCount"] == 2
        assert (await _todo(client, team.admin, owner=rep.id))["totalCount"] == 2
        assert (await _todo(client, team.managers[0]))["totalCount"] == 0  # its own: none
        for caller in (team.reps[1], team.managers[1]):
            error = await _error(client, caller, owner=rep.id)
            assert error["extensions"]["code"] == "FORBIDDEN"
            assert error["path"] == ["todo"]


@pytest.mark.sqlite_only
@pytest.mark.parametrize("owner", ["", "nope", "006000000000001AAA", "005" + "x" * 20])
async def test_a_bad_owner_id_is_refused(store_engine: Engine, owner: str) -> None:
    team, _ = _arranged(store_engine)
    async with graphql_client(store_engine, staleness_seconds=3600) as client:
        error = await _error(client, team.admin, owner=owner)
    assert error["extensions"]["code"] == "INVALID_ID"


@pytest.mark.sqlite_only
async def test_pages_follow_the_keyset_and_forged_cursors_are_refused(
    store_engine: Engine,
) -> None:
    team = f.team(store_engine)
    f.synced(store_engine, f.ORG_A, datetime.now(UTC))
    rule = pf.rule(store_engine, f.ORG_A)
    rep = team.reps[0]
    for i in range(7):
        opp = f.opportunity(store_engine, rep, amount=Decimal(10_000 * (i % 3)))
        pf.alert(store_engine, rule, opp)
    async with graphql_client(store_engine, staleness_seconds=3600) as client:
        whole = await _todo(client, rep, first=50)
        seen: list[str] = []
        after = None
        while True:
            page = await _todo(client, rep, first=3, after=after)
            seen += [edge["node"]["opportunity"]["id"] for edge in page["edges"]]
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        for forged in ("garbage", "dG9kbzE6MTAwOjAwNnh4eA", "b3BwMTphbW91bnQ6ZGVzYzox"):
            error = await _error(client, rep, after=forged)
            assert error["extensions"]["code"] == "INVALID_CURSOR"
    expected = [edge["node"]["opportunity"]["id"] for edge in whole["edges"]]
    assert seen == expected
    assert len(seen) == 7
    scores = [
        (-edge["node"]["priority"], edge["node"]["opportunity"]["id"]) for edge in whole["edges"]
    ]
    assert scores == sorted(scores)


@pytest.mark.sqlite_only
async def test_an_empty_list(store_engine: Engine) -> None:
    team = f.team(store_engine)
    f.synced(store_engine, f.ORG_A, datetime.now(UTC))
    async with graphql_client(store_engine, staleness_seconds=3600) as client:
        todo = await _todo(client, team.reps[0])
    assert todo == {
        "totalCount": 0,
        "remainingTodoCount": 0,
        "summary": {"total": 0, "amount": "0.00", "bySeverity": []},
        "pageInfo": {"hasNextPage": False, "endCursor": None},
        "edges": [],
    }


async def test_the_list_costs_the_same_statements_for_3_or_30_items(
    store_engine: Engine,
) -> None:
    team = f.team(store_engine)
    f.synced(store_engine, f.ORG_A, datetime.now(UTC))
    f.catalog(store_engine, f.ORG_A, DESCRIBE)
    rules = [pf.rule(store_engine, f.ORG_A, name=f"Rule {i}") for i in range(3)]
    counts = {}
    async with graphql_client(store_engine, staleness_seconds=3600, sync_org=_no_sync) as client:
        for owner, size in ((team.reps[0], 3), (team.reps[1], 30)):
            for i in range(size):
                opp = f.opportunity(
                    store_engine, owner, close_date=date(2026, 3, 1) + timedelta(days=i)
                )
                pf.alert(store_engine, rules[i % 3], opp)
                pf.alert(store_engine, rules[(i + 1) % 3], opp)
            with counting(store_engine) as statements:
                todo = await _todo(client, team.admin, owner=owner.id, first=50)
            assert len(todo["edges"]) == size
            counts[size] = len(statements)
    assert counts[3] == counts[30], counts
