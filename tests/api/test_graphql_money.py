"""Money over GraphQL: `Decimal` fields are exact strings at their column's scale, the amount
filter takes Decimal strings exactly, and input that is no decimal, or none in range, is the
client's error (never a 500)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from tests import factories as f
from tests.graphql_client import GRAPHQL_RESPONSE, JSON, graphql_client
from tests.store_backends import backend_engine

pytestmark = [pytest.mark.anyio, pytest.mark.sqlite_only]

LARGEST = Decimal("9999999999999999.99")
NEIGHBOURS = (Decimal("1234567890123456.78"), Decimal("1234567890123456.79"))  # one double
MONEY = """query($id: ID!) { opportunity(id: $id) {
  amount amountChangeSinceCreation account { annualRevenue } history { amount }
  field(name: "Amount") { value displayValue }
} }"""
FILTERED = """query($filter: OpportunityFilterInput) {
  opportunities(filter: $filter, orderBy: {field: AMOUNT, direction: ASC}) {
    totalCount edges { node { amount } }
  }
}"""


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    """For input errors, which GraphQL refuses before any query: one database is enough."""
    with backend_engine("sqlite", tmp_path) as engine:
        yield engine


async def test_money_fields_are_exact_strings_at_their_scale(store_engine: Engine) -> None:
    rep = f.team(store_engine).reps[0]
    account = f.account(store_engine, annual_revenue=Decimal("999999999999999999"))
    opp = f.opportunity(store_engine, rep, account=account, amount=LARGEST)
    f.history(store_engine, opp, "Prospecting", f.NOW - timedelta(days=9), amount=58500)
    f.history(store_engine, opp, "Proposal", f.NOW - timedelta(days=2), amount=Decimal("0.30"))
    f.facts(store_engine, opp, amount_change_since_creation=LARGEST - 58500)
    f.catalog(store_engine, f.ORG_A, [{"name": "Amount", "label": "Amount", "type": "currency"}])
    async with graphql_client(store_engine) as client:
        response = await client.post(MONEY, {"id": opp.id}, as_user=rep)
    # Strings in the JSON text itself, so no client's JSON reader makes floats of them.
    assert '"amount":"9999999999999999.99"' in response.text
    got = response.json()["data"]["opportunity"]
    assert got["amount"] == "9999999999999999.99"
    assert got["amountChangeSinceCreation"] == "9999999999941499.99"
    assert got["account"] == {"annualRevenue": "999999999999999999"}  # AnnualRevenue: scale 0
    assert got["history"] == [{"amount": "58500.00"}, {"amount": "0.30"}]
    # field() shows the mirrored JSON, whose numbers are JSON numbers (as the REST API sent).
    assert got["field"] == {"value": float(LARGEST), "displayValue": "10,000,000,000,000,000.00"}


async def test_the_amount_filter_takes_decimal_strings_exactly(store_engine: Engine) -> None:
    rep = f.team(store_engine).reps[0]
    low, high = NEIGHBOURS
    for amount in (low, high, Decimal("100.00"), Decimal("100.01"), Decimal("0.30")):
        f.opportunity(store_engine, rep, amount=amount)

    async def amounts(where: dict[str, Any]) -> list[str]:
        data = await client.data(FILTERED, {"filter": where}, as_user=rep)
        nodes = [edge["node"]["amount"] for edge in data["opportunities"]["edges"]]
        assert data["opportunities"]["totalCount"] == len(nodes)
        return nodes

    async with graphql_client(store_engine) as client:
        assert await amounts({"amountMin": str(high)}) == [str(high)]
        assert await amounts({"amountMin": str(low), "amountMax": str(low)}) == [str(low)]
        # Bounds between two cents round inward: no amount lies between 100.00 and 100.01.
        assert await amounts({"amountMin": "100.005"}) == ["100.01", str(low), str(high)]
        assert await amounts({"amountMax": "100.005"}) == ["0.30", "100.00"]
        assert await amounts({"amountMin": "100.005", "amountMax": "100.009"}) == []
        # Exponent notation and JSON numbers are decimals too.
        assert await amounts({"amountMin": "1.0001e2", "amountMax": "3e-1"}) == []
        assert await amounts({"amountMin": "3E-1", "amountMax": 100}) == ["0.30", "100.00"]
        assert await amounts({"amountMin": "-9999999999999999.99", "amountMax": "0.3"}) == ["0.30"]


# A variable the Decimal scalar refuses: refused with the request (400 for graphql-response).
NOT_DECIMALS = [
    "abc", "NaN", "nan", "Infinity", "-Infinity", "", " 5", "5 ", "1_000", "١٢٣", "0x10",
    "1e", "1" * 101, True, [], {"amount": "5"},
]  # fmt: skip
# Decimals out of the amount column's range: the field's error, with the request's answer.
OUT_OF_RANGE = ["1e999999", "-1e16", "10000000000000000", "9" * 100, "1e-999999999999"]


@pytest.mark.parametrize("accept", [JSON, GRAPHQL_RESPONSE])
@pytest.mark.parametrize("value", NOT_DECIMALS, ids=repr)
async def test_a_value_that_is_no_decimal_is_refused_before_execution(
    sqlite_engine: Engine, caplog: pytest.LogCaptureFixture, value: object, accept: str
) -> None:
    rep = f.team(sqlite_engine).reps[0]
    caplog.set_level(logging.ERROR, logger="dealpulse.graphql")
    async with graphql_client(sqlite_engine) as client:
        response = await client.post(
            FILTERED, {"filter": {"amountMin": value}}, as_user=rep, accept=accept
        )
    assert response.status_code == (200 if accept == JSON else 400)
    [error] = response.json()["errors"]
    assert "Variable '$filter' has invalid value at .amountMin" in error["message"]
    assert "a decimal number written as a string" in error["message"]
    not_finite = isinstance(value, str) and value.lstrip("-").lower() in ("nan", "infinity")
    assert ("NaN and infinities are not decimals" in error["message"]) is not_finite
    assert "data" not in response.json() or response.json()["data"] is None
    assert "unexpected error" not in caplog.text


@pytest.mark.parametrize("literal", ['"abc"', '"NaN"', "1e999999", "-1e999999", "true"])
async def test_a_literal_that_is_no_decimal_is_a_validation_error(
    sqlite_engine: Engine, literal: str
) -> None:
    rep = f.team(sqlite_engine).reps[0]
    query = f"{{ opportunities(filter: {{amountMax: {literal}}}) {{ totalCount }} }}"
    async with graphql_client(sqlite_engine) as client:
        response = await client.post(query, as_user=rep, accept=GRAPHQL_RESPONSE)
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["message"].startswith("Decimal: expected a decimal number written as a string")


@pytest.mark.parametrize("value", OUT_OF_RANGE, ids=lambda v: v[:20])
@pytest.mark.parametrize("argument", ["amountMin", "amountMax"])
async def test_a_decimal_out_of_the_amount_range_is_a_bad_user_input(
    sqlite_engine: Engine, caplog: pytest.LogCaptureFixture, value: str, argument: str
) -> None:
    rep = f.team(sqlite_engine).reps[0]
    caplog.set_level(logging.ERROR, logger="dealpulse.graphql")
    if value == "1e-999999999999":  # tiny, not huge: in range, it rounds to a cent or 0
        async with graphql_client(sqlite_engine) as client:
            data = await client.data(FILTERED, {"filter": {argument: value}}, as_user=rep)
        assert data["opportunities"]["totalCount"] == 0
        return
    async with graphql_client(sqlite_engine) as client:
        response = await client.post(FILTERED, {"filter": {argument: value}}, as_user=rep)
    assert response.status_code == 200
    payload = response.json()
    [error] = payload["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": f"filter.{argument}"}
    assert error["message"] == (
        f"filter.{argument}: must be an amount from -{LARGEST} to {LARGEST}"
    )
    assert payload["data"] is None
    assert "unexpected error" not in caplog.text


async def test_a_non_finite_json_number_is_refused_like_its_text(sqlite_engine: Engine) -> None:
    # Python's JSON parser reads 1e400 as inf and accepts the bare constant NaN.
    rep = f.team(sqlite_engine).reps[0]
    async with graphql_client(sqlite_engine) as client:
        for raw in ("1e400", "NaN", "-Infinity"):
            variables = '{"filter": {"amountMin": ' + raw + "}}"
            body = f'{{"query": {json.dumps(FILTERED)}, "variables": {variables}}}'
            response = await client.http.post(
                "/graphql",
                content=body,
                headers=client.headers_for(
                    rep, content_type="application/json", accept=GRAPHQL_RESPONSE
                ),
            )
            assert response.status_code == 400, raw
            assert "NaN and infinities are not decimals" in response.json()["errors"][0]["message"]
