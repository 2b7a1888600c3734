"""Opportunity queries and the relations of an opportunity (all through DataLoaders)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from starlette.concurrency import run_in_threadpool

from resolvers.context import RequestContext
from resolvers.cursors import decode_cursor, encode_cursor
from resolvers.errors import ClientError, PageSizeError
from resolvers.ids import normalize_id
from resolvers.loaders import loader_call
from store import queries
from store.models import (
    AMOUNT,
    Account,
    Opportunity,
    OpportunityHistory,
    OpportunityStage,
    SfUser,
)
from store.queries import OpportunityFilter, Ordering

OPPORTUNITY_PREFIX = "006"
# The most values a list in a filter may hold (ids, stage names).
MAX_FILTER_VALUES = 500


@dataclass(frozen=True)
class Edge:
    node: Opportunity
    cursor: str


@dataclass(frozen=True)
class Page:
    edges: list[Edge]
    has_next_page: bool
    has_previous_page: bool
    where: OpportunityFilter


def page_size(context: RequestContext, first: int | None) -> int:
    limits = context.limits
    if first is None:
        return limits.default_page_size
    if first < 0 or first > limits.max_page_size:
        raise PageSizeError(f"first: must be between 0 and {limits.max_page_size}", field="first")
    return first


def _bounded(values: tuple[str, ...] | None, argument: str) -> tuple[str, ...] | None:
    # Each value is a bound SQL parameter: PostgreSQL refuses a statement with more than
    # 65,535, which would surface as a masked 500 instead of the client's error.
    if values is not None and len(values) > MAX_FILTER_VALUES:
        raise ClientError(f"{argument}: at most {MAX_FILTER_VALUES} values", field=argument)
    return values


def _amount_bound(value: Decimal | None, argument: str, rounding: str) -> Decimal | None:
    """A bound at the amount column's scale, rounded inward: amounts are whole cents, so
    `amount >= 100.005` means `amount >= 100.01` and `amount <= 100.005` `amount <= 100.00`."""
    if value is None:
        return None
    try:
        return AMOUNT.rounded(value, rounding)
    except ValueError:
        raise ClientError(
            f"{argument}: must be an amount from -{AMOUNT.largest} to {AMOUNT.largest}",
            field=argument,
        ) from None


def normalize_filter(where: OpportunityFilter) -> OpportunityFilter:
    """Validates the ids a filter names (so a typo is an error, not an empty page), bounds
    the length of its lists, and puts its amounts at the amount column's scale."""
    owners = _bounded(where.owner_ids, "filter.ownerIds")
    accounts = _bounded(where.account_ids, "filter.accountIds")
    _bounded(where.stage_names, "filter.stageNames")
    return OpportunityFilter(
        **{
            **where.__dict__,
            "amount_min": _amount_bound(where.amount_min, "filter.amountMin", ROUND_CEILING),
            "amount_max": _amount_bound(where.amount_max, "filter.amountMax", ROUND_FLOOR),
            "owner_ids": None
            if owners is None
            else tuple(normalize_id(i, argument="filter.ownerIds") for i in owners),
            "account_ids": None
            if accounts is None
            else tuple(normalize_id(i, argument="filter.accountIds") for i in accounts),
        }
    )


async def list_opportunities(
    context: RequestContext,
    where: OpportunityFilter,
    ordering: Ordering,
    first: int | None,
    after: str | None,
) -> Page:
    limit = page_size(context, first)
    offset = 0 if after is None else decode_cursor(after, ordering)
    where = normalize_filter(where)
    principal = await context.principal()
    page = await run_in_threadpool(
        queries.list_opportunities,
        context.engine,
        principal.visibility,
        where,
        ordering,
        limit=limit,
        offset=offset,
    )
    edges = [
        Edge(node=row, cursor=encode_cursor(ordering, offset + index))
        for index, row in enumerate(page.rows)
    ]
    return Page(edges, page.has_next, offset > 0, where)


async def count_opportunities(context: RequestContext, where: OpportunityFilter) -> int:
    principal = await context.principal()
    return await run_in_threadpool(
        queries.count_opportunities, context.engine, principal.visibility, where
    )


async def opportunity_by_id(context: RequestContext, opportunity_id: str) -> Opportunity | None:
    """The opportunity if it exists and the principal may see it, else None (never says which)."""
    normalized = normalize_id(opportunity_id, prefix=OPPORTUNITY_PREFIX)
    return await (await context.loaders()).opportunities.load(normalized)


async def account(context: RequestContext, opportunity: Opportunity) -> Account | None:
    return await loader_call((await context.loaders()).accounts, opportunity.account_id)


async def user(context: RequestContext, user_id: str | None) -> SfUser | None:
    return await loader_call((await context.loaders()).users, user_id)


async def role_name(context: RequestContext, sf_user: SfUser) -> str | None:
    role = await loader_call((await context.loaders()).roles, sf_user.user_role_id)
    return None if role is None else role.name


async def stage(context: RequestContext, opportunity: Opportunity) -> OpportunityStage:
    """The opportunity's stage; one the mirror does not know (yet) is shown by its name."""
    found = await (await context.loaders()).stages.load(opportunity.stage_name)
    if found is not None:
        return found
    name = opportunity.stage_name
    return OpportunityStage(
        org_id=opportunity.org_id, id="", api_name=name, label=name, sort_order=0,
        is_active=False, is_closed=opportunity.is_closed, is_won=opportunity.is_won,
    )  # fmt: skip


async def competitors(context: RequestContext, opportunity: Opportunity) -> list[str]:
    """OpportunityCompetitor names, plus the primary competitor field (Competitor__c)."""
    names = list(await (await context.loaders()).competitors.load(opportunity.id))
    primary = opportunity.fields.get("Competitor__c")
    if isinstance(primary, str) and primary and primary not in names:
        names.insert(0, primary)
    return names


def stage_changes(rows: list[OpportunityHistory]) -> list[OpportunityHistory]:
    """The history rows where the stage changed (the first row counts as entering a stage)."""
    changes: list[OpportunityHistory] = []
    previous: str | None = None
    for row in rows:
        if row.stage_name is None or row.stage_name == previous:
            continue
        previous = row.stage_name
        changes.append(row)
    return changes


async def history(context: RequestContext, opportunity: Opportunity) -> list[OpportunityHistory]:
    return stage_changes(await (await context.loaders()).history.load(opportunity.id))


async def synced_at(context: RequestContext) -> datetime | None:
    return (await context.session()).synced_at
