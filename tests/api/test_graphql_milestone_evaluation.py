"""A milestone write is evaluated at once, through the evaluation pass (services.evaluation):
a completion recomputes the deal's health, a new formula milestone completes on the deals
its formula holds for, a retired one no longer counts."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from store import milestones
from tests import factories as f
from tests import process_factories as pf
from tests.api.milestone_requests import (
    COMPLETE,
    CREATE,
    DEAL,
    RETIRE,
    UNCOMPLETE,
    UPDATE,
)
from tests.api.payloads import payload_of
from tests.graphql_client import graphql_client
from tests.services.evaluation_rows import describe, milestone

pytestmark = [pytest.mark.anyio, pytest.mark.sqlite_only]


async def test_a_completion_recomputes_the_deals_health(store_engine: Engine) -> None:
    team = f.team(store_engine)
    describe(store_engine)
    rep = team.reps[0]
    deal = f.opportunity(store_engine, rep, stage="Proposal")
    budget = milestone(store_engine, "Budget confirmed", weight=3)
    milestone(store_engine, "Proposal sent", stage="Proposal")
    pf.alert(store_engine, pf.rule(store_engine, f.ORG_A), deal)  # an open HIGH alert
    target = {"opportunityId": deal.id, "milestoneId": budget.id}
    async with graphql_client(store_engine) as client:
        done = await payload_of(client, COMPLETE, {"input": target}, rep)
        assert done["errors"] == []
        assert done["opportunity"]["health"] == {"score": 65}  # weight 3 of 4, less 10
        shown = await client.data(DEAL, {"id": deal.id}, as_user=rep)
        assert shown["opportunity"]["health"]["breakdown"] == [
            {"label": "Progress: 1 of 2 milestones (weight 3 of 4)", "points": 75},
            {"label": "HIGH alert: Close date in the past", "points": -10},
        ]
        assert (await payload_of(client, UNCOMPLETE, {"input": target}, rep))["errors"] == []
        shown = await client.data(DEAL, {"id": deal.id}, as_user=rep)
        assert shown["opportunity"]["health"]["score"] == 0


async def test_definitions_are_evaluated_over_every_open_deal(store_engine: Engine) -> None:
    team = f.team(store_engine)
    describe(store_engine)
    rep = team.reps[0]
    known = f.opportunity(store_engine, rep, fields={"Decision_Maker__c": "Ann Buyer"})
    unknown = f.opportunity(store_engine, rep, fields={"Decision_Maker__c": None})
    formula = "NOT(ISBLANK(Decision_Maker__c))"
    values = {"name": "Decision maker identified", "completion": "FORMULA", "formula": formula}
    async with graphql_client(store_engine) as client:
        created = await payload_of(client, CREATE, {"input": values}, team.admin)
        assert created["errors"] == []
        milestone_id = created["milestone"]["id"]
        shown = {
            deal.id: (await client.data(DEAL, {"id": deal.id}, as_user=rep))["opportunity"]
            for deal in (known, unknown)
        }
        assert [
            (m["completed"], m["how"], m["completedBy"]) for m in shown[known.id]["milestones"]
        ] == [(True, "FORMULA", None)]
        assert shown[known.id]["health"]["score"] == 100
        assert [m["completed"] for m in shown[unknown.id]["milestones"]] == [False]
        assert shown[unknown.id]["health"]["score"] == 0

        assert (await payload_of(client, RETIRE, {"id": milestone_id}, team.admin))["errors"] == []
        after = (await client.data(DEAL, {"id": unknown.id}, as_user=rep))["opportunity"]
        assert after["milestones"] == []
        assert after["health"]["score"] == 100  # nothing applies: nothing is missing


async def test_a_manual_milestone_turned_formula_is_the_formulas_alone(
    store_engine: Engine,
) -> None:
    """Hand completions made while it was MANUAL are closed by the switch (kept, with who
    closed them and when); the evaluation then completes it where the formula holds only."""
    team = f.team(store_engine)
    describe(store_engine)
    rep = team.reps[0]
    known = f.opportunity(store_engine, rep, fields={"Decision_Maker__c": "Ann Buyer"})
    unknown = f.opportunity(store_engine, rep, fields={"Decision_Maker__c": None})
    target = milestone(store_engine, "Decision maker identified")
    async with graphql_client(store_engine) as client:
        for deal in (known, unknown):
            ticked = {"input": {"opportunityId": deal.id, "milestoneId": target.id}}
            assert (await payload_of(client, COMPLETE, ticked, rep))["errors"] == []
        change = {"completion": "FORMULA", "formula": "NOT(ISBLANK(Decision_Maker__c))"}
        changed = await payload_of(client, UPDATE, {"id": target.id, "input": change}, team.admin)
        assert changed["errors"] == []
        shown = {
            deal.id: (await client.data(DEAL, {"id": deal.id}, as_user=rep))["opportunity"]
            for deal in (known, unknown)
        }
    assert [(m["completed"], m["how"]) for m in shown[known.id]["milestones"]] == [
        (True, "FORMULA")
    ]
    assert [m["completed"] for m in shown[unknown.id]["milestones"]] == [False]
    assert shown[unknown.id]["health"]["score"] == 0
    history = milestones.completion_history(store_engine, f.ORG_A, [known.id, unknown.id])
    closed = [c for deal in (known, unknown) for c in history[deal.id] if c.how == "MANUAL"]
    assert [(c.completed_by_id, c.uncompleted_by_id) for c in closed] == [
        (rep.id, team.admin.id),
        (rep.id, team.admin.id),
    ]
    assert all(c.uncompleted_at is not None for c in closed)
