"""Opportunity.milestones and Opportunity.health over HTTP, and reps completing and
un-completing manual milestones on the deals they can see: who, when and the note are kept;
an opportunity they cannot see is NOT_FOUND, exactly as one that does not exist."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine

from store import milestones
from store.audit import audit_log
from tests import factories as f
from tests.api.milestone_requests import (
    COMPLETE,
    DEAL,
    RETIRE,
    UNCOMPLETE,
    health,
    process_rows,
)
from tests.api.payloads import payload_of
from tests.graphql_client import graphql_client
from tests.services.evaluation_rows import describe, milestone

pytestmark = [pytest.mark.anyio, pytest.mark.sqlite_only]


def _on_deal(data: dict[str, Any]) -> dict[str, tuple[bool, bool]]:
    """Milestone name -> (applicable, completed)."""
    return {
        m["milestone"]["name"]: (m["applicable"], m["completed"])
        for m in data["opportunity"]["milestones"]
    }


async def test_a_rep_completes_and_uncompletes_a_milestone_on_a_deal(
    store_engine: Engine,
) -> None:
    team = f.team(store_engine)
    describe(store_engine)
    rep = team.reps[0]
    deal = f.opportunity(store_engine, rep, stage="Proposal")
    milestone(store_engine, "Budget confirmed", weight=2)
    milestone(store_engine, "Discovery call held", stage="Prospecting")
    proposal = milestone(store_engine, "Proposal sent", stage="Proposal")
    milestone(store_engine, "Mutual close plan agreed", stage="Negotiation")
    milestone(store_engine, "Decision maker", formula="NOT(ISBLANK(Decision_Maker__c))")
    target = {"opportunityId": deal.id, "milestoneId": proposal.id}
    async with graphql_client(store_engine) as client:
        before = await client.data(DEAL, {"id": deal.id}, as_user=rep)
        assert before["opportunity"]["health"] is None  # never evaluated
        assert _on_deal(before) == {
            "Budget confirmed": (True, False),
            "Discovery call held": (True, False),  # an earlier stage's stays applicable
            "Proposal sent": (True, False),
            "Mutual close plan agreed": (False, False),  # a later stage's does not apply yet
            "Decision maker": (True, False),
        }
        done = await payload_of(
            client, COMPLETE, {"input": {**target, "note": "sent on Monday"}}, rep
        )
        assert done["errors"] == []
        assert done["opportunity"]["id"] == deal.id
        state = done["opportunityMilestone"]
        assert state.pop("completedAt") is not None
        assert state == {
            "milestone": {"id": proposal.id, "name": "Proposal sent"},
            "applicable": True,
            "completed": True,
            "completedBy": {"name": "East Rep1"},
            "how": "MANUAL",
            "note": "sent on Monday",
        }
        after = await client.data(DEAL, {"id": deal.id}, as_user=team.managers[0])
        assert _on_deal(after)["Proposal sent"] == (True, True)

        undone = await payload_of(client, UNCOMPLETE, {"input": target}, rep)
        assert undone["errors"] == []
        assert undone["opportunityMilestone"] == {
            "milestone": {"id": proposal.id, "name": "Proposal sent"},
            "applicable": True, "completed": False, "completedAt": None, "completedBy": None,
            "how": None, "note": None,
        }  # fmt: skip
        again = await payload_of(client, COMPLETE, {"input": target}, team.managers[0])
        assert again["opportunityMilestone"]["completedBy"] == {"name": "East Boss"}
    # Un-completing keeps the completion in the history; completing again adds one.
    history = milestones.completion_history(store_engine, f.ORG_A, [deal.id])[deal.id]
    assert [(row.completed_by_id, row.uncompleted_by_id) for row in history] == [
        (rep.id, rep.id),
        (team.managers[0].id, None),
    ]
    # Each is audited (newest first in the trail).
    trail = audit_log(store_engine, f.ORG_A, [deal.id])[deal.id]
    assert [(e.action, e.user_id, e.old_value, e.new_value) for e in reversed(trail)] == [
        ("MILESTONE", rep.id, False, True),
        ("MILESTONE", rep.id, True, False),
        ("MILESTONE", team.managers[0].id, False, True),
    ]
    assert {e.field for e in trail} == {"milestone:Proposal sent"}


async def test_health_is_the_stored_one_and_null_before_evaluation(store_engine: Engine) -> None:
    team = f.team(store_engine)
    rep = team.reps[0]
    evaluated = f.opportunity(store_engine, rep)
    closed = f.opportunity(store_engine, rep, stage="Closed Won")
    never = f.opportunity(store_engine, rep)
    parts = [{"label": "Progress: 3 of 5 milestones (weight 6 of 10)", "points": 60},
             {"label": "HIGH alert: Close date in the past", "points": -10}]  # fmt: skip
    health(store_engine, evaluated.id, 50, progress=0.6, penalty=10, breakdown=parts)
    health(store_engine, closed.id, 80, closed_at=f.NOW)
    async with graphql_client(store_engine) as client:
        shown = {
            deal.id: (await client.data(DEAL, {"id": deal.id}, as_user=rep))["opportunity"]
            for deal in (evaluated, closed, never)
        }
    assert shown[evaluated.id]["health"] == {
        "score": 50, "progress": 0.6, "penalty": 10,
        "breakdown": [{"label": "Progress: 3 of 5 milestones (weight 6 of 10)", "points": 60},
                      {"label": "HIGH alert: Close date in the past", "points": -10}],
        "computedAt": "2026-03-01T12:00:00+00:00", "closedAt": None,
    }  # fmt: skip
    assert shown[closed.id]["health"]["score"] == 80
    assert shown[closed.id]["health"]["closedAt"] == "2026-03-01T12:00:00+00:00"
    assert shown[never.id]["health"] is None


async def test_refused_completions_say_why_and_change_nothing(store_engine: Engine) -> None:
    team = f.team(store_engine)
    other_team = f.team(store_engine, f.ORG_B)
    describe(store_engine)
    rep = team.reps[0]
    mine = f.opportunity(store_engine, rep)
    not_mine = f.opportunity(store_engine, team.reps[2])  # the other region's rep
    other_org = f.opportunity(store_engine, other_team.reps[0])
    won = f.opportunity(store_engine, rep, stage="Closed Won")
    manual = milestone(store_engine, "Budget confirmed")
    done = milestone(store_engine, "Discovery call held")
    formula = milestone(store_engine, "Decision maker", formula="NOT(ISBLANK(Decision_Maker__c))")
    retired = milestone(store_engine, "Old")
    theirs = milestone(store_engine, "Theirs", org_id=f.ORG_B)
    opportunity, field = "input.opportunityId", "input.milestoneId"
    cases: list[tuple[str, str, str, str, str]] = [
        (COMPLETE, not_mine.id, manual.id, opportunity, "NOT_FOUND"),
        (COMPLETE, other_org.id, manual.id, opportunity, "NOT_FOUND"),
        (COMPLETE, "006000000000999AAA", manual.id, opportunity, "NOT_FOUND"),
        (COMPLETE, "bad", manual.id, opportunity, "INVALID_ID"),
        (COMPLETE, mine.id, theirs.id, field, "NOT_FOUND"),
        (COMPLETE, mine.id, "rule_" + "x" * 20, field, "INVALID_ID"),
        # A trailing newline is no id (a regex ending in $ let both through, as NOT_FOUND).
        (COMPLETE, mine.id + "\n", manual.id, opportunity, "INVALID_ID"),
        (COMPLETE, mine.id, manual.id + "\n", field, "INVALID_ID"),
        (COMPLETE, mine.id, formula.id, field, "NOT_MANUAL"),
        (COMPLETE, mine.id, retired.id, field, "RETIRED"),
        (COMPLETE, mine.id, done.id, field, "ALREADY_COMPLETED"),
        (UNCOMPLETE, mine.id, manual.id, field, "NOT_COMPLETED"),
        (UNCOMPLETE, not_mine.id, done.id, opportunity, "NOT_FOUND"),
        (UNCOMPLETE, mine.id, formula.id, field, "NOT_MANUAL"),
        (COMPLETE, won.id, manual.id, opportunity, "OPPORTUNITY_CLOSED"),
        (UNCOMPLETE, won.id, done.id, opportunity, "OPPORTUNITY_CLOSED"),
    ]
    async with graphql_client(store_engine) as client:
        await payload_of(client, RETIRE, {"id": retired.id}, team.admin)
        target = {"opportunityId": mine.id, "milestoneId": done.id}
        await payload_of(client, COMPLETE, {"input": target}, rep)
        before = process_rows(store_engine)
        for query, deal_id, milestone_id, at, code in cases:
            variables = {"input": {"opportunityId": deal_id, "milestoneId": milestone_id}}
            answer = await payload_of(client, query, variables, rep)
            assert [(e["field"], e["code"]) for e in answer["errors"]] == [(at, code)], (
                deal_id, milestone_id
            )  # fmt: skip
            assert answer["opportunity"] is None
            assert answer["opportunityMilestone"] is None
        long_note = {"input": {**target, "milestoneId": manual.id, "note": "n" * 1001}}
        answer = await payload_of(client, COMPLETE, long_note, rep)
        assert [(e["field"], e["code"]) for e in answer["errors"]] == [("input.note", "TOO_LONG")]
    assert process_rows(store_engine) == before
