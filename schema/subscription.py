"""The root Subscription type (graphql-transport-ws; the client authenticates in
`connection_init` with `{"Authorization": "Bearer <token>"}`, or with an `Authorization`
header on the upgrade request)."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry
from strawberry.permission import PermissionExtension

from resolvers import alert_feed
from schema.alerts import Alert
from schema.enums import AlertChangeKind
from schema.permissions import READS_ALERTS
from schema.types import Info, Opportunity


@strawberry.type(description="One change of an alert, as it happens.")
class AlertChange:
    change: AlertChangeKind
    alert: Alert = strawberry.field(description="The alert as it is after the change.")
    opportunity: Opportunity | None = strawberry.field(
        description="Its opportunity; null when it is no longer in the mirror (deleted)."
    )


@strawberry.type
class Subscription:
    @strawberry.subscription(  # type: ignore[untyped-decorator]
        extensions=[PermissionExtension(permissions=[READS_ALERTS], use_directives=False)],
        description="Alerts opened, resolved, snoozed, re-opened and dismissed on the "
        "opportunities the caller can see (its own, those of everyone below it in the role "
        "hierarchy, or every one for an admin), from now on; `ownerId` narrows them to one "
        "owner the caller can see (FORBIDDEN otherwise). A subscriber that falls 1,000 "
        "changes behind is cut off with an error: read the to-do list again and resubscribe.",
    )
    async def alerts_changed(
        self, info: Info, owner_id: strawberry.ID | None = None
    ) -> AsyncGenerator[AlertChange, None]:
        async for changed in alert_feed.alerts_changed(info.context, owner_id):
            yield AlertChange(
                change=changed.change,
                alert=changed.alert,  # type: ignore[arg-type]  # resolved from its row
                opportunity=changed.opportunity,  # type: ignore[arg-type]
            )
