"""The Relay connection of opportunities."""

from __future__ import annotations

import strawberry

from resolvers import opportunities as resolve
from resolvers.opportunities import Page
from schema.types import Info, Opportunity, described


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class OpportunityEdge:
    node: Opportunity
    cursor: str


@strawberry.type
class OpportunityConnection:
    edges: list[OpportunityEdge]
    page_info: PageInfo
    page: strawberry.Private[Page]

    @classmethod
    def from_page(cls, page: Page) -> OpportunityConnection:
        edges = [
            OpportunityEdge(node=Opportunity.from_row(e.node), cursor=e.cursor) for e in page.edges
        ]
        info = PageInfo(
            has_next_page=page.has_next_page,
            has_previous_page=page.has_previous_page,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        )
        return cls(edges=edges, page_info=info, page=page)

    @described("Opportunities matching the filter that the caller may see.")
    async def total_count(self, info: Info) -> int:
        return await resolve.count_opportunities(info.context, self.page.where)
