"""The milestone mutations: admins define, edit, reorder and retire milestones; reps complete
and un-complete manual ones on the deals they can see. Each answers `{<object>, errors}`
(schema.errors); MilestoneError's code is rules.definitions.MilestoneErrorCode itself."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any, cast

import strawberry

from auth.permissions import IsAdmin, IsAuthenticated
from resolvers import milestone_writes as write
from resolvers.milestone_writes import CompletionOutcome, SaveOutcome
from rules.definitions import MilestoneDraft, Problem
from schema.enums import MilestoneCompletionMode, MilestoneErrorCode
from schema.errors import FormulaErrorBase
from schema.milestones import Milestone, OpportunityMilestone
from schema.permissions import ADMINISTERS, WRITES_ALERTS, mutation
from schema.types import Info, Opportunity, described

ADMIN = IsAdmin()
SIGNED_IN = IsAuthenticated()


@strawberry.type(description="Why a milestone mutation changed nothing.")
class MilestoneError(FormulaErrorBase):
    code: MilestoneErrorCode


def milestone_errors(problems: Iterable[Problem[MilestoneErrorCode]]) -> list[MilestoneError]:
    """The problems of an input, each at its path in the request (`input.weight`)."""
    return [
        MilestoneError(
            field=f"input.{p.field}", code=p.code, message=p.message,
            line=p.line or None, column=p.column or None,
        )
        for p in problems
    ]  # fmt: skip


@strawberry.type
class MilestonePayload:
    milestone: Milestone | None = None
    errors: list[MilestoneError]


def milestone_payload(outcome: SaveOutcome) -> MilestonePayload:
    return MilestonePayload(
        milestone=cast("Milestone | None", outcome.milestone),
        errors=milestone_errors(outcome.problems),
    )


@strawberry.type
class ReorderMilestonesPayload:
    milestones: list[Milestone] | None = strawberry.field(
        default=None, description="The org's milestones (not retired), in their new order."
    )
    errors: list[MilestoneError]


@strawberry.type
class MilestoneCompletionPayload:
    errors: list[MilestoneError]
    # What the write changed; the fields below read it after the write and its evaluation.
    outcome: strawberry.Private[CompletionOutcome | None] = None

    @described("The opportunity, with its health as re-evaluated.")
    def opportunity(self) -> Opportunity | None:
        return None if self.outcome is None else cast("Opportunity", self.outcome.opportunity)

    @described("The milestone as it now stands on the opportunity.")
    async def opportunity_milestone(self, info: Info) -> OpportunityMilestone | None:
        if self.outcome is None:
            return None
        view = await write.completed_milestone(info.context, self.outcome)
        return cast("OpportunityMilestone | None", view)


@strawberry.input(description="A new milestone.")
class CreateMilestoneInput:
    name: str
    description: str | None = None
    stage_name: str | None = strawberry.field(
        default=None,
        description="The open stage (OpportunityStage API name) it belongs to; null: GLOBAL.",
    )
    weight: float = strawberry.field(default=1.0, description="Its share of progress (> 0).")
    completion: MilestoneCompletionMode = MilestoneCompletionMode.MANUAL
    formula: str | None = strawberry.field(
        default=None, description="For FORMULA: the checkbox formula that completes it."
    )


@strawberry.input(description="What to change in a milestone: fields left out keep their value.")
class UpdateMilestoneInput:
    name: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    stage_name: str | None = strawberry.field(
        default=strawberry.UNSET, description="An open stage's API name; null: make it GLOBAL."
    )
    weight: float | None = strawberry.UNSET
    completion: MilestoneCompletionMode | None = strawberry.UNSET
    formula: str | None = strawberry.UNSET

    def changes(self) -> dict[str, Any]:
        """The MilestoneDraft fields given. Null leaves a required field (name, weight,
        completion) as it is, and clears an optional one."""
        given = {name: value for name, value in vars(self).items() if value is not strawberry.UNSET}
        return {
            name: value
            for name, value in given.items()
            if value is not None or name in ("description", "stage_name", "formula")
        }


@strawberry.input(description="A manual milestone on an opportunity.")
class CompleteMilestoneInput:
    opportunity_id: strawberry.ID
    milestone_id: strawberry.ID
    note: str | None = strawberry.field(default=None, description="Why, or what was done.")


@strawberry.input(description="A manual milestone on an opportunity.")
class UncompleteMilestoneInput:
    opportunity_id: strawberry.ID
    milestone_id: strawberry.ID


IdList = Annotated[
    list[strawberry.ID], strawberry.argument(description="Every milestone not retired, once.")
]


@strawberry.type
class MilestoneMutations:
    """The milestone mutations, a part of the root Mutation type (schema.mutation)."""

    @mutation("Define a milestone (admins). It goes last in the order.", ADMIN, ADMINISTERS)
    async def create_milestone(self, info: Info, input: CreateMilestoneInput) -> MilestonePayload:
        draft = MilestoneDraft(
            name=input.name,
            description=input.description,
            stage_name=input.stage_name,
            weight=input.weight,
            completion=input.completion,
            formula=input.formula,
        )
        return milestone_payload(await write.create_milestone(info.context, draft))

    @mutation(
        "Edit a milestone (admins); its completions are kept, but for one turned FORMULA: "
        "the completions made by hand are closed (kept in the history) and its formula "
        "decides from then on. Not for retired ones.",
        ADMIN,
        ADMINISTERS,
    )
    async def update_milestone(
        self, info: Info, id: strawberry.ID, input: UpdateMilestoneInput
    ) -> MilestonePayload:
        outcome = await write.update_milestone(info.context, str(id), input.changes())
        return milestone_payload(outcome)

    @mutation(
        "Retire a milestone (admins): for good; its completions are kept.", ADMIN, ADMINISTERS
    )
    async def retire_milestone(self, info: Info, id: strawberry.ID) -> MilestonePayload:
        return milestone_payload(await write.retire_milestone(info.context, str(id)))

    @mutation("Put the org's milestones in a new order (admins).", ADMIN, ADMINISTERS)
    async def reorder_milestones(self, info: Info, ids: IdList) -> ReorderMilestonesPayload:
        ordered = await write.reorder_milestones(info.context, [str(i) for i in ids])
        return ReorderMilestonesPayload(milestones=cast("list[Milestone]", ordered), errors=[])

    @mutation(
        "Complete a manual milestone on an opportunity the caller can see (who and when are "
        "kept); its health is re-evaluated.",
        SIGNED_IN,
        WRITES_ALERTS,
    )
    async def complete_milestone(
        self, info: Info, input: CompleteMilestoneInput
    ) -> MilestoneCompletionPayload:
        outcome = await write.complete_milestone(
            info.context, str(input.opportunity_id), str(input.milestone_id), input.note
        )
        return MilestoneCompletionPayload(errors=[], outcome=outcome)

    @mutation(
        "Un-complete a manual milestone on an opportunity the caller can see (the completion "
        "stays in its history); its health is re-evaluated.",
        SIGNED_IN,
        WRITES_ALERTS,
    )
    async def uncomplete_milestone(
        self, info: Info, input: UncompleteMilestoneInput
    ) -> MilestoneCompletionPayload:
        outcome = await write.uncomplete_milestone(
            info.context, str(input.opportunity_id), str(input.milestone_id)
        )
        return MilestoneCompletionPayload(errors=[], outcome=outcome)
