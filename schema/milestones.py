"""Milestones, an opportunity's milestones and its health: the object types (they resolve from
their rows, store.process_models, or from resolvers.milestones's views)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, cast

import strawberry
from strawberry import Parent

from auth.permissions import IsAuthenticated
from resolvers import milestones as resolve
from resolvers.milestones import OpportunityMilestoneView
from schema.enums import CompletionHow, MilestoneCompletionMode
from schema.permissions import READS_PIPELINE, query
from schema.types import Info, User, described
from store.process_models import Milestone as MilestoneRow
from store.process_models import OpportunityHealth

HEALTH_FORMULA = (
    "score = max(0, progress points - penalty); progress points = 100 x progress, rounded "
    "half up; progress = the weight of the applicable milestones completed / the weight of "
    "the applicable milestones (1 when none applies); penalty = the sum of the org's severity "
    "weights of the opportunity's OPEN and SNOOZED alerts (defaults: LOW 2, MEDIUM 5, HIGH 10, "
    "CRITICAL 20 points)."
)


@strawberry.type(
    description="A checkpoint a deal should pass: GLOBAL (every stage) or of one stage, in "
    "which it stays applicable in every later stage by SortOrder. Completed by hand (MANUAL) "
    "or by a checkbox formula on evaluation (FORMULA)."
)
class Milestone:
    id: strawberry.ID
    name: str
    description: str | None
    stage_name: str | None = strawberry.field(
        description="The stage (OpportunityStage API name) it belongs to; null: GLOBAL."
    )
    weight: float = strawberry.field(description="Its share of progress (> 0).")
    formula: str | None = strawberry.field(
        description="For FORMULA milestones: the checkbox formula that completes it."
    )
    position: int = strawberry.field(description="Milestones are listed in this order.")
    active: bool = strawberry.field(description="False once retired.")
    created_at: datetime | None
    updated_at: datetime | None
    retired_at: datetime | None

    @described("How it is completed.")
    def completion(self, parent: Parent[MilestoneRow]) -> MilestoneCompletionMode:
        return MilestoneCompletionMode[parent.completion]


@strawberry.type(description="A milestone as it stands on one opportunity.")
class OpportunityMilestone:
    @strawberry.field
    def milestone(self, parent: Parent[OpportunityMilestoneView]) -> Milestone:
        return cast("Milestone", parent.milestone)

    applicable: bool = strawberry.field(
        description="Whether it counts towards this opportunity's health now: GLOBAL, or of "
        "the opportunity's stage or an earlier one (by SortOrder)."
    )

    @strawberry.field
    def completed(self, parent: Parent[OpportunityMilestoneView]) -> bool:
        return parent.completion is not None

    @strawberry.field
    def completed_at(self, parent: Parent[OpportunityMilestoneView]) -> datetime | None:
        return None if parent.completion is None else parent.completion.completed_at

    @described("Who completed it; null when a formula did, or when it is not completed.")
    async def completed_by(
        self, info: Info, parent: Parent[OpportunityMilestoneView]
    ) -> User | None:
        return cast("User | None", await resolve.completed_by(info.context, parent))

    @described("How it was completed; null when it is not.")
    def how(self, parent: Parent[OpportunityMilestoneView]) -> CompletionHow | None:
        return None if parent.completion is None else CompletionHow[parent.completion.how]

    @described("The note left with a manual completion.")
    def note(self, parent: Parent[OpportunityMilestoneView]) -> str | None:
        return None if parent.completion is None else parent.completion.note


@strawberry.type(description="One labelled part of a health score.")
class HealthPart:
    label: str
    points: int = strawberry.field(
        description="What the part adds (progress, >= 0) or takes off (an alert, negative)."
    )


@strawberry.type(description=f"An opportunity's health, 0-100, as its last evaluation computed "
                 f"it: {HEALTH_FORMULA}")  # fmt: skip
class Health:
    score: int = strawberry.field(description=f"0-100. {HEALTH_FORMULA}")
    progress: float = strawberry.field(
        description="0-1: the weight of the applicable milestones completed / the weight of "
        "the applicable milestones (1 when none applies)."
    )
    penalty: int = strawberry.field(
        description="The points the open and snoozed alerts take off (>= 0): the sum of the "
        "org's weights of their severities."
    )
    computed_at: datetime = strawberry.field(description="When it was computed.")
    closed_at: datetime | None = strawberry.field(
        description="When the deal closed: a closed deal keeps the health it had then."
    )

    @described("The progress part, then one part per open or snoozed alert, heaviest first.")
    def breakdown(self, parent: Parent[OpportunityHealth]) -> list[HealthPart]:
        return cast("list[HealthPart]", resolve.health_parts(parent))


@strawberry.type
class MilestoneQueries:
    """The milestone query fields, a part of the root Query type (schema.query)."""

    @query("The org's milestones, in their order.", IsAuthenticated(), READS_PIPELINE)
    async def milestones(
        self,
        info: Info,
        include_retired: Annotated[
            bool, strawberry.argument(description="Retired ones too (their history stays).")
        ] = False,
    ) -> list[Milestone]:
        rows = await resolve.milestones(info.context, include_retired=include_retired)
        return cast("list[Milestone]", rows)
