"""The query cost limit (issue 11) over HTTP: the 30-alias query that passes the depth, alias and
token limits is refused before any resolver reads the store, with its cost; an accepted query
answers its cost in `extensions.cost`, computed as the README says (pages, variables and their
defaults, lists, fragments); the limit is a setting."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine

from store.models import SfUser
from tests import factories as f
from tests.graphql_client import GRAPHQL_RESPONSE, graphql_client
from tests.store_backends import counting

pytestmark = [pytest.mark.anyio, pytest.mark.sqlite_only]

RELATIONS = "id name owner { name } account { name } alerts { id message rule { name } }"
# The probe of the issue: 2 KB, 30 aliases (the alias limit), depth 6, within the token limit.
HEAVY = (
    "{ "
    + " ".join(
        f"a{i}: opportunities(first: 200) {{ edges {{ node {{ {RELATIONS} }} }} }}"
        for i in range(30)
    )
    + " }"
)


async def _post(
    engine: Engine,
    user: SfUser,
    query: str,
    variables: dict[str, Any] | None = None,
    **settings: Any,
) -> tuple[int, dict[str, Any]]:
    async with graphql_client(engine, **settings) as client:
        response = await client.post(query, variables, as_user=user, accept=GRAPHQL_RESPONSE)
    body: dict[str, Any] = response.json()
    return response.status_code, body


async def test_the_thirty_alias_query_is_refused_before_anything_is_read(
    store_engine: Engine,
) -> None:
    team = f.team(store_engine)
    f.opportunity(store_engine, team.reps[0])
    # opportunities, edges, then per edge: node, id, name, owner { name }, account { name },
    # alerts and its 10 of { id message rule { name } }
    per_alias = 1 + 1 + 200 * (1 + 1 + 1 + 2 + 2 + (1 + 10 * (1 + 1 + 2)))
    with counting(store_engine) as statements:
        status, body = await _post(store_engine, team.admin, HEAVY)
    assert status == 400
    assert "data" not in body
    [error] = body["errors"]
    assert error["extensions"] == {
        "code": "QUERY_TOO_COSTLY", "cost": 30 * per_alias, "maxCost": 100_000,
    }  # fmt: skip
    assert "first" in error["message"]  # it says what to do
    assert not [s for s in statements if "opportunity" in s.lower()]


@pytest.mark.parametrize(
    ("query", "variables", "cost"),
    [
        # the README's example: the page is the edges', totalCount counts once
        ("{ opportunities(first: 200) { totalCount edges { node { id name } } } }", None, 603),
        # a variable, and a variable's default
        ("query($n: Int) { opportunities(first: $n) { edges { node { id } } } }", {"n": 7}, 16),
        ("query($n: Int = 9) { opportunities(first: $n) { edges { node { id } } } }", None, 20),
        # first left out or null: the default page (50)
        ("{ opportunities { edges { node { id } } } }", None, 102),
        ("{ opportunities(first: null) { edges { node { id } } } }", None, 102),
        # past the maximum page: counted as the maximum (the page size error says the rest)
        ("{ opportunities(first: 100000) { pageInfo { hasNextPage } } }", None, 3),
        # a list without `first` stands for 10, auditLog's `first` defaults to 50
        ('{ opportunity(id: "006000000000001AAA") { alerts { id } } }', None, 12),
        ('{ auditLog(opportunityId: "006000000000001AAA") { id at } }', None, 101),
        # a fragment counts where it is spread, as many times as it is
        (
            "query { a: me { ...who } b: me { ...who } } fragment who on Me { scopes timeZone }",
            None,
            6,
        ),
        ("{ __typename }", None, 1),
    ],
)
async def test_an_accepted_query_answers_its_cost(
    store_engine: Engine, query: str, variables: dict[str, Any] | None, cost: int
) -> None:
    team = f.team(store_engine)
    status, body = await _post(store_engine, team.admin, query, variables)
    assert status == 200, body
    assert body["extensions"] == {"cost": cost}


async def test_the_limit_is_a_setting(store_engine: Engine) -> None:
    team = f.team(store_engine)
    query = "{ opportunities(first: 200) { totalCount edges { node { id name } } } }"
    status, body = await _post(store_engine, team.admin, query, max_query_cost=602)
    assert status == 400
    assert body["errors"][0]["extensions"]["cost"] == 603
    status, body = await _post(store_engine, team.admin, query, max_query_cost=603)
    assert (status, body["extensions"]) == (200, {"cost": 603})
