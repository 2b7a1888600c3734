"""The conventions of DESIGN.md for mutations, errors and permissions, over the real app:
a refused permission is a payload error on a mutation and a top-level error on a query;
input and formula errors are payload errors; authentication failures and bugs stay top-level.
The mutations exist only in tests (tests/api/conventions_schema.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import Engine

from auth.dev_tokens import issue_dev_token
from rules.formula import FormulaError, compile_formula
from tests import factories as f
from tests.api.conventions_schema import CALLS, CATALOG, conventions_schema
from tests.graphql_client import GRAPHQL_RESPONSE, JSON, GraphQLClient, graphql_client

pytestmark = [pytest.mark.anyio, pytest.mark.sqlite_only]

FLAG = """mutation($id: ID!, $reason: String!) { flagOpportunity(id: $id, reason: $reason) {
  opportunity { id name owner { name } }
  errors { __typename code field message }
} }"""
CHECK = """mutation($formula: String!) { checkFormula(formula: $formula) {
  check { resultType references }
  errors { code field message line column ... on Error { field message } }
} }"""
WRITE = 'mutation { writeRule(condition: "true") { ruleId errors { code field message } } }'


@pytest.fixture
async def client(store_engine: Engine) -> AsyncIterator[GraphQLClient]:
    CALLS.clear()
    async with graphql_client(store_engine, schema=conventions_schema()) as client:
        yield client


async def _json(
    client: GraphQLClient, query: str, variables: dict[str, Any] | None = None, **kw: Any
) -> tuple[int, dict[str, Any]]:
    response = await client.post(query, variables, **kw)
    return response.status_code, response.json()


@pytest.mark.parametrize("accept", [JSON, GRAPHQL_RESPONSE])
async def test_a_refused_mutation_answers_forbidden_in_its_payload(
    store_engine: Engine, client: GraphQLClient, accept: str
) -> None:
    team = f.team(store_engine)
    deal = f.opportunity(store_engine, team.reps[0])
    variables = {"id": deal.id, "reason": "stuck"}
    status, body = await _json(client, FLAG, variables, as_user=team.reps[0], accept=accept)
    assert (status, body["data"]) == (200, {"flagOpportunity": {"opportunity": None, "errors": [
        {"__typename": "FlagOpportunityError", "code": "FORBIDDEN", "field": None,
         "message": "only an administrator of the org (System Administrator profile) may do this"}
    ]}})  # fmt: skip
    assert CALLS == []  # the resolver never ran
    _, allowed = await _json(client, FLAG, variables, as_user=team.admin)
    assert allowed["data"]["flagOpportunity"] == {
        "opportunity": {"id": deal.id, "name": deal.name, "owner": {"name": "East Rep1"}},
        "errors": [],
    }
    assert CALLS == ["flagOpportunity"]


@pytest.mark.parametrize(
    ("id_", "reason", "code", "field"),
    [
        ("abc", "stuck", "INVALID_ID", "id"),  # InvalidIdError, raised by resolvers.ids
        ("006000000000999AAA", "stuck", "NOT_FOUND", "id"),
        ("006000000000999AAA", "  ", "REASON_REQUIRED", "reason"),
    ],
)
async def test_input_errors_are_payload_errors_naming_their_field(
    store_engine: Engine, client: GraphQLClient, id_: str, reason: str, code: str, field: str
) -> None:
    team = f.team(store_engine)
    status, body = await _json(client, FLAG, {"id": id_, "reason": reason}, as_user=team.admin)
    assert status == 200
    assert "errors" not in body
    payload = body["data"]["flagOpportunity"]
    assert payload["opportunity"] is None
    [error] = payload["errors"]
    assert (error["code"], error["field"]) == (code, field)
    assert error["message"].startswith(f"{field}:")


@pytest.mark.parametrize(
    "formula", ["Amount >\n  > 5", "ISPICKVAL(StageName, 'Won') && Amount > Nope__c", "ISCHANGED("]
)
async def test_a_formula_error_carries_its_line_and_column(
    store_engine: Engine, client: GraphQLClient, formula: str
) -> None:
    team = f.team(store_engine)
    with pytest.raises(FormulaError) as raised:
        compile_formula(formula, CATALOG)
    real = raised.value
    assert real.line >= 1
    assert real.column >= 1
    _, body = await _json(client, CHECK, {"formula": formula}, as_user=team.reps[0])
    assert body["data"]["checkFormula"] == {"check": None, "errors": [{
        "code": "INVALID_FORMULA", "field": "formula", "message": real.message,
        "line": real.line, "column": real.column,
    }]}  # fmt: skip
    _, valid = await _json(client, CHECK, {"formula": "Amount > 5"}, as_user=team.reps[0])
    assert valid["data"]["checkFormula"] == {
        "check": {"resultType": "checkbox", "references": ["Amount"]},
        "errors": [],
    }


async def test_a_refused_query_field_is_a_top_level_forbidden(
    store_engine: Engine, client: GraphQLClient
) -> None:
    team = f.team(store_engine)
    query = "{ me { accessLevel } adminNote }"
    status, body = await _json(client, query, as_user=team.reps[0], accept=GRAPHQL_RESPONSE)
    assert status == 200
    assert body["data"] == {"me": {"accessLevel": "REP"}, "adminNote": None}
    [error] = body["errors"]
    assert error["path"] == ["adminNote"]
    assert error["extensions"] == {"code": "FORBIDDEN"}
    assert "administrator" in error["message"]
    assert CALLS == []
    _, allowed = await _json(client, query, as_user=team.admin)
    assert allowed["data"] == {"me": {"accessLevel": "ADMIN"}, "adminNote": "for admins"}


async def test_a_missing_scope_is_insufficient_scope_with_the_scope(
    store_engine: Engine, client: GraphQLClient
) -> None:
    team = f.team(store_engine)
    _, on_query = await _json(client, "{ ruleCount }", as_user=team.admin)
    [error] = on_query["errors"]
    assert error["extensions"] == {"code": "INSUFFICIENT_SCOPE", "scope": "rules:write"}
    _, on_mutation = await _json(client, WRITE, as_user=team.admin)
    assert on_mutation["data"] == {"writeRule": {"ruleId": None, "errors": [
        {"code": "INSUFFICIENT_SCOPE", "field": None, "message": "this needs the rules:write scope"}
    ]}}  # fmt: skip
    assert CALLS == []


@pytest.mark.parametrize("who", ["no token", "inactive user"])
async def test_authentication_failures_stay_top_level_on_mutations(
    store_engine: Engine, client: GraphQLClient, who: str
) -> None:
    f.team(store_engine)
    gone = f.user(store_engine, "Gone Admin", profile="System Administrator", active=False)
    token = "" if who == "no token" else issue_dev_token(client.settings, f.ORG_A, gone.id)
    variables = {"id": "006000000000999AAA", "reason": "x"}
    response = await client.post(FLAG, variables, token=token, accept=GRAPHQL_RESPONSE)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    body = response.json()
    # No token: refused before execution, no `data` at all; an inactive user is found out
    # when the mutation resolves its principal, so execution had started (`data` null).
    assert body.get("data", "none") == ("none" if who == "no token" else None)
    assert [e["extensions"]["code"] for e in body["errors"]] == ["UNAUTHENTICATED"]
    assert CALLS == []


async def test_a_bug_in_a_mutation_is_a_masked_top_level_error(
    store_engine: Engine, client: GraphQLClient
) -> None:
    team = f.team(store_engine)
    response = await client.post("mutation { broken { errors { code } } }", as_user=team.admin)
    [error] = response.json()["errors"]
    assert error["message"] == "Unexpected error."
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert "secret detail" not in response.text
