"""Derived facts as the API shows them: the stored facts of rules.fact_registry plus the ones it
computes at read time (day counts, so they never go stale between syncs), by formula name."""

from __future__ import annotations

from collections.abc import Mapping

from resolvers.context import RequestContext
from rules.fact_registry import Moment, fact_values
from store.models import Opportunity, stored_fact_values


async def facts(context: RequestContext, opportunity: Opportunity) -> Mapping[str, object]:
    """The exposed facts of `opportunity` at the request's moment (one DataLoader batch per
    page for the stored ones)."""
    stored = await (await context.loaders()).facts.load(opportunity.id)
    return fact_values(
        stored_fact_values(stored),
        created_date=opportunity.created_date,
        moment=Moment(context.now),
    )
