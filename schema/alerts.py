"""Alert rules and alerts as GraphQL types. Each resolves from its stored row
(store.process_models.AlertRule / Alert, `strawberry.Parent`); what an alert says of its rule
(kind, severity, recommendation, fix fields) is the rule version that opened it (or that it
was re-pointed at when only the wording changed), through per-request DataLoaders."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import cast

import strawberry
from strawberry import Parent

from auth.permissions import IsAdmin
from resolvers import alerts as resolve
from schema.enums import AlertKind, AlertStatus, Resolution, RuleOrigin, Severity
from schema.permissions import query as guarded_field
from schema.types import Info, Opportunity, User, described
from store.process_models import Alert as AlertRow
from store.process_models import AlertRule as AlertRuleRow


@strawberry.type(description="A field of the opportunity that a fix-required alert asks for.")
class FixField:
    name: str = strawberry.field(description="The Opportunity field's API name.")


def fix_fields(names: list[str]) -> list[FixField]:
    return [FixField(name=name) for name in names]


@strawberry.type(
    description="How a rule fared in the last evaluation pass over every open opportunity "
    "(admins only; a pass over the few deals a sync or a write touched records only a rule "
    "that could not be evaluated at all)."
)
class AlertRuleHealth:
    open_alerts: int = strawberry.field(description="Its OPEN and SNOOZED alerts.")
    pipeline_amount: Decimal = strawberry.field(
        description="The total amount of the opportunities those alerts are on."
    )
    last_evaluated_at: datetime | None = strawberry.field(
        description="When that pass ran; null before the first."
    )
    last_error: str | None = strawberry.field(
        description="Why the last pass could not evaluate it (its alerts were kept), or how "
        "many records evaluated to #Error!; null when all went well."
    )
    error_count: int = strawberry.field(
        description="Records whose condition evaluated to #Error! in the last pass."
    )


@strawberry.type(
    description="A condition over open opportunities that opens an alert on each one it "
    "holds for. Versioned: every edit is a new `version` under the same `id`."
)
class AlertRule:
    id: strawberry.ID
    name: str
    kind: AlertKind
    severity: Severity
    condition: str = strawberry.field(description="A checkbox formula (Salesforce syntax).")
    message: str = strawberry.field(description="The message template, with {!merge} fields.")
    recommendation: str | None
    hold_seconds: int = strawberry.field(
        description="How long the condition must hold before an alert opens."
    )
    active: bool
    origin: RuleOrigin
    version: int
    created_at: datetime | None
    updated_at: datetime | None
    retired_at: datetime | None

    @described("The fields a rep must correct.")
    def fix_fields(self, parent: Parent[AlertRuleRow]) -> list[FixField]:
        return fix_fields(parent.fix_fields)

    @described("Who last edited it.")
    async def author(self, info: Info, parent: Parent[AlertRuleRow]) -> User | None:
        return cast("User | None", await resolve.author(info.context, parent))

    @guarded_field("Its open alerts and the last evaluation (admins only).", IsAdmin())
    async def health(self, info: Info, parent: Parent[AlertRuleRow]) -> AlertRuleHealth | None:
        return cast("AlertRuleHealth", await resolve.rule_health(info.context, parent))


@strawberry.type(description="One rule firing on one opportunity, from open to resolved.")
class Alert:
    id: strawberry.ID
    status: AlertStatus
    message: str = strawberry.field(description="The rule's message rendered for the deal.")
    rule_version: int = strawberry.field(description="The rule version the alert follows.")
    opened_at: datetime | None
    snoozed_until: datetime | None = strawberry.field(
        description="Until when it is snoozed (SNOOZED only): evaluation re-opens it then if "
        "its condition still holds. A snoozed alert still counts against health."
    )
    snooze_reason: str | None = strawberry.field(
        description="Why it was last snoozed (kept after the snooze ends)."
    )
    dismissed_at: datetime | None
    dismiss_reason: str | None = strawberry.field(description="Why it was dismissed.")
    resolved_at: datetime | None
    resolution: Resolution | None

    @strawberry.field
    async def rule(self, info: Info, parent: Parent[AlertRow]) -> AlertRule:
        return cast("AlertRule", await resolve.rule(info.context, parent))

    @strawberry.field
    async def kind(self, info: Info, parent: Parent[AlertRow]) -> AlertKind:
        return AlertKind[(await resolve.version(info.context, parent)).kind]

    @strawberry.field
    async def severity(self, info: Info, parent: Parent[AlertRow]) -> Severity:
        return Severity[(await resolve.version(info.context, parent)).severity]

    @strawberry.field
    async def recommendation(self, info: Info, parent: Parent[AlertRow]) -> str | None:
        return (await resolve.version(info.context, parent)).recommendation

    @described("The fields a rep must correct (empty for informative alerts).")
    async def fix_fields(self, info: Info, parent: Parent[AlertRow]) -> list[FixField]:
        return fix_fields((await resolve.version(info.context, parent)).fix_fields)

    @described("The opportunity; null if the caller may no longer see it.")
    async def opportunity(self, info: Info, parent: Parent[AlertRow]) -> Opportunity | None:
        return cast("Opportunity | None", await resolve.opportunity(info.context, parent))
