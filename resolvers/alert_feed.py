"""`alertsChanged`: the alert changes of the org as they happen, narrowed to what the
subscriber may see (auth.visibility: its own opportunities, those of everyone below it in the
role hierarchy, or all of them for an admin), and to one owner when asked.

The subscriber's principal is resolved once, when it subscribes. Each event's alert and
opportunity are read fresh (two statements per event delivered): a subscription lives for
hours, so nothing of it is cached (the request's DataLoaders would serve stale rows).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool

from auth.permissions import PermissionRefused
from auth.visibility import AccessLevel
from resolvers.context import RequestContext
from resolvers.errors import ClientError
from resolvers.ids import normalize_id
from rules.process import AlertChangeKind
from services.alert_events import AlertChangeEvent
from store import queries
from store.alert_feed import alerts_by_ids
from store.models import Opportunity
from store.process_models import Alert


class LiveUpdatesUnavailable(ClientError):
    code = "UNAVAILABLE"


@dataclass(frozen=True)
class AlertChanged:
    change: AlertChangeKind
    alert: Alert
    opportunity: Opportunity | None  # None: no longer in the mirror (deleted in Salesforce)


def _followed_owners(
    principal_owners: frozenset[str] | None, owner_id: str | None
) -> set[str] | None:
    """The owners whose events the subscriber gets (None: every owner)."""
    if owner_id is None:
        return None if principal_owners is None else set(principal_owners)
    if principal_owners is not None and owner_id not in principal_owners:
        raise PermissionRefused(
            "you may follow your own alerts and those of the people below you in the role hierarchy"
        )
    return {owner_id}


async def _delivered(context: RequestContext, event: AlertChangeEvent) -> AlertChanged | None:
    principal = await context.principal()
    alerts = await run_in_threadpool(alerts_by_ids, context.engine, event.org_id, [event.alert_id])
    alert = alerts.get(event.alert_id)
    if alert is None:  # a PENDING row dropped meanwhile: nothing to show
        return None
    found = await run_in_threadpool(
        queries.opportunities_by_ids, context.engine, principal.visibility, [event.opportunity_id]
    )
    return AlertChanged(event.change, alert, found.get(event.opportunity_id))


async def alerts_changed(
    context: RequestContext, owner_id: str | None
) -> AsyncIterator[AlertChanged]:
    """The changes the subscriber may see, from now on, until it leaves."""
    principal = await context.principal()
    wanted = None if owner_id is None else normalize_id(owner_id, argument="ownerId")
    visible = None if principal.access is AccessLevel.ADMIN else principal.visibility.owner_ids
    owners = _followed_owners(visible, wanted)
    if context.alert_events is None:
        raise LiveUpdatesUnavailable("live updates are not served by this endpoint")
    async with context.alert_events.subscribe(principal.org_id) as events:
        async for event in events:
            if owners is not None and event.owner_id not in owners:
                continue
            delivered = await _delivered(context, event)
            if delivered is not None:
                yield delivered
