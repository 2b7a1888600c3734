"""Reading alerts and rules over the real app: `Opportunity.alerts(kind, status)`, the
`alerts` connection over the caller's visible opportunities, `alertRules` with its admin-only
health, and SQL statements that do not grow with the page. On both databases: the keyset
cursors and the health sums are theirs."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import Engine

from rules.process import AlertStatus
from store import alert_rules
from tests import factories as f
from tests import process_factories as pf
from tests.api.alert_api import org_with_describe
from tests.graphql_client import GraphQLClient, graphql_client
from tests.store_backends import counting

pytestmark = pytest.mark.anyio

ALERT = (
    "id status message openedAt resolvedAt resolution kind severity recommendation "
    "fixFields { name } rule { id name } ruleVersion"
)
OPPORTUNITY_ALERTS = f"""query($id: ID!, $status: [AlertStatus!], $kind: [AlertKind!]) {{
  opportunity(id: $id) {{ alerts(status: $status, kind: $kind) {{ {ALERT} }} }} }}"""
ALERTS = """query($filter: AlertFilterInput, $first: Int, $after: String) {
  alerts(filter: $filter, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { id status opportunity { id owner { name } } rule { name } } }
  } }"""
RULES = """{ alertRules { id name version
  health { openAlerts pipelineAmount lastEvaluatedAt lastError errorCount } } }"""


@pytest.fixture
async def client(store_engine: Engine) -> AsyncIterator[GraphQLClient]:
    async with graphql_client(store_engine) as client:
        yield client


async def test_an_opportunity_shows_its_visible_alerts_with_their_rule_version(
    store_engine: Engine, client: GraphQLClient
) -> None:
    team = org_with_describe(store_engine)
    deal = f.opportunity(store_engine, team.reps[0])
    rule = pf.rule(store_engine, f.ORG_A, recommendation="Move it")
    informative = pf.rule(
        store_engine, f.ORG_A, name="Big deal", kind="INFORMATIVE", severity="LOW",
        condition="Amount > 5", message="Big", fix_fields=(),
    )  # fmt: skip
    resolved = pf.alert(store_engine, rule, deal, AlertStatus.RESOLVED)
    alert_rules.update_rule(store_engine, f.ORG_A, rule.id, {"severity": "CRITICAL"}, None, f.NOW)
    live = pf.alert(
        store_engine, alert_rules.rules_by_ids(store_engine, f.ORG_A, [rule.id])[rule.id], deal
    )
    pf.alert(store_engine, informative, deal, AlertStatus.PENDING)
    data = await client.data(OPPORTUNITY_ALERTS, {"id": deal.id}, as_user=team.reps[0])
    shown = {a["id"]: a for a in data["opportunity"]["alerts"]}
    assert set(shown) == {resolved.id, live.id}  # PENDING is never shown
    assert shown[live.id] == {
        "id": live.id, "status": "OPEN", "message": live.message,
        "openedAt": live.opened_at.isoformat() if live.opened_at else None,
        "resolvedAt": None, "resolution": None, "kind": "FIX_REQUIRED", "severity": "CRITICAL",
        "recommendation": "Move it", "fixFields": [{"name": "CloseDate"}],
        "rule": {"id": rule.id, "name": rule.name}, "ruleVersion": 2,
    }  # fmt: skip
    old = shown[resolved.id]
    assert (old["severity"], old["ruleVersion"], old["resolution"]) == (
        "HIGH", 1, "CONDITION_CLEARED"
    )  # fmt: skip
    only_open = await client.data(
        OPPORTUNITY_ALERTS, {"id": deal.id, "status": ["OPEN", "PENDING"]}, as_user=team.reps[0]
    )
    assert [a["id"] for a in only_open["opportunity"]["alerts"]] == [live.id]
    informative_only = await client.data(
        OPPORTUNITY_ALERTS, {"id": deal.id, "kind": ["INFORMATIVE"]}, as_user=team.reps[0]
    )
    assert informative_only["opportunity"]["alerts"] == []


async def _alert_ids(client: GraphQLClient, user: f.SfUser, **filter_: object) -> set[str]:
    data = await client.data(ALERTS, {"filter": filter_ or None, "first": 100}, as_user=user)
    connection = data["alerts"]
    ids = {edge["node"]["id"] for edge in connection["edges"]}
    assert connection["totalCount"] == len(ids)
    return ids


async def test_the_alerts_connection_covers_only_visible_opportunities(
    store_engine: Engine, client: GraphQLClient
) -> None:
    team = org_with_describe(store_engine)
    other = org_with_describe(store_engine, f.ORG_B)
    rule = pf.rule(store_engine, f.ORG_A)
    informative = pf.rule(
        store_engine, f.ORG_A, name="Big deal", kind="INFORMATIVE", severity="LOW",
        condition="Amount > 5", message="Big", fix_fields=(),
    )  # fmt: skip
    deals = [f.opportunity(store_engine, rep) for rep in team.reps]
    mine = pf.alert(store_engine, rule, deals[0])
    mine_informative = pf.alert(store_engine, informative, deals[0], AlertStatus.SNOOZED)
    teammate = pf.alert(store_engine, rule, deals[1])
    west = pf.alert(store_engine, rule, deals[2], AlertStatus.RESOLVED)
    their_rule = pf.rule(store_engine, f.ORG_B)
    pf.alert(store_engine, their_rule, f.opportunity(store_engine, other.reps[0]))
    assert await _alert_ids(client, team.reps[0]) == {mine.id, mine_informative.id}
    assert await _alert_ids(client, team.managers[0]) == {
        mine.id, mine_informative.id, teammate.id
    }  # fmt: skip
    assert await _alert_ids(client, team.admin) == {
        mine.id, mine_informative.id, teammate.id, west.id
    }  # fmt: skip
    admin = team.admin
    assert await _alert_ids(client, admin, kinds=["INFORMATIVE"]) == {mine_informative.id}
    assert await _alert_ids(client, admin, severities=["HIGH"]) == {mine.id, teammate.id, west.id}
    assert await _alert_ids(client, admin, statuses=["RESOLVED"]) == {west.id}
    assert await _alert_ids(client, admin, ruleIds=[informative.id]) == {mine_informative.id}
    assert await _alert_ids(client, admin, ownerIds=[team.reps[1].id]) == {teammate.id}
    assert await _alert_ids(client, admin, ruleIds=[their_rule.id]) == set()


async def test_the_alerts_connection_pages(store_engine: Engine, client: GraphQLClient) -> None:
    team = org_with_describe(store_engine)
    rule = pf.rule(store_engine, f.ORG_A)
    expected = {pf.alert(store_engine, rule, f.opportunity(store_engine, team.reps[0])).id
                for _ in range(5)}  # fmt: skip
    seen: list[str] = []
    after = None
    for _ in range(3):
        data = await client.data(ALERTS, {"first": 2, "after": after}, as_user=team.admin)
        connection = data["alerts"]
        assert connection["totalCount"] == 5
        seen += [edge["node"]["id"] for edge in connection["edges"]]
        after = connection["pageInfo"]["endCursor"]
        if not connection["pageInfo"]["hasNextPage"]:
            break
    assert sorted(seen) == sorted(expected)
    response = await client.post(ALERTS, {"first": 2, "after": "nonsense"}, as_user=team.admin)
    assert response.json()["errors"][0]["extensions"]["code"] == "INVALID_CURSOR"


def _forged(body: str) -> str:
    return base64.urlsafe_b64encode(body.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "body",
    [
        # Well formed, but no UTC time exists for them: they crashed binding the key.
        "alr1:0001-01-01T00:00:00+14:00:alert_AAAAAAAAAAAAAAAAAAAA",
        "alr1:9999-12-31T23:59:59-14:00:alert_AAAAAAAAAAAAAAAAAAAA",
        "alr1:2026-13-01T00:00:00+00:00:alert_AAAAAAAAAAAAAAAAAAAA",
        "alr1:2026-01-01T00:00:00:alert_AAAAAAAAAAAAAAAAAAAA",  # no offset
        "alr1:2026-01-01T00:00:00+00:00:alert_AAAAAAAAAAAAAAAAAAAA\n",
    ],
)
async def test_a_forged_alerts_cursor_is_invalid_not_a_crash(
    store_engine: Engine, client: GraphQLClient, body: str
) -> None:
    team = org_with_describe(store_engine)
    variables = {"first": 2, "after": _forged(body)}
    response = await client.post(ALERTS, variables, as_user=team.admin)
    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": "INVALID_CURSOR", "field": "after"}


async def test_rule_health_is_for_admins(store_engine: Engine, client: GraphQLClient) -> None:
    team = org_with_describe(store_engine)
    rule = pf.rule(store_engine, f.ORG_A)
    quiet = pf.rule(store_engine, f.ORG_A, name="Quiet")
    for amount, status in [
        ("100.50", AlertStatus.OPEN),
        ("20.25", AlertStatus.SNOOZED),
        ("1000", AlertStatus.RESOLVED),
        ("7", AlertStatus.DISMISSED),
    ]:
        deal = f.opportunity(store_engine, team.reps[0], amount=Decimal(amount))
        pf.alert(store_engine, rule, deal, status)  # fmt: skip
    data = await client.data(RULES, as_user=team.admin)
    by_name = {r["name"]: r for r in data["alertRules"]}
    assert by_name[rule.name]["health"] == {
        "openAlerts": 2, "pipelineAmount": "120.75", "lastEvaluatedAt": None,
        "lastError": None, "errorCount": 0,
    }  # fmt: skip
    assert by_name[quiet.name]["health"]["openAlerts"] == 0
    response = await client.post(RULES, as_user=team.reps[0])
    body = response.json()
    assert [r["health"] for r in body["data"]["alertRules"]] == [None, None]
    assert {e["extensions"]["code"] for e in body["errors"]} == {"FORBIDDEN"}
    rules_only = await client.data("{ alertRules { name } }", as_user=team.reps[0])
    assert [r["name"] for r in rules_only["alertRules"]] == [rule.name, quiet.name]


PAGE = f"""query($first: Int) {{ opportunities(first: $first) {{ edges {{ node {{
  id alerts {{ {ALERT} }} open: alerts(status: [OPEN]) {{ id }} }} }} }} }}"""


async def test_listing_alerts_of_200_opportunities_costs_what_10_cost(
    store_engine: Engine,
) -> None:
    team = org_with_describe(store_engine)
    f.synced(store_engine, f.ORG_A, datetime.now(UTC))
    rules = [pf.rule(store_engine, f.ORG_A, name=f"Rule {i}") for i in range(3)]
    for i in range(200):
        deal = f.opportunity(store_engine, team.reps[i % 2])
        pf.alert(store_engine, rules[i % 3], deal)
    counts = {}
    async with graphql_client(store_engine, staleness_seconds=3600) as client:
        for first in (10, 200):
            with counting(store_engine) as statements:
                data = await client.data(PAGE, {"first": first}, as_user=team.managers[0])
            edges = data["opportunities"]["edges"]
            assert len(edges) == first
            assert all(len(e["node"]["alerts"]) == 1 == len(e["node"]["open"]) for e in edges)
            counts[first] = len(statements)
    assert counts[10] == counts[200], counts


@pytest.mark.parametrize(
    ("filter_", "field"),
    [
        ({"ownerIds": ["abc"]}, "filter.ownerIds"),
        ({"ruleIds": ["006000000000999AAA"]}, "filter.ruleIds"),
        ({"ruleIds": ["rule_" + "x" * 20] * 501}, "filter.ruleIds"),
    ],
)
async def test_a_bad_alerts_filter_is_the_clients_error(
    store_engine: Engine, client: GraphQLClient, filter_: dict[str, object], field: str
) -> None:
    team = org_with_describe(store_engine)
    response = await client.post(ALERTS, {"filter": filter_}, as_user=team.admin)
    [error] = response.json()["errors"]
    assert error["extensions"]["field"] == field
    assert error["extensions"]["code"] in {"INVALID_ID", "BAD_USER_INPUT"}
