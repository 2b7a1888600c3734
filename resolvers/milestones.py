"""The org's milestones, an opportunity's milestones and its stored health, all through the
request's DataLoaders (a page of opportunities costs one query per relation)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from resolvers.context import RequestContext
from resolvers.loaders import loader_call
from rules.health import HealthPart, MilestoneSpec, StageOrder, applicable_milestones
from store.models import Opportunity, OpportunityStage, SfUser
from store.process_models import Milestone, MilestoneCompletion, OpportunityHealth


@dataclass(frozen=True)
class OpportunityMilestoneView:
    """An active milestone on one opportunity: whether it applies in the opportunity's stage,
    and its current completion (None: not completed)."""

    milestone: Milestone
    applicable: bool
    completion: MilestoneCompletion | None


def milestone_spec(row: Milestone) -> MilestoneSpec:
    return MilestoneSpec(
        id=row.id,
        name=row.name,
        stage_name=row.stage_name,
        weight=row.weight,
        active=row.active,
        position=row.position,
    )


def stage_orders(stages: Iterable[OpportunityStage | None]) -> list[StageOrder]:
    return [
        StageOrder(api_name=s.api_name, sort_order=s.sort_order, is_closed=s.is_closed)
        for s in stages
        if s is not None
    ]


async def milestones(context: RequestContext, *, include_retired: bool) -> list[Milestone]:
    """The org's milestones in their order (active ones; retired ones too if asked)."""
    return await (await context.loaders()).milestones.load(include_retired)


async def opportunity_milestones(
    context: RequestContext, opportunity: Opportunity
) -> list[OpportunityMilestoneView]:
    """Every active milestone of the org, in order, as it stands on `opportunity`."""
    loaders = await context.loaders()
    active = await loaders.milestones.load(False)
    completions = await loaders.completions.load(opportunity.id)
    # The stages that decide applicability: the opportunity's and the milestones' own.
    names = {opportunity.stage_name} | {m.stage_name for m in active if m.stage_name}
    stages = stage_orders(await loaders.stages.load_many(sorted(names)))
    applies = {
        spec.id
        for spec in applicable_milestones(
            map(milestone_spec, active), opportunity.stage_name, stages
        )
    }
    current = {c.milestone_id: c for c in completions}
    return [OpportunityMilestoneView(row, row.id in applies, current.get(row.id)) for row in active]


async def completed_by(context: RequestContext, view: OpportunityMilestoneView) -> SfUser | None:
    by_id = None if view.completion is None else view.completion.completed_by_id
    return await loader_call((await context.loaders()).users, by_id)


async def health(context: RequestContext, opportunity: Opportunity) -> OpportunityHealth | None:
    """The health the last evaluation stored (frozen when the deal closed); None before the
    opportunity was first evaluated."""
    return await (await context.loaders()).health.load(opportunity.id)


def health_parts(row: OpportunityHealth) -> list[HealthPart]:
    """The stored breakdown ({"label", "points"} objects, as evaluation writes them)."""
    return [_part(part) for part in row.breakdown]


def _part(stored: dict[str, Any]) -> HealthPart:
    return HealthPart(label=str(stored["label"]), points=int(stored["points"]))
