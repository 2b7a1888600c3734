from __future__ import annotations

from datetime import date
from decimal import Decimal

import strawberry

from schema.enums import SortDirection, SortField
from store.queries import OpportunityFilter, Ordering


@strawberry.input(description="All given conditions must hold (AND).")
class OpportunityFilterInput:
    owner_ids: list[strawberry.ID] | None = None
    stage_names: list[str] | None = None
    is_closed: bool | None = strawberry.field(
        default=None, description="true: closed deals only; false: open deals only."
    )
    is_won: bool | None = None
    close_date_from: date | None = strawberry.field(default=None, description="Inclusive.")
    close_date_to: date | None = strawberry.field(default=None, description="Inclusive.")
    amount_min: Decimal | None = strawberry.field(default=None, description="Inclusive.")
    amount_max: Decimal | None = strawberry.field(default=None, description="Inclusive.")
    account_ids: list[strawberry.ID] | None = None
    competitor: str | None = strawberry.field(
        default=None,
        description="A competitor named on the deal (OpportunityCompetitor or Competitor__c).",
    )

    def to_domain(self) -> OpportunityFilter:
        return OpportunityFilter(
            owner_ids=None if self.owner_ids is None else tuple(map(str, self.owner_ids)),
            stage_names=None if self.stage_names is None else tuple(self.stage_names),
            is_closed=self.is_closed,
            is_won=self.is_won,
            close_date_from=self.close_date_from,
            close_date_to=self.close_date_to,
            amount_min=self.amount_min,
            amount_max=self.amount_max,
            account_ids=None if self.account_ids is None else tuple(map(str, self.account_ids)),
            competitor=self.competitor,
        )


@strawberry.input(description="Ties are broken by id, in the same direction.")
class OpportunityOrderInput:
    field: SortField = SortField.LAST_MODIFIED
    direction: SortDirection = SortDirection.DESC

    def to_domain(self) -> Ordering:
        return Ordering.by(self.field, self.direction)
