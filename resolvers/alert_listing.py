"""Listing alerts: `Opportunity.alerts(kind, status)` (through a DataLoader) and the `alerts`
connection over the caller's visible opportunities, whose cursors are keysets (the alert's
opening time and id, store.alerts.AlertKey): an alert that opens between two pages shifts
nothing, unlike the offsets of the opportunities connection."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from starlette.concurrency import run_in_threadpool

from resolvers.context import RequestContext
from resolvers.errors import ClientError, InvalidCursorError
from resolvers.ids import normalize_id, opaque_id
from resolvers.loaders import AlertsKey
from resolvers.opportunities import MAX_FILTER_VALUES, page_size
from rules.process import VISIBLE_STATUSES, AlertKind, AlertStatus
from store import alerts
from store.alerts import AlertFilter, AlertKey, alert_key
from store.models import Opportunity
from store.process_models import Alert

_PREFIX = "alr1"
_BODY = re.compile(r"alr1:(?P<at>[0-9T:.+-]{19,40}):(?P<id>alert_[A-Za-z0-9_-]{20})")


@dataclass(frozen=True)
class AlertEdge:
    node: Alert
    cursor: str


@dataclass(frozen=True)
class AlertPage:
    edges: list[AlertEdge]
    has_next_page: bool
    has_previous_page: bool
    where: AlertFilter


def encode_alert_cursor(key: AlertKey) -> str:
    raw = f"{_PREFIX}:{key.at.isoformat()}:{key.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_alert_cursor(cursor: str) -> AlertKey:
    refused = InvalidCursorError("after: not a cursor of this connection", field="after")
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        raw = base64.urlsafe_b64decode(padded.encode("ascii")).decode("ascii")
    except (binascii.Error, UnicodeError, ValueError):
        raise refused from None
    match = _BODY.fullmatch(raw)
    if match is None:
        raise refused
    try:
        at = datetime.fromisoformat(match["at"])
        if at.tzinfo is None:
            raise refused
        # In UTC, as the store compares it: a forged 0001-01-01+14:00 has no UTC time.
        at = at.astimezone(UTC)
    except (ValueError, OverflowError):
        raise refused from None
    return AlertKey(at=at, id=match["id"])


def visible_statuses(statuses: Sequence[AlertStatus] | None) -> tuple[AlertStatus, ...]:
    """The statuses asked for, among those clients may see (PENDING alerts are not alerts
    yet: asking for them finds nothing); every visible one when none are given."""
    if statuses is None:
        return VISIBLE_STATUSES
    return tuple(s for s in VISIBLE_STATUSES if s in statuses)


async def opportunity_alerts(
    context: RequestContext,
    opportunity: Opportunity,
    kinds: Sequence[AlertKind] | None,
    statuses: Sequence[AlertStatus] | None,
) -> list[Alert]:
    key = AlertsKey(
        opportunity.id,
        None if kinds is None else frozenset(kinds),
        frozenset(visible_statuses(statuses)),
    )
    return await (await context.loaders()).alerts.load(key)


def _bounded(values: tuple[str, ...] | None, argument: str) -> tuple[str, ...] | None:
    # Each value is a bound SQL parameter (see resolvers.opportunities).
    if values is not None and len(values) > MAX_FILTER_VALUES:
        raise ClientError(f"{argument}: at most {MAX_FILTER_VALUES} values", field=argument)
    return values


def normalize_alert_filter(where: AlertFilter) -> AlertFilter:
    """Ids validated (a typo is an error, not an empty page), lists bounded, statuses
    limited to the visible ones."""
    owners = _bounded(where.owner_ids, "filter.ownerIds")
    rules = _bounded(where.rule_ids, "filter.ruleIds")
    return AlertFilter(
        kinds=where.kinds,
        severities=where.severities,
        statuses=visible_statuses(where.statuses),
        owner_ids=None
        if owners is None
        else tuple(normalize_id(i, argument="filter.ownerIds") for i in owners),
        rule_ids=None
        if rules is None
        else tuple(opaque_id(i, prefix="rule", argument="filter.ruleIds") for i in rules),
    )


async def list_alerts(
    context: RequestContext, where: AlertFilter, first: int | None, after: str | None
) -> AlertPage:
    limit = page_size(context, first)
    key = None if after is None else decode_alert_cursor(after)
    where = normalize_alert_filter(where)
    principal = await context.principal()
    page = await run_in_threadpool(
        alerts.list_alerts, context.engine, principal.visibility, where, limit, key
    )
    edges = [AlertEdge(row, encode_alert_cursor(alert_key(row))) for row in page.rows]
    return AlertPage(edges, page.has_next, key is not None, where)


async def count_alerts(context: RequestContext, where: AlertFilter) -> int:
    principal = await context.principal()
    return await run_in_threadpool(alerts.count_alerts, context.engine, principal.visibility, where)
