"""previewAlertRule over the real app: how many of the open opportunities the caller can see a
condition fires on now, their amount, a sample with rendered messages; the same typed errors
as saving; nothing saved."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine

from tests import factories as f
from tests.api.alert_api import PREVIEW, org_with_describe, stored_rules
from tests.graphql_client import GraphQLClient, graphql_client

pytestmark = [pytest.mark.anyio, pytest.mark.sqlite_only]

PAST = "2020-01-15"
FUTURE = "2999-01-15"


@pytest.fixture
async def client(store_engine: Engine) -> AsyncIterator[GraphQLClient]:
    async with graphql_client(store_engine) as client:
        yield client


def _deal(
    engine: Engine, owner: f.SfUser, close: str, amount: str | None, name: str = "Deal", **kw: Any
) -> f.Opportunity:
    """An opportunity whose mirrored fields (what formulas read) hold its close date."""
    return f.opportunity(
        engine, owner, name=name, amount=None if amount is None else Decimal(amount),
        fields={"CloseDate": close, "Name": name}, **kw,
    )  # fmt: skip


async def _preview(
    client: GraphQLClient, user: f.SfUser, condition: str, message: str | None = None
) -> dict[str, Any]:
    variables = {"input": {"condition": condition, "message": message}}
    data = await client.data(PREVIEW, variables, as_user=user)
    preview: dict[str, Any] = data["previewAlertRule"]
    return preview


async def test_a_preview_counts_and_samples_what_the_caller_can_see(
    store_engine: Engine, client: GraphQLClient
) -> None:
    team = org_with_describe(store_engine)
    rep, teammate, west = team.reps[0], team.reps[1], team.reps[2]
    small = _deal(store_engine, rep, PAST, "100.10", name="Small")
    big = _deal(store_engine, teammate, PAST, "5000.00", name="Big")
    blank = _deal(store_engine, west, PAST, None, name="Blank")
    _deal(store_engine, rep, FUTURE, "70.00", name="Later")
    _deal(store_engine, west, PAST, "9.00", name="Won", stage="Closed Won")  # closed: not counted
    condition = "CloseDate < TODAY()"
    message = "{!Name}: closes {!CloseDate}"
    admin = await _preview(client, team.admin, condition, message)
    assert admin == {
        "matchCount": 3, "amount": "5100.10", "errors": [],
        "sample": [
            {"opportunity": {"id": big.id, "name": "Big"}, "message": f"Big: closes {PAST}"},
            {"opportunity": {"id": small.id, "name": "Small"}, "message": f"Small: closes {PAST}"},
            {"opportunity": {"id": blank.id, "name": "Blank"}, "message": f"Blank: closes {PAST}"},
        ],
    }  # fmt: skip
    manager = await _preview(client, team.managers[0], condition)
    assert (manager["matchCount"], manager["amount"]) == (2, "5100.10")
    assert [s["message"] for s in manager["sample"]] == [None, None]  # no message given
    mine = await _preview(client, rep, condition)
    assert (mine["matchCount"], mine["amount"]) == (1, "100.10")
    assert [s["opportunity"]["id"] for s in mine["sample"]] == [small.id]
    assert stored_rules(store_engine) == []


async def test_a_preview_samples_at_most_ten(store_engine: Engine, client: GraphQLClient) -> None:
    team = org_with_describe(store_engine)
    for i in range(12):
        _deal(store_engine, team.reps[0], PAST, f"{i}.00")
    preview = await _preview(client, team.admin, "Amount >= 0")
    assert preview["matchCount"] == 12
    assert preview["amount"] == "66.00"
    assert len(preview["sample"]) == 10


@pytest.mark.parametrize(
    ("condition", "message", "code", "field", "position"),
    [
        ("CloseDate <\n  < TODAY()", None, "INVALID_FORMULA", "input.condition", (2, 3)),
        ("Amount * 2", None, "NOT_CHECKBOX", "input.condition", (1, 1)),
        ("PRIORVALUE(Amount) > 5", None, "INVALID_FORMULA", "input.condition", None),
        ("Amount > 5", "Amount {!Amount +}", "INVALID_TEMPLATE", "input.message", None),
        ("Amount > 5", " ", "REQUIRED", "input.message", None),
    ],
)
async def test_bad_input_gets_the_errors_saving_gives(
    store_engine: Engine,
    client: GraphQLClient,
    condition: str,
    message: str | None,
    code: str,
    field: str,
    position: tuple[int, int] | None,
) -> None:
    team = org_with_describe(store_engine)
    _deal(store_engine, team.reps[0], PAST, "10.00")
    preview = await _preview(client, team.admin, condition, message)
    assert (preview["matchCount"], preview["amount"], preview["sample"]) == (None, None, [])
    [error] = preview["errors"]
    assert (error["code"], error["field"]) == (code, field)
    if position is not None:
        assert (error["line"], error["column"]) == position
    saving = await client.data(
        """mutation($input: CreateAlertRuleInput!) { createAlertRule(input: $input) {
          errors { field message ... on AlertRuleError { code line column } } } }""",
        {"input": {"name": "n", "kind": "INFORMATIVE", "severity": "LOW",
                   "condition": condition, "message": message or "m"}},
        as_user=team.admin,
    )  # fmt: skip
    assert saving["createAlertRule"]["errors"] == [
        {k: v for k, v in error.items() if k != "__typename"}
    ]
    assert stored_rules(store_engine) == []
