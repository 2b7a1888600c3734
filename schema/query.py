"""The root Query type."""

from __future__ import annotations

from typing import Annotated

import strawberry

from resolvers import opportunities as resolve
from resolvers import status
from schema.connection import OpportunityConnection
from schema.inputs import OpportunityFilterInput, OpportunityOrderInput
from schema.status import Me, SyncStatus
from schema.types import Info, Opportunity, Stage, described
from store.queries import OpportunityFilter, Ordering


@strawberry.type
class Query:
    @described("The caller.")
    async def me(self, info: Info) -> Me:
        return Me.from_viewer(await status.me(info.context))

    @described("The org's opportunity stages, by sort order.")
    async def stages(self, info: Info) -> list[Stage]:
        return [Stage.from_row(row) for row in await status.stages(info.context)]

    @described("An opportunity by id; null if it does not exist or is not visible.")
    async def opportunity(self, info: Info, id: strawberry.ID) -> Opportunity | None:
        row = await resolve.opportunity_by_id(info.context, str(id))
        return None if row is None else Opportunity.from_row(row)

    @described("The opportunities the caller may see, one page at a time.")
    async def opportunities(
        self,
        info: Info,
        filter: OpportunityFilterInput | None = None,
        order_by: OpportunityOrderInput | None = None,
        first: Annotated[
            int | None, strawberry.argument(description="Page size; the server bounds it.")
        ] = None,
        after: Annotated[
            str | None, strawberry.argument(description="The endCursor of the previous page.")
        ] = None,
    ) -> OpportunityConnection:
        page = await resolve.list_opportunities(
            info.context,
            filter.to_domain() if filter else OpportunityFilter(),
            order_by.to_domain() if order_by else Ordering(),
            first,
            after,
        )
        return OpportunityConnection.from_page(page)

    @described("How fresh the mirror of the caller's org is.")
    async def sync_status(self, info: Info) -> SyncStatus:
        return SyncStatus.from_view(await status.sync_status(info.context))
