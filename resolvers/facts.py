"""Derived facts as the API shows them: the stored facts of rules.fact_registry plus the ones it
computes at read time (day counts, so they never go stale between syncs), in calendar days of
the org's time zone."""

from __future__ import annotations

from resolvers.context import RequestContext
from rules.fact_registry import Fact, Moment, fact_value
from store.models import Opportunity, StoredFactValues


async def fact(context: RequestContext, opportunity: Opportunity, fact: Fact) -> object:
    """One fact of `opportunity` at the request's moment (the stored facts of a page come in
    one DataLoader batch)."""
    session = await context.session()
    stored = await session.loaders.facts.load(opportunity.id)
    return fact_value(
        fact, StoredFactValues(stored), created_date=opportunity.created_date,
        moment=Moment(context.now, tz=session.principal.zone),
    )  # fmt: skip
