"""Admins define, edit, reorder and retire milestones over HTTP; bad input gets typed errors
and changes nothing; reps and managers are refused (FORBIDDEN in the answer); another org's
milestones are NOT_FOUND."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine

from rules.catalog import rule_catalog
from rules.formula import FormulaError, compile_formula
from services.evaluation import EvaluationReport
from store import milestones
from tests import factories as f
from tests.api.milestone_requests import (
    CREATE,
    LIST,
    REORDER,
    RETIRE,
    UPDATE,
    process_rows,
)
from tests.api.payloads import payload_of
from tests.graphql_client import graphql_client
from tests.services.evaluation_rows import DESCRIBE_FIELDS, describe, milestone

pytestmark = [pytest.mark.anyio, pytest.mark.sqlite_only]


async def test_an_admin_defines_edits_reorders_and_retires_milestones(
    store_engine: Engine,
) -> None:
    team = f.team(store_engine)
    describe(store_engine)
    admin = team.admin
    async with graphql_client(store_engine) as client:
        made = []
        for values in (
            {"name": "Discovery call held", "stageName": "Prospecting"},
            {"name": "Decision maker identified", "completion": "FORMULA", "weight": 2,
             "formula": "NOT(ISBLANK(Decision_Maker__c))"},
            {"name": "Proposal sent", "stageName": "Proposal", "description": "PDF is fine"},
        ):  # fmt: skip
            answer = await payload_of(client, CREATE, {"input": values}, admin)
            assert answer["errors"] == []
            made.append(answer["milestone"])
        assert [(m["name"], m["position"], m["active"]) for m in made] == [
            ("Discovery call held", 0, True),
            ("Decision maker identified", 1, True),
            ("Proposal sent", 2, True),
        ]
        assert made[1]["completion"] == "FORMULA"
        assert made[1]["weight"] == 2.0
        assert made[0]["stageName"] == "Prospecting"
        assert made[1]["stageName"] is None  # GLOBAL
        assert made[2]["description"] == "PDF is fine"
        first, formula, proposal = (m["id"] for m in made)

        edit = {"name": "Discovery call done", "weight": 3, "stageName": None}
        updated = await payload_of(client, UPDATE, {"id": first, "input": edit}, admin)
        assert updated["errors"] == []
        assert updated["milestone"] == {
            **made[0], "name": "Discovery call done", "weight": 3.0, "stageName": None
        }  # fmt: skip
        # Fields left out keep their values; a null optional field is cleared.
        cleared = await payload_of(
            client, UPDATE, {"id": proposal, "input": {"description": None}}, admin
        )
        assert cleared["milestone"]["description"] is None
        assert cleared["milestone"]["stageName"] == "Proposal"

        # Turned manual, a formula milestone drops its formula (unless given one).
        manual = await payload_of(
            client, UPDATE, {"id": formula, "input": {"completion": "MANUAL"}}, admin
        )
        assert (manual["milestone"]["completion"], manual["milestone"]["formula"]) == (
            "MANUAL", None
        )  # fmt: skip

        order = [proposal, first, formula]
        reordered = await payload_of(client, REORDER, {"ids": order}, admin)
        assert reordered == {
            "milestones": [{"id": i, "position": n} for n, i in enumerate(order)],
            "errors": [],
        }
        retired = await payload_of(client, RETIRE, {"id": first}, admin)
        assert retired["errors"] == []
        assert retired["milestone"]["active"] is False
        assert retired["milestone"]["retiredAt"] is not None

        rep = team.reps[0]  # anyone signed in reads them
        listed = await client.data(LIST, as_user=rep)
        assert [m["id"] for m in listed["milestones"]] == [proposal, formula]
        everything = await client.data(LIST, {"retired": True}, as_user=rep)
        assert [m["id"] for m in everything["milestones"]] == [proposal, first, formula]


async def test_a_retirement_that_loses_a_race_is_refused(
    store_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two admins retire the milestone at once: the second write is told RETIRED (as the
    alert rules answer), not handed back an empty payload with no error."""
    team = f.team(store_engine)
    describe(store_engine)
    target = milestone(store_engine, "Proposal sent")
    real = milestones.retire_milestone
    first_at = f.NOW - timedelta(hours=1)

    def after_another_admin(engine: Engine, org_id: str, milestone_id: str, now: Any) -> Any:
        assert real(engine, org_id, milestone_id, first_at) is not None
        return real(engine, org_id, milestone_id, now)

    monkeypatch.setattr(milestones, "retire_milestone", after_another_admin)
    async with graphql_client(store_engine) as client:
        answer = await payload_of(client, RETIRE, {"id": target.id}, team.admin)
    assert answer["milestone"] is None
    assert [(e["field"], e["code"]) for e in answer["errors"]] == [("id", "RETIRED")]
    stored = milestones.milestones_by_ids(store_engine, f.ORG_A, [target.id])[target.id]
    assert stored.retired_at == first_at


