"""The alert API's root query fields (the Query root inherits them)."""

from __future__ import annotations

from decimal import Decimal
from typing import cast

import strawberry
from strawberry import Parent

from auth.permissions import IsAuthenticated
from resolvers import alert_listing
from resolvers import alert_rules as rules
from resolvers import alerts as resolve
from schema.alert_connection import AlertConnection, AlertFilterInput
from schema.alert_inputs import PreviewAlertRuleInput
from schema.alerts import AlertRule
from schema.connection import After, PageSize
from schema.mutations.alert_rules import AlertRuleError, rule_errors
from schema.permissions import READS_ALERTS, query
from schema.types import Info, Opportunity
from services.alert_preview import PreviewMatch
from store.alerts import AlertFilter

AUTHENTICATED = IsAuthenticated()


@strawberry.type(description="One opportunity the previewed condition holds for.")
class AlertRulePreviewMatch:
    message: str | None = strawberry.field(
        description="The message rendered for it; null when no message was given."
    )

    @strawberry.field
    async def opportunity(self, info: Info, parent: Parent[PreviewMatch]) -> Opportunity | None:
        loaders = await info.context.loaders()
        return cast("Opportunity | None", await loaders.opportunities.load(parent.opportunity_id))


@strawberry.type(
    description="What a condition would fire on now, over the open opportunities the caller "
    "may see; null figures when it has errors (the same as saving would give)."
)
class AlertRulePreview:
    match_count: int | None = None
    amount: Decimal | None = strawberry.field(
        default=None, description="The total amount of the opportunities it holds for."
    )
    sample: list[AlertRulePreviewMatch] = strawberry.field(
        default_factory=list, description="Up to 10 of them, largest amount first."
    )
    errors: list[AlertRuleError]


@strawberry.type
class AlertQueries:
    @query(
        "The org's alert rules (retired ones too if asked), by name.", AUTHENTICATED, READS_ALERTS
    )
    async def alert_rules(self, info: Info, include_retired: bool = False) -> list[AlertRule]:
        found = await resolve.alert_rules_of_org(info.context, include_retired)
        return cast("list[AlertRule]", found)

    @query(
        "Alerts of the opportunities the caller may see, one page at a time.",
        AUTHENTICATED,
        READS_ALERTS,
    )
    async def alerts(
        self,
        info: Info,
        filter: AlertFilterInput | None = None,
        first: PageSize = None,
        after: After = None,
    ) -> AlertConnection:
        where = filter.to_domain() if filter else AlertFilter()
        page = await alert_listing.list_alerts(info.context, where, first, after)
        return cast("AlertConnection", page)

    @query(
        "What a rule's condition would fire on now (nothing is saved).", AUTHENTICATED, READS_ALERTS
    )
    async def preview_alert_rule(
        self, info: Info, input: PreviewAlertRuleInput
    ) -> AlertRulePreview:
        outcome = await rules.preview_alert_rule(info.context, input.condition, input.message)
        found = outcome.preview
        if found is None:
            return AlertRulePreview(errors=rule_errors(outcome.problems))
        return AlertRulePreview(
            match_count=found.match_count,
            amount=found.amount,
            sample=cast("list[AlertRulePreviewMatch]", found.sample),
            errors=[],
        )
