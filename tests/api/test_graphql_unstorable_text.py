"""Text that no database can store (NUL, which PostgreSQL text cannot hold; an unpaired
surrogate, which is no character and cannot be encoded as UTF-8) is refused as BAD_USER_INPUT
before anything runs, in a variable or in a literal; it was an "Unexpected error." from the
write (a rule's or milestone's name) or the bound filter parameter it reached.

Not `sqlite_only`: NUL crashed on PostgreSQL only, the surrogate on both."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import Engine

from tests import factories as f
from tests.api import alert_api, milestone_requests
from tests.api.alert_api import org_with_describe, rule_input, stored_rules
from tests.api.milestone_requests import process_rows
from tests.graphql_client import GRAPHQL_RESPONSE, GraphQLClient, graphql_client

pytestmark = [pytest.mark.anyio]

FILTER = "query($f: OpportunityFilterInput) { opportunities(filter: $f) { totalCount } }"
NUL, SURROGATE = "\u0000", "\ud800"


@pytest.fixture
async def client(store_engine: Engine) -> AsyncIterator[GraphQLClient]:
    async with graphql_client(store_engine) as client:
        yield client


async def _post(client: GraphQLClient, body: dict[str, Any], team: f.Team) -> Any:
    # json.dumps escapes both (`\u0000`, `\ud800`) as a client would; httpx's json= refuses
    # to encode a lone surrogate.
    response = await client.http.post(
        "/graphql",
        content=json.dumps(body),
        headers=client.headers_for(
            team.admin, content_type="application/json", accept=GRAPHQL_RESPONSE
        ),
    )
    assert response.status_code == 400, response.text
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "NUL character" in error["message"]
    return error


@pytest.mark.parametrize("bad", [NUL, SURROGATE], ids=["nul", "surrogate"])
@pytest.mark.parametrize(
    ("query", "variables"),
    [
        (alert_api.CREATE, {"input": rule_input(name="Close date{bad}")}),
        (alert_api.CREATE, {"input": rule_input(condition='Name = "{bad}"')}),
        (alert_api.CREATE, {"input": rule_input(message="Fix it{bad}")}),
        (milestone_requests.CREATE, {"input": {"name": "Budget{bad}"}}),
        (milestone_requests.CREATE, {"input": {"name": "B", "description": "{bad}"}}),
        (FILTER, {"f": {"competitor": "Acme{bad}"}}),
        (FILTER, {"f": {"stageNames": ["Prospecting", "{bad}"]}}),
    ],
    ids=["rule name", "condition", "message", "milestone", "description", "competitor", "stage"],
)
async def test_a_variable_with_unstorable_text_is_refused_and_nothing_is_saved(
    store_engine: Engine, client: GraphQLClient, query: str, variables: dict[str, Any], bad: str
) -> None:
    team = org_with_describe(store_engine)
    filled = json.loads(json.dumps(variables).replace("{bad}", json.dumps(bad)[1:-1]))
    error = await _post(client, {"query": query, "variables": filled}, team)
    assert error["extensions"]["field"].startswith(("$input.", "$f."))
    assert stored_rules(store_engine) == []
    assert process_rows(store_engine) == []


async def test_a_literal_with_nul_is_refused(store_engine: Engine, client: GraphQLClient) -> None:
    team = org_with_describe(store_engine)
    # The GraphQL escape \u0000 in the document (JSON carries its backslash as \\).
    query = 'mutation { createMilestone(input: {name: "Budget\\u0000"}) { errors { message } } }'
    error = await _post(client, {"query": query}, team)
    assert error["locations"] == [{"line": 1, "column": 42}]
    assert process_rows(store_engine) == []


async def test_ordinary_unicode_and_control_characters_pass(
    store_engine: Engine, client: GraphQLClient
) -> None:
    team = org_with_describe(store_engine)
    name = "Décision 🎯\tpris"
    data = await client.data(alert_api.CREATE, {"input": rule_input(name=name)}, as_user=team.admin)
    assert data["createAlertRule"]["alertRule"]["name"] == name