def _formula_error(formula: str) -> FormulaError:
    catalog = rule_catalog({"fields": DESCRIBE_FIELDS})
    with pytest.raises(FormulaError) as raised:
        compile_formula(formula, catalog)
    return raised.value


BAD_DEFINITIONS: list[tuple[dict[str, Any], str, str]] = [
    ({"weight": 0}, "input.weight", "INVALID_WEIGHT"),
    ({"weight": -2}, "input.weight", "INVALID_WEIGHT"),
    ({"weight": 1e9}, "input.weight", "INVALID_WEIGHT"),
    ({"stageName": "Closing Soon"}, "input.stageName", "UNKNOWN_STAGE"),
    # A closed deal keeps the health it closed with: a closed stage's milestone never counts.
    ({"stageName": "Closed Won"}, "input.stageName", "UNKNOWN_STAGE"),
    ({"name": "   "}, "input.name", "REQUIRED"),
    ({"name": "x" * 256}, "input.name", "TOO_LONG"),
    ({"completion": "FORMULA"}, "input.formula", "FORMULA_REQUIRED"),
    ({"completion": "FORMULA", "formula": "Amount"}, "input.formula", "NOT_CHECKBOX"),
    ({"formula": "Amount > 5"}, "input.formula", "FORMULA_NOT_ALLOWED"),
]


@pytest.mark.parametrize(("values", "field", "code"), BAD_DEFINITIONS)
async def test_a_bad_definition_gets_a_typed_error_and_saves_nothing(
    store_engine: Engine, values: dict[str, Any], field: str, code: str
) -> None:
    team = f.team(store_engine)
    describe(store_engine)
    existing = milestone(store_engine, "Budget confirmed")
    before = process_rows(store_engine)
    async with graphql_client(store_engine) as client:
        created = await payload_of(
            client, CREATE, {"input": {"name": "Proposal sent", **values}}, team.admin
        )
        updated = await payload_of(client, UPDATE, {"id": existing.id, "input": values}, team.admin)
    for answer in (created, updated):
        assert answer["milestone"] is None
        assert [(e["__typename"], e["field"], e["code"]) for e in answer["errors"]] == [
            ("MilestoneError", field, code)
        ]
    assert process_rows(store_engine) == before


@pytest.mark.parametrize(
    "formula", ["Amount >\n  > 5", "NOT(ISBLANK(Nope__c))", "ISCHANGED(Amount)"]
)
async def test_a_bad_formula_gets_its_line_and_column(store_engine: Engine, formula: str) -> None:
    team = f.team(store_engine)
    describe(store_engine)
    expected = _formula_error(formula)
    values = {"name": "Budget confirmed", "completion": "FORMULA", "formula": formula}
    async with graphql_client(store_engine) as client:
        answer = await payload_of(client, CREATE, {"input": values}, team.admin)
    assert answer == {"milestone": None, "errors": [{
        "__typename": "MilestoneError", "field": "input.formula", "message": expected.message,
        "code": "INVALID_FORMULA", "line": expected.line, "column": expected.column,
    }]}  # fmt: skip
    assert process_rows(store_engine) == []


async def test_reps_and_managers_may_not_define_milestones(store_engine: Engine) -> None:
    team = f.team(store_engine)
    describe(store_engine)
    existing = milestone(store_engine, "Budget confirmed")
    before = process_rows(store_engine)
    requests: list[tuple[str, dict[str, Any]]] = [
        (CREATE, {"input": {"name": "Proposal sent"}}),
        (UPDATE, {"id": existing.id, "input": {"name": "Renamed"}}),
        (RETIRE, {"id": existing.id}),
        (REORDER, {"ids": [existing.id]}),
    ]
    async with graphql_client(store_engine) as client:
        for who in (team.reps[0], team.managers[0], team.vp):
            for query, variables in requests:
                answer = await payload_of(client, query, variables, who)
                [error] = answer.pop("errors")
                assert error["code"] == "FORBIDDEN"
                assert error["field"] is None
                assert set(answer.values()) == {None}
    assert process_rows(store_engine) == before


