"""Object types. Each resolves from its domain record, the row itself (`strawberry.Parent`):
a field named like its column needs no code, a field whose GraphQL name differs from its
column is that column under another name (`strawberry.field(name=...)`), and relations and
computed fields resolve through resolvers/ (DataLoaders). Strawberry takes a field's GraphQL
type from its annotation only, so a resolver that returns a row where the type is expected
says so with `cast` (no object is built per row)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, cast

import strawberry
from strawberry import Parent
from strawberry.scalars import JSON
from strawberry.types.field import StrawberryField

from resolvers import alert_listing
from resolvers import audit as resolve_audit
from resolvers import milestones as resolve_milestones
from resolvers import opportunities as resolve
from resolvers.context import RequestContext
from resolvers.fields import field_value
from resolvers.loaders import AUDIT_LOG_DEPTH
from schema.enums import AlertKind, AlertStatus
from schema.facts import opportunity_fact_fields
from store import models

if TYPE_CHECKING:
    from schema.alerts import Alert
    from schema.audit import AuditEntry
    from schema.milestones import Health, OpportunityMilestone

Info = strawberry.Info[RequestContext, None]
# The sales process's types live in their own modules, which import this one.
MILESTONES = strawberry.lazy("schema.milestones")
# `first` of both auditLog fields (Opportunity.auditLog and the root query's).
AuditFirst = Annotated[
    int | None,
    strawberry.argument(description=f"How many of the newest entries: 1 to {AUDIT_LOG_DEPTH}."),
]


def described(text: str) -> Callable[[Callable[..., Any]], StrawberryField]:
    """`@described(...)`, typed (the keyword-only overload returns Any)."""
    return lambda resolver: strawberry.field(resolver, description=text)


@strawberry.type
class User:
    id: strawberry.ID
    name: str
    email: str | None
    title: str | None
    is_active: bool

    @described("The user's role in the Salesforce role hierarchy.")
    async def role(self, info: Info, parent: Parent[models.SfUser]) -> str | None:
        return await resolve.role_name(info.context, parent)

    @strawberry.field
    async def manager(self, info: Info, parent: Parent[models.SfUser]) -> User | None:
        return cast("User | None", await resolve.user(info.context, parent.manager_id))


@strawberry.type
class Account:
    id: strawberry.ID
    name: str
    industry: str | None
    billing_country: str | None
    number_of_employees: int | None = strawberry.field(name="employees")
    annual_revenue: Decimal | None


@strawberry.type
class Stage:
    api_name: str = strawberry.field(name="name")
    label: str
    sort_order: int
    is_active: bool
    is_closed: bool
    is_won: bool
    default_probability: float | None = strawberry.field(name="probability")
    forecast_category_name: str | None = strawberry.field(name="forecastCategory")


@strawberry.type(description="One entry into a stage, from OpportunityHistory.")
class StageHistoryEntry:
    stage_name: str = strawberry.field(name="stage")
    created_date: datetime | None = strawberry.field(name="enteredAt")
    amount: Decimal | None
    close_date: date | None


@strawberry.type
class FieldValue:
    name: str
    label: str
    type: str
    value: JSON | None
    display_value: str | None


@strawberry.type
class Opportunity:
    id: strawberry.ID
    name: str
    amount: Decimal | None
    close_date: date | None
    probability: float | None
    forecast_category_name: str | None = strawberry.field(name="forecastCategory")
    is_closed: bool
    is_won: bool
    type: str | None
    lead_source: str | None
    next_step: str | None
    last_modified_date: datetime | None = strawberry.field(name="lastModifiedAt")

    @strawberry.field
    async def stage(self, info: Info, parent: Parent[models.Opportunity]) -> Stage:
        return cast("Stage", await resolve.stage(info.context, parent))

    @strawberry.field
    async def account(self, info: Info, parent: Parent[models.Opportunity]) -> Account | None:
        return cast("Account | None", await resolve.account(info.context, parent))

    @strawberry.field
    async def owner(self, info: Info, parent: Parent[models.Opportunity]) -> User | None:
        return cast("User | None", await resolve.user(info.context, parent.owner_id))

    @described("OpportunityCompetitor names and the primary competitor.")
    async def competitors(self, info: Info, parent: Parent[models.Opportunity]) -> list[str]:
        return await resolve.competitors(info.context, parent)

    # The derived facts, one field each, generated from rules.fact_registry (the class
    # namespace is a plain dict, so these are fields as if written out here).
    vars().update(opportunity_fact_fields())

    @described("Stage changes, oldest first.")
    async def history(
        self, info: Info, parent: Parent[models.Opportunity]
    ) -> list[StageHistoryEntry]:
        return cast("list[StageHistoryEntry]", await resolve.history(info.context, parent))

    @described("Its alerts, newest first; by default of every status (PENDING is never shown).")
    async def alerts(
        self,
        info: Info,
        parent: Parent[models.Opportunity],
        kind: list[AlertKind] | None = None,
        status: list[AlertStatus] | None = None,
    ) -> list[Annotated[Alert, strawberry.lazy("schema.alerts")]]:
        found = await alert_listing.opportunity_alerts(info.context, parent, kind, status)
        return cast("list[Alert]", found)

    @described("Any mirrored field by API name (case-insensitive).")
    async def field(self, info: Info, parent: Parent[models.Opportunity], name: str) -> FieldValue:
        return cast("FieldValue", await field_value(info.context, parent, name))

    @described("Every active milestone of the org, in order, as it stands on this deal.")
    async def milestones(
        self, info: Info, parent: Parent[models.Opportunity]
    ) -> list[Annotated[OpportunityMilestone, MILESTONES]]:
        views = await resolve_milestones.opportunity_milestones(info.context, parent)
        return cast("list[OpportunityMilestone]", views)

    @described(
        "Its health as the last evaluation stored it (a closed deal: as it was when it "
        "closed); null before its first evaluation."
    )
    async def health(
        self, info: Info, parent: Parent[models.Opportunity]
    ) -> Annotated[Health, MILESTONES] | None:
        return cast("Health | None", await resolve_milestones.health(info.context, parent))

    @described(
        "Its audit trail: the writes people made to it through dealpulse, newest first "
        "(entries made at the same moment, one write's fields, in a stable order)."
    )
    async def audit_log(
        self,
        info: Info,
        parent: Parent[models.Opportunity],
        first: AuditFirst = resolve_audit.DEFAULT_FIRST,
    ) -> list[Annotated[AuditEntry, strawberry.lazy("schema.audit")]]:
        found = await resolve_audit.opportunity_audit_log(info.context, parent, first)
        return cast("list[AuditEntry]", found)

    @described("When the org's mirror this answer comes from was synced.")
    async def synced_at(self, info: Info) -> datetime | None:
        return await resolve.synced_at(info.context)
