"""createAlertRule, updateAlertRule and retireAlertRule over the real app: admins only
(FORBIDDEN in the payload otherwise, nothing changes), typed errors for every bad input
(nothing saved), versions under a stable id, other orgs' rules NOT_FOUND."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import Engine

from store import alert_rules
from tests import factories as f
from tests.api.alert_api import (
    CREATE,
    RETIRE,
    UPDATE,
    org_with_describe,
    rule_input,
    stored_rules,
)
from tests.api.payloads import payload_of
from tests.graphql_client import GraphQLClient, graphql_client

pytestmark = [pytest.mark.anyio, pytest.mark.sqlite_only]


@pytest.fixture
async def client(store_engine: Engine) -> AsyncIterator[GraphQLClient]:
    async with graphql_client(store_engine) as client:
        yield client


async def test_an_admin_creates_a_rule_at_version_1(
    store_engine: Engine, client: GraphQLClient
) -> None:
    team = org_with_describe(store_engine)
    variables = {"input": rule_input(recommendation="Ask the buyer", holdSeconds=3600)}
    payload = await payload_of(client, CREATE, variables, team.admin)
    assert payload["errors"] == []
    rule = payload["alertRule"]
    assert rule["id"].startswith("rule_")
    assert {k: v for k, v in rule.items() if k != "id"} == {
        "name": "Close date in the past", "kind": "FIX_REQUIRED", "severity": "HIGH",
        "condition": "CloseDate < TODAY()", "message": "Close date {!CloseDate} has passed",
        "recommendation": "Ask the buyer", "fixFields": [{"name": "CloseDate"}],
        "holdSeconds": 3600, "active": True, "origin": "MANUAL", "version": 1,
        "retiredAt": None, "author": {"name": "Ada Admin"},
    }  # fmt: skip
    [stored] = stored_rules(store_engine)
    assert (stored.id, stored.author_id) == (rule["id"], team.admin.id)


@pytest.mark.parametrize("who", ["rep", "manager", "vp"])
async def test_only_admins_create_rules(
    store_engine: Engine, client: GraphQLClient, who: str
) -> None:
    team = org_with_describe(store_engine)
    user = {"rep": team.reps[0], "manager": team.managers[0], "vp": team.vp}[who]
    payload = await payload_of(client, CREATE, {"input": rule_input()}, user)
    assert payload["alertRule"] is None
    [error] = payload["errors"]
    assert (error["code"], error["field"]) == ("FORBIDDEN", None)
    assert stored_rules(store_engine) == []


@pytest.mark.parametrize(
    ("values", "code", "field", "position"),
    [
        ({"condition": "CloseDate <\n  < TODAY()"}, "INVALID_FORMULA", "input.condition", (2, 3)),
        ({"condition": "Nope__c > 5"}, "INVALID_FORMULA", "input.condition", (1, 1)),
        ({"condition": "Amount + 5"}, "NOT_CHECKBOX", "input.condition", (1, 1)),
        ({"condition": "ISCHANGED(Amount)"}, "INVALID_FORMULA", "input.condition", None),
        ({"condition": "  "}, "REQUIRED", "input.condition", None),
        ({"message": "Close {!CloseDate + 'x'} now"}, "INVALID_TEMPLATE", "input.message", None),
        ({"message": "Close {!CloseDate"}, "INVALID_TEMPLATE", "input.message", (1, 7)),
        ({"fixFields": ["Nope__c"]}, "UNKNOWN_FIELD", "input.fixFields", None),
        ({"fixFields": ["CreatedDate"]}, "READ_ONLY_FIELD", "input.fixFields", None),
        ({"fixFields": ["Amount", "Amount"]}, "DUPLICATE_FIELD", "input.fixFields", None),
        ({"fixFields": []}, "FIX_FIELDS_REQUIRED", "input.fixFields", None),
        ({"holdSeconds": -1}, "INVALID_HOLD_TIME", "input.holdSeconds", None),
        ({"name": " "}, "REQUIRED", "input.name", None),
        ({"name": "x" * 256}, "TOO_LONG", "input.name", None),
    ],
)
async def test_bad_input_is_a_typed_error_and_saves_nothing(
    store_engine: Engine,
    client: GraphQLClient,
    values: dict[str, Any],
    code: str,
    field: str,
    position: tuple[int, int] | None,
) -> None:
    team = org_with_describe(store_engine)
    payload = await payload_of(client, CREATE, {"input": rule_input(**values)}, team.admin)
    assert payload["alertRule"] is None
    [error] = payload["errors"]
    assert (error["__typename"], error["code"], error["field"]) == ("AlertRuleError", code, field)
    assert error["message"]
    if position is not None:
        assert (error["line"], error["column"]) == position
    assert stored_rules(store_engine) == []


@pytest.mark.parametrize(
    ("fix_fields", "expected"),
    [
        # 10,000 names were 10,000 errors (one per repeat) after the TOO_LONG.
        (["Amount"] * 10_000, [("TOO_LONG", "more than 50 fix fields")]),
        (
            ["Amount", "amount", "Amount", "CloseDate", "CloseDate"],
            [
                ("DUPLICATE_FIELD", "amount is named more than once"),
                ("DUPLICATE_FIELD", "CloseDate is named more than once"),
            ],
        ),
    ],
)
async def test_a_long_or_repetitive_fix_field_list_gets_one_error_per_problem(
    store_engine: Engine,
    client: GraphQLClient,
    fix_fields: list[str],
    expected: list[tuple[str, str]],
) -> None:
    team = org_with_describe(store_engine)
    variables = {"input": rule_input(fixFields=fix_fields)}
    payload = await payload_of(client, CREATE, variables, team.admin)
    assert [(e["code"], e["message"]) for e in payload["errors"]] == expected
    assert stored_rules(store_engine) == []


async def test_every_problem_is_reported_at_once(
    store_engine: Engine, client: GraphQLClient
) -> None:
    team = org_with_describe(store_engine)
    bad = rule_input(name="", condition="Amount", fixFields=["Nope__c"], holdSeconds=-5)
    payload = await payload_of(client, CREATE, {"input": bad}, team.admin)
    codes = [(e["field"], e["code"]) for e in payload["errors"]]
    assert codes == [
        ("input.name", "REQUIRED"),
        ("input.condition", "NOT_CHECKBOX"),
        ("input.fixFields", "UNKNOWN_FIELD"),
        ("input.holdSeconds", "INVALID_HOLD_TIME"),
    ]


async def _created(client: GraphQLClient, team: f.Team, **values: Any) -> dict[str, Any]:
    payload = await payload_of(client, CREATE, {"input": rule_input(**values)}, team.admin)
    assert payload["errors"] == []
    rule: dict[str, Any] = payload["alertRule"]
    return rule


async def test_an_edit_is_a_new_version_under_the_same_id(
    store_engine: Engine, client: GraphQLClient
) -> None:
    team = org_with_describe(store_engine)
    rule = await _created(client, team)
    variables = {"id": rule["id"], "input": {"severity": "CRITICAL", "recommendation": "Call"}}
    payload = await payload_of(client, UPDATE, variables, team.admin)
    assert payload["errors"] == []
    edited = payload["alertRule"]
    assert (edited["id"], edited["version"]) == (rule["id"], 2)
    assert (edited["severity"], edited["recommendation"]) == ("CRITICAL", "Call")
    assert edited["condition"] == rule["condition"]  # what was left out is kept
    cleared = await payload_of(
        client, UPDATE, {"id": rule["id"], "input": {"recommendation": None}}, team.admin
    )
    assert (cleared["alertRule"]["recommendation"], cleared["alertRule"]["version"]) == (None, 3)
    versions = alert_rules.rule_versions(store_engine, f.ORG_A, rule["id"])
    assert [(v.version, v.severity) for v in versions] == [
        (1, "HIGH"), (2, "CRITICAL"), (3, "CRITICAL")
    ]  # fmt: skip


async def test_an_edit_that_changes_nothing_adds_no_version(
    store_engine: Engine, client: GraphQLClient
) -> None:
    team = org_with_describe(store_engine)
    rule = await _created(client, team)
    same = {"id": rule["id"], "input": {"severity": "HIGH", "fixFields": ["CloseDate"]}}
    payload = await payload_of(client, UPDATE, same, team.admin)
    assert (payload["errors"], payload["alertRule"]["version"]) == ([], 1)
    paused = await payload_of(
        client, UPDATE, {"id": rule["id"], "input": {"active": False}}, team.admin
    )
    assert (paused["alertRule"]["active"], paused["alertRule"]["version"]) == (False, 1)


async def test_a_bad_edit_changes_nothing(store_engine: Engine, client: GraphQLClient) -> None:
    team = org_with_describe(store_engine)
    rule = await _created(client, team)
    bad = {"id": rule["id"], "input": {"condition": "Amount >", "name": "Renamed"}}
    payload = await payload_of(client, UPDATE, bad, team.admin)
    assert payload["alertRule"] is None
    assert [e["code"] for e in payload["errors"]] == ["INVALID_FORMULA"]
    [stored] = stored_rules(store_engine)
    assert (stored.name, stored.version) == ("Close date in the past", 1)


async def test_retiring_keeps_the_rule_and_forbids_edits(
    store_engine: Engine, client: GraphQLClient
) -> None:
    team = org_with_describe(store_engine)
    rule = await _created(client, team)
    retired = await payload_of(client, RETIRE, {"id": rule["id"]}, team.admin)
    assert retired["errors"] == []
    assert retired["alertRule"]["active"] is False
    assert retired["alertRule"]["retiredAt"] is not None
    for query, variables in [
        (RETIRE, {"id": rule["id"]}),
        (UPDATE, {"id": rule["id"], "input": {"name": "Again"}}),
    ]:
        payload = await payload_of(client, query, variables, team.admin)
        assert payload["alertRule"] is None
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [("RETIRED", "id")]
    [stored] = stored_rules(store_engine)
    assert (stored.name, stored.active) == ("Close date in the past", False)


async def test_a_retirement_that_loses_a_race_is_refused(
    store_engine: Engine, client: GraphQLClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two admins retire the rule at once: the one whose write comes second is told RETIRED,
    not answered as if it had retired the rule (the first one's time and author stay)."""
    team = org_with_describe(store_engine)
    rule = await _created(client, team)
    real = alert_rules.retire_rule

    def after_another_admin(*args: Any) -> Any:
        engine, org_id, rule_id, _author, now = args
        assert real(engine, org_id, rule_id, "005000000000077AAA", now) is not None
        return real(*args)

    monkeypatch.setattr(alert_rules, "retire_rule", after_another_admin)
    payload = await payload_of(client, RETIRE, {"id": rule["id"]}, team.admin)
    assert payload["alertRule"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("RETIRED", "id")]
    [stored] = stored_rules(store_engine)
    assert (stored.active, stored.author_id) == (False, "005000000000077AAA")


