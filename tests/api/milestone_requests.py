"""The milestone API's requests, and what the tests arrange and compare, shared by the
milestone test modules."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, select

from store.process_models import Milestone, MilestoneCompletion, OpportunityHealth
from tests import factories as f
from tests.api.payloads import errors_selection

ERRORS = errors_selection("MilestoneError")
MILESTONE = "id name description stageName weight completion formula position active retiredAt"
CREATE = f"""mutation($input: CreateMilestoneInput!) {{ createMilestone(input: $input) {{
  milestone {{ {MILESTONE} }} {ERRORS} }} }}"""
UPDATE = f"""mutation($id: ID!, $input: UpdateMilestoneInput!) {{
  updateMilestone(id: $id, input: $input) {{ milestone {{ {MILESTONE} }} {ERRORS} }} }}"""
RETIRE = f"""mutation($id: ID!) {{ retireMilestone(id: $id) {{
  milestone {{ {MILESTONE} }} {ERRORS} }} }}"""
REORDER = f"""mutation($ids: [ID!]!) {{ reorderMilestones(ids: $ids) {{
  milestones {{ id position }} {ERRORS} }} }}"""
LIST = f"""query($retired: Boolean! = false) {{ milestones(includeRetired: $retired) {{
  {MILESTONE} }} }}"""
ON_DEAL = "milestone { id name } applicable completed completedAt completedBy { name } how note"
COMPLETE = f"""mutation($input: CompleteMilestoneInput!) {{ completeMilestone(input: $input) {{
  opportunity {{ id health {{ score }} }} opportunityMilestone {{ {ON_DEAL} }} {ERRORS} }} }}"""
UNCOMPLETE = f"""mutation($input: UncompleteMilestoneInput!) {{
  uncompleteMilestone(input: $input) {{
    opportunity {{ id }} opportunityMilestone {{ {ON_DEAL} }} {ERRORS} }} }}"""
DEAL = f"""query($id: ID!) {{ opportunity(id: $id) {{
  health {{ score progress penalty breakdown {{ label points }} computedAt closedAt }}
  milestones {{ {ON_DEAL} }} }} }}"""


def health(engine: Engine, opportunity_id: str, score: int, **values: Any) -> OpportunityHealth:
    row = OpportunityHealth(
        org_id=f.ORG_A,
        opportunity_id=opportunity_id,
        score=score,
        progress=values.pop("progress", score / 100),
        penalty=values.pop("penalty", 0),
        breakdown=values.pop("breakdown", [{"label": "Progress", "points": score}]),
        computed_at=values.pop("computed_at", f.NOW),
        **values,
    )
    f.add(engine, row)
    return row


def process_rows(engine: Engine) -> list[dict[str, Any]]:
    """Every milestone and completion row, to tell that a refused request changed nothing."""
    with Session(engine) as session:
        rows: list[Any] = [
            *session.exec(select(Milestone).order_by(Milestone.org_id, Milestone.id)).all(),
            *session.exec(
                select(MilestoneCompletion).order_by(
                    MilestoneCompletion.org_id, MilestoneCompletion.id
                )
            ).all(),
        ]
        return [row.model_dump() for row in rows]
