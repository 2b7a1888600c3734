"""Milestones and their completions: what the API writes and reads.

A milestone is edited in place (its completions point at its id, so an edit or a retirement
never loses them); retiring deactivates it and stamps `retired_at`, for good. Milestones are
listed by `position`: a new one goes last, `reorder_milestones` renumbers them all.

A completion is a row per completion: un-completing stamps `uncompleted_at` on the current one
instead of deleting it, and completing again adds a new row, so the history stays. Here are the
manual completions a rep makes; formula completions are the evaluation pass's
(store.evaluation_state).

Values come already validated (rules.definitions.check_milestone) as a dict keyed by column
name (store.process_common). Every statement is built through store.tenancy.OrgScope.
Blocking: async callers use `run_in_threadpool`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from rules.process import CompletionHow, MilestoneCompletionMode
from store.engine import session_scope
from store.process_common import by_opportunity, claim, claimed, listed, stored_values
from store.process_models import Milestone, MilestoneCompletion, new_id
from store.tenancy import OrgScope

MILESTONE_FIELDS = frozenset(
    {"name", "description", "stage_name", "weight", "completion", "formula", "active"}
)
REQUIRED_FIELDS = ("name", "weight", "completion")


def create_milestone(
    engine: Engine, org_id: str, values: Mapping[str, Any], now: datetime
) -> Milestone:
    """A new milestone, placed after every other of the org."""
    stored = stored_values(values, MILESTONE_FIELDS, REQUIRED_FIELDS)
    scope = OrgScope(org_id)
    with session_scope(engine) as session:
        # Creations at once take turns for the last position (but the first milestone of an
        # org: nothing to lock on PostgreSQL yet; a tie is still listed in a stable order).
        claim(session, scope, Milestone)
        last = session.exec(
            select(func.max(col(Milestone.position))).where(scope.owns(Milestone))
        ).one()
        milestone = Milestone(
            **stored,
            org_id=org_id,
            id=new_id("ms"),
            position=0 if last is None else last + 1,
            created_at=now,
            updated_at=now,
        )
        session.add(milestone)
    return milestone


def _live(session: Session, org_id: str, milestone_id: str) -> Milestone | None:
    """The milestone, write-locked, unless it is retired or absent."""
    milestone = claimed(session, OrgScope(org_id), Milestone, milestone_id)
    return None if milestone is None or milestone.retired_at is not None else milestone


def update_milestone(
    engine: Engine,
    org_id: str,
    milestone_id: str,
    values: Mapping[str, Any],
    now: datetime,
    by_id: str | None = None,
) -> Milestone | None:
    """The milestone with `values` applied; None, and nothing written, when the org has no
    such milestone or it is retired.

    A MANUAL milestone turned FORMULA closes, in the same transaction, the completions reps
    made by hand (`_close_manual_completions`): from then on its formula alone decides, and
    the evaluation pass never undoes a completion made by hand, so left open they would count
    for good whatever the formula says. `by_id` is who made the change (the admin)."""
    stored = stored_values(values, MILESTONE_FIELDS)
    with session_scope(engine) as session:
        milestone = _live(session, org_id, milestone_id)
        if milestone is None:
            return None
        formula = MilestoneCompletionMode.FORMULA.name
        if milestone.completion != formula and stored.get("completion") == formula:
            _close_manual_completions(session, org_id, milestone_id, by_id, now)
        for name, value in stored.items():
            setattr(milestone, name, value)
        milestone.updated_at = now
        session.add(milestone)
    return milestone


def _close_manual_completions(
    session: Session, org_id: str, milestone_id: str, by_id: str | None, now: datetime
) -> None:
    """The milestone's current hand-made completions, un-completed at `now` by `by_id`. Kept
    as history: the row still says how it was made (MANUAL), by whom and its note; that it
    was closed by the switch to FORMULA is what its `uncompleted_at` (the milestone's
    `updated_at`) and `uncompleted_by_id` (the admin, not a rep) say."""
    query = (
        OrgScope(org_id)
        .select(MilestoneCompletion)
        .where(
            col(MilestoneCompletion.milestone_id) == milestone_id,
            col(MilestoneCompletion.how) == CompletionHow.MANUAL.name,
            col(MilestoneCompletion.uncompleted_at).is_(None),
        )
    )
    for completion in session.exec(query).all():
        completion.uncompleted_at = now
        completion.uncompleted_by_id = by_id
        session.add(completion)


def retire_milestone(
    engine: Engine, org_id: str, milestone_id: str, now: datetime
) -> Milestone | None:
    """The milestone, retired (inactive, `retired_at` set; its completions are kept). None,
    and nothing written, when the org has no such milestone or it is retired already, as
    update_milestone (a second retirement is refused, not answered as a success)."""
    with session_scope(engine) as session:
        milestone = _live(session, org_id, milestone_id)
        if milestone is None:
            return None
        milestone.active = False
        milestone.retired_at = now
        milestone.updated_at = now
        session.add(milestone)
    return milestone


def reorder_milestones(
    engine: Engine, org_id: str, ids_in_order: Sequence[str], now: datetime
) -> list[Milestone] | None:
    """The org's milestones (not retired) in the order given, renumbered from 0. `ids_in_order`
    must name each of them exactly once: otherwise None, and nothing is written (the caller
    reports INVALID_ORDER, or NOT_FOUND for ids that are none of the org's)."""
    scope = OrgScope(org_id)
    live = col(Milestone.retired_at).is_(None)
    with session_scope(engine) as session:
        claim(session, scope, Milestone, live)
        current = {row.id: row for row in session.exec(scope.select(Milestone).where(live)).all()}
        if len(ids_in_order) != len(current) or set(ids_in_order) != set(current):
            return None
        ordered = [current[milestone_id] for milestone_id in ids_in_order]
        for position, milestone in enumerate(ordered):
            if milestone.position != position:
                milestone.position = position
                milestone.updated_at = now
                session.add(milestone)
    return ordered


def list_milestones(engine: Engine, org_id: str, include_retired: bool = False) -> list[Milestone]:
    """The org's milestones in their order, without retired ones unless asked."""
    query = OrgScope(org_id).select(Milestone)
    return listed(engine, query, Milestone, include_retired, col(Milestone.position))


def milestones_by_ids(engine: Engine, org_id: str, ids: Collection[str]) -> dict[str, Milestone]:
    """The org's milestones among `ids`, retired ones included."""
    query = OrgScope(org_id).select(Milestone).where(col(Milestone.id).in_(list(ids)))
    with Session(engine) as session:
        return {row.id: row for row in session.exec(query).all()}


def _current_completion(
    session: Session, org_id: str, milestone_id: str, opportunity_id: str
) -> MilestoneCompletion | None:
    query = (
        OrgScope(org_id)
        .select(MilestoneCompletion)
        .where(
            col(MilestoneCompletion.milestone_id) == milestone_id,
            col(MilestoneCompletion.opportunity_id) == opportunity_id,
            col(MilestoneCompletion.uncompleted_at).is_(None),
        )
    )
    return session.exec(query).first()


def _manual(session: Session, org_id: str, milestone_id: str) -> Milestone | None:
    milestone = _live(session, org_id, milestone_id)
    manual = MilestoneCompletionMode.MANUAL.name
    return milestone if milestone is not None and milestone.completion == manual else None


def complete_milestone(
    engine: Engine,
    org_id: str,
    milestone_id: str,
    opportunity_id: str,
    by_id: str,
    note: str | None,
    now: datetime,
) -> MilestoneCompletion | None:
    """A rep's completion of a manual milestone on an opportunity (the caller checked the
    opportunity is visible to the rep). None, and nothing written, when the org has no such
    manual milestone that is not retired, or it is completed there already: the milestone's
    write lock makes the check and the insert one step, so a double click completes once."""
    with session_scope(engine) as session:
        milestone = _manual(session, org_id, milestone_id)
        if milestone is None:
            return None
        if _current_completion(session, org_id, milestone_id, opportunity_id) is not None:
            return None
        completion = MilestoneCompletion(
            org_id=org_id,
            id=new_id("cmp"),
            milestone_id=milestone_id,
            opportunity_id=opportunity_id,
            how=CompletionHow.MANUAL.name,
            completed_at=now,
            completed_by_id=by_id,
            note=note,
        )
        session.add(completion)
    return completion


def uncomplete_milestone(
    engine: Engine,
    org_id: str,
    milestone_id: str,
    opportunity_id: str,
    by_id: str,
    now: datetime,
) -> MilestoneCompletion | None:
    """The current completion of a manual milestone on an opportunity, un-completed (kept,
    with who and when). None, and nothing written, when there is no such manual milestone that
    is not retired, or it is not completed there."""
    with session_scope(engine) as session:
        if _manual(session, org_id, milestone_id) is None:
            return None
        completion = _current_completion(session, org_id, milestone_id, opportunity_id)
        if completion is None:
            return None
        completion.uncompleted_at = now
        completion.uncompleted_by_id = by_id
        session.add(completion)
    return completion


def _completions(
    engine: Engine, org_id: str, opportunity_ids: Collection[str], *, current_only: bool
) -> dict[str, list[MilestoneCompletion]]:
    query = (
        OrgScope(org_id)
        .select(MilestoneCompletion)
        .where(col(MilestoneCompletion.opportunity_id).in_(list(opportunity_ids)))
    )
    if current_only:
        query = query.where(col(MilestoneCompletion.uncompleted_at).is_(None))
    query = query.order_by(col(MilestoneCompletion.completed_at), col(MilestoneCompletion.id))
    return by_opportunity(engine, query)


def completions_by_opportunity(
    engine: Engine, org_id: str, opportunity_ids: Collection[str]
) -> dict[str, list[MilestoneCompletion]]:
    """The current completions (not un-completed) of each opportunity, oldest first, in one
    query; retired milestones' completions included (the caller shows what applies)."""
    return _completions(engine, org_id, opportunity_ids, current_only=True)


def completion_history(
    engine: Engine, org_id: str, opportunity_ids: Collection[str]
) -> dict[str, list[MilestoneCompletion]]:
    """Every completion of each opportunity, un-completed ones included, oldest first."""
    return _completions(engine, org_id, opportunity_ids, current_only=False)