async def test_ids_of_another_org_or_of_nothing_are_not_found(store_engine: Engine) -> None:
    team = f.team(store_engine)
    f.team(store_engine, f.ORG_B)
    describe(store_engine)
    theirs = milestone(store_engine, "Theirs", org_id=f.ORG_B)
    retired = milestone(store_engine, "Old")
    async with graphql_client(store_engine) as client:
        await payload_of(client, RETIRE, {"id": retired.id}, team.admin)
        before = process_rows(store_engine)
        cases = [
            (theirs.id, "NOT_FOUND"),
            ("ms_" + "x" * 20, "NOT_FOUND"),
            ("006000000000001AAA", "INVALID_ID"),
            ("ms_short", "INVALID_ID"),
            (retired.id, "RETIRED"),
        ]
        for milestone_id, code in cases:
            for query, variables in (
                (UPDATE, {"id": milestone_id, "input": {"name": "Mine now"}}),
                (RETIRE, {"id": milestone_id}),
            ):
                answer = await payload_of(client, query, variables, team.admin)
                codes = [(e["field"], e["code"]) for e in answer["errors"]]
                assert codes == [("id", code)], (milestone_id, query)
                assert answer["milestone"] is None
    assert process_rows(store_engine) == before


@pytest.mark.parametrize(
    ("order", "code"),
    [
        (lambda a, b, theirs: [a], "INVALID_ORDER"),  # b is left out
        (lambda a, b, theirs: [a, b, a], "INVALID_ORDER"),
        (lambda a, b, theirs: [b, a, theirs], "NOT_FOUND"),
        (lambda a, b, theirs: [b, "nope"], "INVALID_ID"),
    ],
)
async def test_a_reorder_must_name_every_milestone_once(
    store_engine: Engine, order: Any, code: str
) -> None:
    team = f.team(store_engine)
    f.team(store_engine, f.ORG_B)
    a, b = milestone(store_engine, "A"), milestone(store_engine, "B")
    theirs = milestone(store_engine, "Theirs", org_id=f.ORG_B)
    before = process_rows(store_engine)
    async with graphql_client(store_engine) as client:
        ids = order(a.id, b.id, theirs.id)
        answer = await payload_of(client, REORDER, {"ids": ids}, team.admin)
    assert answer["milestones"] is None
    assert [(e["field"], e["code"]) for e in answer["errors"]] == [("ids", code)]
    assert process_rows(store_engine) == before


@pytest.mark.parametrize(
    ("ids", "code", "message"),
    [
        # 20,000 unknown ids were each named in the message (a 500 KB answer) and each bound
        # as a SQL parameter of the lookup.
        ([f"ms_{i:020d}" for i in range(1_001)], "TOO_LONG", "ids: at most 1000 ids"),
        (
            [f"ms_{i % 7:020d}" for i in range(700)],
            "NOT_FOUND",
            "ids: no such milestone: ms_00000000000000000000, ms_00000000000000000001, "
            "ms_00000000000000000002, ms_00000000000000000003, ms_00000000000000000004 "
            "and 2 more",
        ),
    ],
)
async def test_a_huge_reorder_is_refused_briefly(
    store_engine: Engine, ids: list[str], code: str, message: str
) -> None:
    team = f.team(store_engine)
    milestone(store_engine, "A")
    before = process_rows(store_engine)
    async with graphql_client(store_engine) as client:
        answer = await payload_of(client, REORDER, {"ids": ids}, team.admin)
    assert answer["milestones"] is None
    assert [(e["field"], e["code"], e["message"]) for e in answer["errors"]] == [
        ("ids", code, message)
    ]
    assert process_rows(store_engine) == before


async def test_a_write_stands_when_the_evaluation_after_it_fails(
    store_engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    """RequestContext.evaluate_after_write: the milestone is saved and answered, the failed
    pass is logged, and nothing reaches the client."""
    team = f.team(store_engine)
    describe(store_engine)

    def failing(org_id: str, **_: object) -> EvaluationReport:
        raise RuntimeError("the pass broke")

    values = {"name": "Discovery call held", "stageName": "Prospecting"}
    async with graphql_client(store_engine, evaluate=failing) as client:
        answer = await payload_of(client, CREATE, {"input": values}, team.admin)
    assert answer["errors"] == []
    assert answer["milestone"]["name"] == "Discovery call held"
    assert [m.name for m in milestones.list_milestones(store_engine, f.ORG_A)] == [values["name"]]
    assert any("evaluation after a milestone write" in r.getMessage() for r in caplog.records)