@pytest.mark.parametrize("query", [UPDATE, RETIRE])
async def test_ids_of_other_orgs_and_malformed_ids(
    store_engine: Engine, client: GraphQLClient, query: str
) -> None:
    team = org_with_describe(store_engine)
    other_team = org_with_describe(store_engine, f.ORG_B)
    theirs = await _created(client, other_team)
    for rule_id, code in [
        (theirs["id"], "NOT_FOUND"),
        ("rule_" + "x" * 20, "NOT_FOUND"),
        ("006000000000999AAA", "INVALID_ID"),
        ("ms_" + "x" * 20, "INVALID_ID"),
    ]:
        variables: dict[str, Any] = {"id": rule_id}
        if query == UPDATE:
            variables["input"] = {"name": "Mine now"}
        payload = await payload_of(client, query, variables, team.admin)
        assert payload["alertRule"] is None
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [(code, "id")]
    [stored] = stored_rules(store_engine, f.ORG_B)
    assert (stored.name, stored.active, stored.version) == ("Close date in the past", True, 1)


async def test_a_rep_may_not_edit_or_retire(store_engine: Engine, client: GraphQLClient) -> None:
    team = org_with_describe(store_engine)
    rule = await _created(client, team)
    for query, variables in [
        (RETIRE, {"id": rule["id"]}),
        (UPDATE, {"id": rule["id"], "input": {"name": "Mine"}}),
    ]:
        payload = await payload_of(client, query, variables, team.reps[0])
        assert [e["code"] for e in payload["errors"]] == ["FORBIDDEN"]
    [stored] = stored_rules(store_engine)
    assert (stored.name, stored.active, stored.version) == ("Close date in the past", True, 1)
