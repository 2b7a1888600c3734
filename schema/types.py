"""Object types. Each wraps a domain record; relations resolve through resolvers/ (DataLoaders)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types.field import StrawberryField

from resolvers import opportunities as resolve
from resolvers.context import RequestContext
from resolvers.fields import field_value
from resolvers.opportunities import StageChange
from schema.facts import opportunity_fact_fields
from store import models

Info = strawberry.Info[RequestContext, None]


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
    row: strawberry.Private[models.SfUser]

    @classmethod
    def from_row(cls, row: models.SfUser) -> User:
        return cls(
            id=strawberry.ID(row.id), name=row.name, email=row.email, title=row.title,
            is_active=row.is_active, row=row,
        )  # fmt: skip

    @described("The user's role in the Salesforce role hierarchy.")
    async def role(self, info: Info) -> str | None:
        return await resolve.role_name(info.context, self.row)

    @strawberry.field
    async def manager(self, info: Info) -> User | None:
        found = await resolve.user(info.context, self.row.manager_id)
        return None if found is None else User.from_row(found)


@strawberry.type
class Account:
    id: strawberry.ID
    name: str
    industry: str | None
    billing_country: str | None
    employees: int | None
    annual_revenue: Decimal | None

    @classmethod
    def from_row(cls, row: models.Account) -> Account:
        return cls(
            id=strawberry.ID(row.id), name=row.name, industry=row.industry,
            billing_country=row.billing_country, employees=row.number_of_employees,
            annual_revenue=row.annual_revenue,
        )  # fmt: skip


@strawberry.type
class Stage:
    name: str
    label: str
    sort_order: int
    is_active: bool
    is_closed: bool
    is_won: bool
    probability: float | None
    forecast_category: str | None

    @classmethod
    def from_row(cls, row: models.OpportunityStage) -> Stage:
        return cls(
            name=row.api_name, label=row.label, sort_order=row.sort_order,
            is_active=row.is_active, is_closed=row.is_closed, is_won=row.is_won,
            probability=row.default_probability, forecast_category=row.forecast_category_name,
        )  # fmt: skip


@strawberry.type(description="One entry into a stage, from OpportunityHistory.")
class StageHistoryEntry:
    stage: str
    entered_at: datetime | None
    amount: Decimal | None
    close_date: date | None

    @classmethod
    def from_change(cls, change: StageChange) -> StageHistoryEntry:
        return cls(
            stage=change.stage,
            entered_at=change.entered_at,
            amount=change.amount,
            close_date=change.close_date,
        )


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
    forecast_category: str | None
    is_closed: bool
    is_won: bool
    type: str | None
    lead_source: str | None
    next_step: str | None
    last_modified_at: datetime | None
    row: strawberry.Private[models.Opportunity]

    @classmethod
    def from_row(cls, row: models.Opportunity) -> Opportunity:
        return cls(
            id=strawberry.ID(row.id), name=row.name, amount=row.amount,
            close_date=row.close_date, probability=row.probability,
            forecast_category=row.forecast_category_name, is_closed=row.is_closed,
            is_won=row.is_won, type=row.type, lead_source=row.lead_source,
            next_step=row.next_step, last_modified_at=row.last_modified_date, row=row,
        )  # fmt: skip

    @strawberry.field
    async def stage(self, info: Info) -> Stage:
        found = await resolve.stage(info.context, self.row)
        if found is None:  # a stage the mirror does not know (yet): show its name
            name = self.row.stage_name
            return Stage(
                name=name, label=name, sort_order=0, is_active=False, is_closed=self.is_closed,
                is_won=self.is_won, probability=None, forecast_category=None,
            )  # fmt: skip
        return Stage.from_row(found)

    @strawberry.field
    async def account(self, info: Info) -> Account | None:
        found = await resolve.account(info.context, self.row)
        return None if found is None else Account.from_row(found)

    @strawberry.field
    async def owner(self, info: Info) -> User | None:
        found = await resolve.user(info.context, self.row.owner_id)
        return None if found is None else User.from_row(found)

    @described("OpportunityCompetitor names and the primary competitor.")
    async def competitors(self, info: Info) -> list[str]:
        return await resolve.competitors(info.context, self.row)

    # The derived facts, one field each, generated from rules.fact_registry (the class
    # namespace is a plain dict, so these are fields as if written out here).
    vars().update(opportunity_fact_fields())

    @described("Stage changes, oldest first.")
    async def history(self, info: Info) -> list[StageHistoryEntry]:
        changes = await resolve.history(info.context, self.row)
        return [StageHistoryEntry.from_change(change) for change in changes]

    @described("Any mirrored field by API name (case-insensitive).")
    async def field(self, info: Info, name: str) -> FieldValue:
        found = await field_value(info.context, self.row, name)
        return FieldValue(
            name=found.name, label=found.label, type=found.type, value=found.value,
            display_value=found.display_value,
        )  # fmt: skip

    @described("When the org's mirror this answer comes from was synced.")
    async def synced_at(self, info: Info) -> datetime | None:
        return await resolve.synced_at(info.context)
