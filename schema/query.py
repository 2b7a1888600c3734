"""The root Query type. Every field needs a principal (IsAuthenticated); what the principal
then sees is its visibility's (auth.visibility), applied by the repositories."""

from __future__ import annotations

from typing import Annotated, cast

import strawberry

from auth.permissions import IsAuthenticated
from resolvers import audit as resolve_audit
from resolvers import opportunities as resolve
from resolvers import status
from schema.alert_queries import AlertQueries
from schema.audit import AuditEntry
from schema.connection import After, OpportunityConnection, PageSize
from schema.inputs import OpportunityFilterInput, OpportunityOrderInput
from schema.milestones import MilestoneQueries
from schema.permissions import READS_ALERTS, READS_PIPELINE, query
from schema.severity_weights import SeverityWeightQueries
from schema.status import Me, SyncStatus
from schema.todo import TodoQueries
from schema.types import AuditFirst, Info, Opportunity, Stage
from store.queries import OpportunityFilter, Ordering

AUTHENTICATED = IsAuthenticated()


@strawberry.type
class Query(AlertQueries, MilestoneQueries, SeverityWeightQueries, TodoQueries):
    @query("The caller.", AUTHENTICATED)
    async def me(self, info: Info) -> Me:
        return cast("Me", await status.me(info.context))

    @query("The org's opportunity stages, by sort order.", AUTHENTICATED, READS_PIPELINE)
    async def stages(self, info: Info) -> list[Stage]:
        return cast("list[Stage]", await status.stages(info.context))

    @query(
        "An opportunity by id; null if it does not exist or is not visible.",
        AUTHENTICATED,
        READS_PIPELINE,
    )
    async def opportunity(self, info: Info, id: strawberry.ID) -> Opportunity | None:
        return cast("Opportunity | None", await resolve.opportunity_by_id(info.context, str(id)))

    @query(
        "An opportunity's audit trail (as Opportunity.auditLog), newest first; empty if it "
        "does not exist or is not visible.",
        AUTHENTICATED,
        READS_ALERTS,
    )
    async def audit_log(
        self,
        info: Info,
        opportunity_id: Annotated[
            strawberry.ID,
            strawberry.argument(
                description="The opportunity's Salesforce id (15 or 18 characters)."
            ),
        ],
        first: AuditFirst = resolve_audit.DEFAULT_FIRST,
    ) -> list[AuditEntry]:
        found = await resolve_audit.audit_log(info.context, str(opportunity_id), first)
        return cast("list[AuditEntry]", found)

    @query(
        "The opportunities the caller may see, one page at a time.", AUTHENTICATED, READS_PIPELINE
    )
    async def opportunities(
        self,
        info: Info,
        filter: OpportunityFilterInput | None = None,
        order_by: OpportunityOrderInput | None = None,
        first: PageSize = None,
        after: After = None,
    ) -> OpportunityConnection:
        page = await resolve.list_opportunities(
            info.context,
            filter.to_domain() if filter else OpportunityFilter(),
            order_by.to_domain() if order_by else Ordering(),
            first,
            after,
        )
        return cast("OpportunityConnection", page)

    @query("How fresh the mirror of the caller's org is.", AUTHENTICATED, READS_PIPELINE)
    async def sync_status(self, info: Info) -> SyncStatus:
        return cast("SyncStatus", await status.sync_status(info.context))
