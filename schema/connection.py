"""The Relay connection of opportunities: it resolves from resolvers.opportunities.Page."""

from __future__ import annotations

from typing import Annotated, cast

import strawberry
from strawberry import Parent

from resolvers import opportunities as resolve
from resolvers.opportunities import Page
from schema.types import Info, Opportunity, described

# The paging arguments of every connection field.
PageSize = Annotated[
    int | None, strawberry.argument(description="Page size; the server bounds it.")
]
After = Annotated[
    str | None, strawberry.argument(description="The endCursor of the previous page.")
]


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool

    @strawberry.field
    def start_cursor(self, parent: Parent[Page]) -> str | None:
        return parent.edges[0].cursor if parent.edges else None

    @strawberry.field
    def end_cursor(self, parent: Parent[Page]) -> str | None:
        return parent.edges[-1].cursor if parent.edges else None


@strawberry.type
class OpportunityEdge:
    node: Opportunity
    cursor: str


@strawberry.type
class OpportunityConnection:
    edges: list[OpportunityEdge]

    @strawberry.field
    def page_info(self, parent: Parent[Page]) -> PageInfo:
        return cast("PageInfo", parent)

    @described("Opportunities matching the filter that the caller may see.")
    async def total_count(self, info: Info, parent: Parent[Page]) -> int:
        return await resolve.count_opportunities(info.context, parent.where)
