"""snoozeAlert, unsnoozeAlert and dismissAlert: a rep defers an alert or sets an informative
one aside (resolvers.alert_actions; the rules in rules.alert_actions)."""

from __future__ import annotations

from datetime import datetime
from typing import cast

import strawberry

from auth.permissions import IsAuthenticated
from resolvers import alert_actions as resolve
from schema.alerts import Alert
from schema.enums import DismissAlertErrorCode, SnoozeAlertErrorCode, UnsnoozeAlertErrorCode
from schema.errors import Error
from schema.permissions import WRITES_ALERTS, mutation
from schema.types import Info

SIGNED_IN = IsAuthenticated()


@strawberry.input(description="An alert to snooze.")
class SnoozeAlertInput:
    alert_id: strawberry.ID
    until: datetime = strawberry.field(
        description="When the snooze ends, with its offset; in the future, at most 90 days ahead."
    )
    reason: str = strawberry.field(description="Why (required; at most 1,000 characters).")


@strawberry.input(description="A snoozed alert to open again now.")
class UnsnoozeAlertInput:
    alert_id: strawberry.ID


@strawberry.input(description="An informative alert to dismiss.")
class DismissAlertInput:
    alert_id: strawberry.ID
    reason: str = strawberry.field(description="Why (required; at most 1,000 characters).")


@strawberry.type(description="Why an alert was not snoozed.")
class SnoozeAlertError(Error):
    code: SnoozeAlertErrorCode


@strawberry.type(description="Why an alert was not unsnoozed.")
class UnsnoozeAlertError(Error):
    code: UnsnoozeAlertErrorCode


@strawberry.type(description="Why an alert was not dismissed.")
class DismissAlertError(Error):
    code: DismissAlertErrorCode


@strawberry.type
class SnoozeAlertPayload:
    alert: Alert | None = None
    errors: list[SnoozeAlertError]


@strawberry.type
class UnsnoozeAlertPayload:
    alert: Alert | None = None
    errors: list[UnsnoozeAlertError]


@strawberry.type
class DismissAlertPayload:
    alert: Alert | None = None
    errors: list[DismissAlertError]


@strawberry.type
class AlertActionMutations:
    @mutation(
        "Snooze an open (or snoozed) alert on an opportunity the caller may work on: it leaves "
        "the to-do list until `until`, then re-opens if its condition still holds. It still "
        "counts against health. Audited.",
        SIGNED_IN,
        WRITES_ALERTS,
    )
    async def snooze_alert(self, info: Info, input: SnoozeAlertInput) -> SnoozeAlertPayload:
        alert = await resolve.snooze_alert(
            info.context, str(input.alert_id), input.until, input.reason
        )
        return SnoozeAlertPayload(alert=cast("Alert", alert), errors=[])

    @mutation("Open a snoozed alert again now. Audited.", SIGNED_IN, WRITES_ALERTS)
    async def unsnooze_alert(self, info: Info, input: UnsnoozeAlertInput) -> UnsnoozeAlertPayload:
        alert = await resolve.unsnooze_alert(info.context, str(input.alert_id))
        return UnsnoozeAlertPayload(alert=cast("Alert", alert), errors=[])

    @mutation(
        "Dismiss an informative alert (fix-alerts cannot be dismissed: fix or snooze them); "
        "it stops counting against health, and stays dismissed while its condition holds. "
        "Audited.",
        SIGNED_IN,
        WRITES_ALERTS,
    )
    async def dismiss_alert(self, info: Info, input: DismissAlertInput) -> DismissAlertPayload:
        alert = await resolve.dismiss_alert(info.context, str(input.alert_id), input.reason)
        return DismissAlertPayload(alert=cast("Alert", alert), errors=[])
