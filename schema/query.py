"""The root Query type."""

from __future__ import annotations

from typing import Annotated, cast

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
        return cast("Me", await status.me(info.context))

    @described("The org's opportunity stages, by sort order.")
    async def stages(self, info: Info) -> list[Stage]:
        return cast("list[Stage]", await status.stages(info.context))

    @described("An opportunity by id; null if it does not exist or is not visible.")
    async def opportunity(self, info: Info, id: strawberry.ID) -> Opportunity | None:
        return cast("Opportunity | None", await resolve.opportunity_by_id(info.context, str(id)))

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
        return cast("OpportunityConnection", page)

    @described("How fresh the mirror of the caller's org is.")
    async def sync_status(self, info: Info) -> SyncStatus:
        return cast("SyncStatus", await status.sync_status(info.context))
