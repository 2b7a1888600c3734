"""Milestones and their completions (store.milestones), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from rules.process import MilestoneCompletionMode
from store import milestones
from store.process_models import Milestone, MilestoneCompletion
from tests import factories as f
from tests import process_factories as pf
from tests.store_backends import counting

LATER = f.NOW + timedelta(hours=1)
REP, OTHER_REP = "005000000000001AAA", "005000000000002AAA"
DEAL, OTHER_DEAL = "006000000000001AAA", "006000000000002AAA"


def _completions(engine: Engine) -> list[tuple[str, str | None]]:
    with Session(engine) as session:
        rows = session.exec(select(MilestoneCompletion)).all()
        return sorted((row.opportunity_id, row.note) for row in rows)


def _milestones(engine: Engine) -> list[tuple[str, str, int, bool]]:
    with Session(engine) as session:
        rows = session.exec(select(Milestone)).all()
        return sorted((row.org_id, row.name, row.position, row.active) for row in rows)


def test_new_milestones_go_last(store_engine: Engine) -> None:
    f.org(store_engine)
    f.org(store_engine, f.ORG_B)
    pf.milestone(store_engine, f.ORG_B, name="Theirs")
    first = pf.milestone(store_engine, f.ORG_A, name="First")
    second = pf.milestone(
        store_engine, f.ORG_A, name="Proposal sent", stage_name="Proposal", weight=2.5,
        completion=MilestoneCompletionMode.FORMULA, formula="NOT(ISBLANK(Amount))",
    )  # fmt: skip
    assert first.id.startswith("ms_")
    assert (first.position, second.position) == (0, 1)  # the other org's does not count
    stored = milestones.milestones_by_ids(store_engine, f.ORG_A, [second.id])[second.id]
    assert (stored.stage_name, stored.weight, stored.completion, stored.formula) == (
        "Proposal", 2.5, "FORMULA", "NOT(ISBLANK(Amount))",
    )  # fmt: skip
    assert (stored.active, stored.created_at, stored.updated_at) == (True, f.NOW, f.NOW)


def test_bad_values_are_refused(store_engine: Engine) -> None:
    f.org(store_engine)
    with pytest.raises(KeyError, match="position"):
        pf.milestone(store_engine, f.ORG_A, position=3)
    with pytest.raises(KeyError, match="weight"):
        pf.milestone(store_engine, f.ORG_A, weight=None)
    assert _milestones(store_engine) == []


def test_editing_keeps_the_completions(store_engine: Engine) -> None:
    f.org(store_engine)
    milestone = pf.milestone(store_engine, f.ORG_A)
    milestones.complete_milestone(store_engine, f.ORG_A, milestone.id, DEAL, REP, "met", f.NOW)
    edited = milestones.update_milestone(
        store_engine, f.ORG_A, milestone.id, {"name": "Champion found", "weight": 3.0}, LATER
    )
    assert edited is not None
    assert (edited.name, edited.weight, edited.updated_at, edited.position) == (
        "Champion found", 3.0, LATER, 0,
    )  # fmt: skip
    current = milestones.completions_by_opportunity(store_engine, f.ORG_A, [DEAL])
    assert [c.milestone_id for c in current[DEAL]] == [milestone.id]


def test_turning_formula_closes_the_hand_completions(store_engine: Engine) -> None:
    f.org(store_engine)
    target, other = pf.milestone(store_engine, f.ORG_A), pf.milestone(store_engine, f.ORG_A)
    for milestone_id, deal in ((target.id, DEAL), (target.id, OTHER_DEAL), (other.id, DEAL)):
        milestones.complete_milestone(store_engine, f.ORG_A, milestone_id, deal, REP, "n", f.NOW)
    milestones.uncomplete_milestone(store_engine, f.ORG_A, target.id, OTHER_DEAL, REP, f.NOW)
    admin = "005000000000009AAA"
    renamed = milestones.update_milestone(
        store_engine, f.ORG_A, target.id, {"name": "Renamed"}, LATER, admin
    )
    assert renamed is not None  # an edit that keeps it MANUAL keeps its completions
    assert len(milestones.completions_by_opportunity(store_engine, f.ORG_A, [DEAL])[DEAL]) == 2
    values = {"completion": "FORMULA", "formula": "true"}
    assert milestones.update_milestone(store_engine, f.ORG_A, target.id, values, LATER, admin)
    current = milestones.completions_by_opportunity(store_engine, f.ORG_A, [DEAL, OTHER_DEAL])
    assert [c.milestone_id for c in current[DEAL]] == [other.id]
    assert OTHER_DEAL not in current
    history = milestones.completion_history(store_engine, f.ORG_A, [DEAL, OTHER_DEAL])
    closed = [c for c in history[DEAL] if c.milestone_id == target.id]
    assert [(c.how, c.note, c.completed_by_id, c.uncompleted_at, c.uncompleted_by_id)
            for c in closed] == [("MANUAL", "n", REP, LATER, admin)]  # fmt: skip
    # One un-completed before keeps who un-completed it.
    [earlier] = history[OTHER_DEAL]
    assert (earlier.uncompleted_at, earlier.uncompleted_by_id) == (f.NOW, REP)


def test_no_edit_reaches_another_orgs_or_a_retired_milestone(store_engine: Engine) -> None:
    f.org(store_engine)
    f.org(store_engine, f.ORG_B)
    theirs = pf.milestone(store_engine, f.ORG_B)
    retired = pf.milestone(store_engine, f.ORG_A, name="Old")
    milestones.retire_milestone(store_engine, f.ORG_A, retired.id, f.NOW)
    before = _milestones(store_engine)
    for milestone_id in (theirs.id, retired.id, "ms_missing"):
        changed = milestones.update_milestone(
            store_engine, f.ORG_A, milestone_id, {"name": "x"}, LATER
        )
        assert changed is None
    assert milestones.retire_milestone(store_engine, f.ORG_A, theirs.id, LATER) is None
    assert _milestones(store_engine) == before


def test_retiring_keeps_the_history_and_leaves_the_list(store_engine: Engine) -> None:
    f.org(store_engine)
    kept, gone = pf.milestone(store_engine, f.ORG_A), pf.milestone(store_engine, f.ORG_A)
    milestones.complete_milestone(store_engine, f.ORG_A, gone.id, DEAL, REP, None, f.NOW)
    retired = milestones.retire_milestone(store_engine, f.ORG_A, gone.id, LATER)
    assert retired is not None
    assert (retired.active, retired.retired_at) == (False, LATER)
    # A second retirement is refused and changes nothing (the first's time stays).
    assert milestones.retire_milestone(store_engine, f.ORG_A, gone.id, LATER + timedelta(1)) is None
    assert (
        milestones.milestones_by_ids(store_engine, f.ORG_A, [gone.id])[gone.id].retired_at == LATER
    )
    assert [m.id for m in milestones.list_milestones(store_engine, f.ORG_A)] == [kept.id]
    listed = milestones.list_milestones(store_engine, f.ORG_A, include_retired=True)
    assert [m.id for m in listed] == [kept.id, gone.id]
    history = milestones.completion_history(store_engine, f.ORG_A, [DEAL])
    assert [c.milestone_id for c in history[DEAL]] == [gone.id]
    # A retired milestone is completed or un-completed no more.
    assert milestones.uncomplete_milestone(store_engine, f.ORG_A, gone.id, DEAL, REP, LATER) is None
    assert (
        milestones.complete_milestone(store_engine, f.ORG_A, gone.id, DEAL, REP, None, LATER)
        is None
    )


def test_reordering_renumbers_every_milestone(store_engine: Engine) -> None:
    f.org(store_engine)
    a, b, c = (pf.milestone(store_engine, f.ORG_A, name=name) for name in "abc")
    retired = pf.milestone(store_engine, f.ORG_A, name="retired")
    milestones.retire_milestone(store_engine, f.ORG_A, retired.id, f.NOW)
    ordered = milestones.reorder_milestones(store_engine, f.ORG_A, [c.id, a.id, b.id], LATER)
    assert ordered is not None
    assert [(m.name, m.position) for m in ordered] == [("c", 0), ("a", 1), ("b", 2)]
    listed = milestones.list_milestones(store_engine, f.ORG_A)
    assert [m.name for m in listed] == ["c", "a", "b"]
    assert listed[0].updated_at == LATER


def test_a_reorder_that_is_not_exactly_the_milestones_changes_nothing(
    store_engine: Engine,
) -> None:
    f.org(store_engine)
    f.org(store_engine, f.ORG_B)
    a, b = pf.milestone(store_engine, f.ORG_A), pf.milestone(store_engine, f.ORG_A)
    theirs = pf.milestone(store_engine, f.ORG_B)
    retired = pf.milestone(store_engine, f.ORG_A)
    milestones.retire_milestone(store_engine, f.ORG_A, retired.id, f.NOW)
    before = _milestones(store_engine)
    for ids in (
        [b.id],  # one missing
        [b.id, a.id, a.id],  # a duplicate
        [b.id, a.id, theirs.id],  # another org's
        [b.id, a.id, retired.id],  # a retired one
        [b.id, theirs.id],  # another org's instead of one
    ):
        assert milestones.reorder_milestones(store_engine, f.ORG_A, ids, LATER) is None, ids
    assert _milestones(store_engine) == before


def test_completing_and_uncompleting_keeps_every_completion(store_engine: Engine) -> None:
    f.org(store_engine)
    milestone = pf.milestone(store_engine, f.ORG_A)
    done = milestones.complete_milestone(
        store_engine, f.ORG_A, milestone.id, DEAL, REP, "call on Monday", f.NOW
    )
    assert done is not None
    assert done.id.startswith("cmp_")
    assert (done.how, done.completed_by_id, done.completed_at, done.note) == (
        "MANUAL", REP, f.NOW, "call on Monday",
    )  # fmt: skip
    # Completed already: nothing is written.
    twice = milestones.complete_milestone(
        store_engine, f.ORG_A, milestone.id, DEAL, REP, "again", f.NOW
    )
    assert twice is None
    undone = milestones.uncomplete_milestone(
        store_engine, f.ORG_A, milestone.id, DEAL, OTHER_REP, LATER
    )
    assert undone is not None
    assert (undone.id, undone.uncompleted_at, undone.uncompleted_by_id) == (
        done.id,
        LATER,
        OTHER_REP,
    )
    assert (
        milestones.uncomplete_milestone(store_engine, f.ORG_A, milestone.id, DEAL, REP, LATER)
        is None
    )
    assert milestones.completions_by_opportunity(store_engine, f.ORG_A, [DEAL]) == {}
    redone = milestones.complete_milestone(
        store_engine, f.ORG_A, milestone.id, DEAL, OTHER_REP, None, LATER
    )
    assert redone is not None
    current = milestones.completions_by_opportunity(store_engine, f.ORG_A, [DEAL])
    assert [c.id for c in current[DEAL]] == [redone.id]
    history = milestones.completion_history(store_engine, f.ORG_A, [DEAL])
    assert [(c.id, c.uncompleted_at) for c in history[DEAL]] == [
        (done.id, LATER), (redone.id, None),
    ]  # fmt: skip


def test_formula_milestones_and_other_orgs_are_not_completed_by_hand(
    store_engine: Engine,
) -> None:
    f.org(store_engine)
    f.org(store_engine, f.ORG_B)
    formula = pf.milestone(
        store_engine, f.ORG_A, completion=MilestoneCompletionMode.FORMULA, formula="true"
    )
    theirs = pf.milestone(store_engine, f.ORG_B)
    for milestone_id in (formula.id, theirs.id, "ms_missing"):
        assert (
            milestones.complete_milestone(
                store_engine, f.ORG_A, milestone_id, DEAL, REP, None, f.NOW
            )
            is None
        )
    milestones.complete_milestone(store_engine, f.ORG_B, theirs.id, DEAL, REP, "theirs", f.NOW)
    assert (
        milestones.uncomplete_milestone(store_engine, f.ORG_A, theirs.id, DEAL, REP, LATER) is None
    )
    assert _completions(store_engine) == [(DEAL, "theirs")]
    assert milestones.completions_by_opportunity(store_engine, f.ORG_A, [DEAL]) == {}


def test_completions_of_many_opportunities_in_one_query(store_engine: Engine) -> None:
    f.org(store_engine)
    first, second = pf.milestone(store_engine, f.ORG_A), pf.milestone(store_engine, f.ORG_A)
    milestones.complete_milestone(store_engine, f.ORG_A, second.id, DEAL, REP, None, f.NOW)
    milestones.complete_milestone(store_engine, f.ORG_A, first.id, DEAL, REP, None, LATER)
    milestones.complete_milestone(store_engine, f.ORG_A, first.id, OTHER_DEAL, REP, None, f.NOW)
    with counting(store_engine) as statements:
        current = milestones.completions_by_opportunity(
            store_engine, f.ORG_A, [DEAL, OTHER_DEAL, "006000000000003AAA"]
        )
    assert len(statements) == 1
    assert {k: [c.milestone_id for c in v] for k, v in current.items()} == {
        DEAL: [second.id, first.id],  # oldest first
        OTHER_DEAL: [first.id],
    }
