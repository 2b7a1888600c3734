"""opportunities(filter, orderBy, first, after): filters, ordering, cursors, page bounds."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine

from tests import factories as f
from tests.graphql_client import graphql_client

pytestmark = [pytest.mark.anyio, pytest.mark.sqlite_only]

PAGE = """query($filter: OpportunityFilterInput, $order: OpportunityOrderInput, $first: Int,
                 $after: String) {
  opportunities(filter: $filter, orderBy: $order, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id amount closeDate daysInStage } }
  }
}"""


def _ids(data: dict[str, Any]) -> list[str]:
    return [edge["node"]["id"] for edge in data["opportunities"]["edges"]]


async def test_filters_over_http(store_engine: Engine) -> None:
    team = f.team(store_engine)
    rep = team.reps[0]
    acme = f.account(store_engine, "Acme")
    a = f.opportunity(
        store_engine,
        rep,
        account=acme,
        amount=10_000,
        stage="Proposal",
        close_date=date(2026, 4, 1),
    )
    b = f.opportunity(
        store_engine,
        rep,
        amount=90_000,
        stage="Closed Won",
        close_date=date(2026, 2, 1),
        fields={"Competitor__c": "Acme Corp"},
    )
    c = f.opportunity(store_engine, rep, amount=None, close_date=date(2026, 8, 1))
    f.competitor(store_engine, c, "Globex")
    cases: list[tuple[dict[str, Any], set[str]]] = [
        ({}, {a.id, b.id, c.id}),
        ({"isClosed": False}, {a.id, c.id}),
        ({"isClosed": True, "isWon": True}, {b.id}),
        ({"stageNames": ["Proposal"]}, {a.id}),
        ({"amountMin": 5000, "amountMax": 50_000}, {a.id}),
        ({"closeDateFrom": "2026-03-01", "closeDateTo": "2026-05-01"}, {a.id}),
        ({"accountIds": [acme.id]}, {a.id}),
        ({"competitor": "Acme Corp"}, {b.id}),
        ({"competitor": "Globex"}, {c.id}),
        ({"ownerIds": [rep.id], "competitor": "Nobody"}, set()),
    ]
    async with graphql_client(store_engine) as client:
        for where, expected in cases:
            data = await client.data(PAGE, {"filter": where}, as_user=rep)
            assert set(_ids(data)) == expected, where
            assert data["opportunities"]["totalCount"] == len(expected), where


async def test_order_by_each_field(store_engine: Engine) -> None:
    team = f.team(store_engine)
    rep = team.reps[0]
    x = f.opportunity(
        store_engine,
        rep,
        amount=300,
        close_date=date(2026, 5, 1),
        modified=f.NOW - timedelta(days=3),
    )
    y = f.opportunity(
        store_engine,
        rep,
        amount=100,
        close_date=date(2026, 7, 1),
        modified=f.NOW - timedelta(days=1),
    )
    z = f.opportunity(
        store_engine,
        rep,
        amount=200,
        close_date=date(2026, 6, 1),
        modified=f.NOW - timedelta(days=2),
    )
    f.facts(store_engine, x, stage_entered_at=f.NOW - timedelta(days=5))
    f.facts(store_engine, y, stage_entered_at=f.NOW - timedelta(days=50))
    f.facts(store_engine, z, stage_entered_at=f.NOW - timedelta(days=20))
    expectations = {
        ("AMOUNT", "ASC"): [y, z, x],
        ("AMOUNT", "DESC"): [x, z, y],
        ("CLOSE_DATE", "ASC"): [x, z, y],
        ("DAYS_IN_STAGE", "DESC"): [y, z, x],
        ("DAYS_IN_STAGE", "ASC"): [x, z, y],
        ("LAST_MODIFIED", "DESC"): [y, z, x],
    }
    async with graphql_client(store_engine) as client:
        for (field, direction), expected in expectations.items():
            order = {"field": field, "direction": direction}
            data = await client.data(PAGE, {"order": order}, as_user=rep)
            assert _ids(data) == [o.id for o in expected], order


async def test_cursor_pagination_walks_every_row_once(store_engine: Engine) -> None:
    team = f.team(store_engine)
    rep = team.reps[0]
    made = {f.opportunity(store_engine, rep, amount=Decimal(1000) * (i % 3)).id for i in range(7)}
    order = {"field": "AMOUNT", "direction": "DESC"}
    seen: list[str] = []
    after = None
    async with graphql_client(store_engine) as client:
        for page_number in range(4):
            data = await client.data(
                PAGE, {"order": order, "first": 3, "after": after}, as_user=rep
            )
            connection = data["opportunities"]
            seen += _ids(data)
            info = connection["pageInfo"]
            assert info["hasPreviousPage"] is (page_number > 0)
            if not info["hasNextPage"]:
                break
            after = info["endCursor"]
    assert len(seen) == 7
    assert set(seen) == made
    assert connection["totalCount"] == 7


@pytest.mark.parametrize(
    ("variables", "code"),
    [
        ({"after": "garbage!"}, "INVALID_CURSOR"),
        ({"after": "b3BwMTphbW91bnQ6YXNjOi0x"}, "INVALID_CURSOR"),  # offset -1
        ({"first": 201}, "BAD_USER_INPUT"),
        ({"first": -1}, "BAD_USER_INPUT"),
        ({"filter": {"accountIds": ["not-an-id"]}}, "INVALID_ID"),
        # More values than PostgreSQL takes bound parameters: refused before any SQL runs.
        ({"filter": {"stageNames": ["Proposal"] * 70_000}}, "BAD_USER_INPUT"),
        ({"filter": {"ownerIds": ["005000000000001AAA"] * 501}}, "BAD_USER_INPUT"),
    ],
)
async def test_bad_paging_input_is_a_clear_error(
    store_engine: Engine, variables: dict[str, Any], code: str
) -> None:
    team = f.team(store_engine)
    async with graphql_client(store_engine) as client:
        response = await client.post(PAGE, variables, as_user=team.reps[0])
    assert response.status_code == 200
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == code, error


async def test_a_cursor_from_another_ordering_is_refused(store_engine: Engine) -> None:
    team = f.team(store_engine)
    for _ in range(3):
        f.opportunity(store_engine, team.reps[0])
    async with graphql_client(store_engine) as client:
        data = await client.data(PAGE, {"first": 1}, as_user=team.reps[0])
        cursor = data["opportunities"]["pageInfo"]["endCursor"]
        response = await client.post(
            PAGE,
            {"first": 1, "after": cursor, "order": {"field": "AMOUNT"}},
            as_user=team.reps[0],
        )
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "INVALID_CURSOR"
    assert "orderBy" in error["message"]


async def test_a_manager_narrows_to_one_rep_by_owner_with_an_18_or_15_character_id(
    store_engine: Engine,
) -> None:
    team = f.team(store_engine)
    manager, rep, other = team.managers[0], team.reps[0], team.reps[1]
    mine = {f.opportunity(store_engine, rep).id for _ in range(2)}
    f.opportunity(store_engine, other)
    f.opportunity(store_engine, manager)
    async with graphql_client(store_engine) as client:
        for owner_id in (rep.id, rep.id[:15]):
            data = await client.data(PAGE, {"filter": {"ownerIds": [owner_id]}}, as_user=manager)
            assert set(_ids(data)) == mine, owner_id
            assert data["opportunities"]["totalCount"] == 2
