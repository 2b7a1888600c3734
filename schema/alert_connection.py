"""The alerts connection (`alerts(filter, first, after)`) and its filter; it resolves from
resolvers.alert_listing.AlertPage."""

from __future__ import annotations

from typing import Any, cast

import strawberry
from strawberry import Parent

from resolvers import alert_listing as resolve
from resolvers.alert_listing import AlertPage
from schema.alerts import Alert
from schema.connection import PageInfo
from schema.enums import AlertKind, AlertStatus, Severity
from schema.types import Info, described
from store.alerts import AlertFilter


def _ids(values: list[strawberry.ID] | None) -> tuple[str, ...] | None:
    return None if values is None else tuple(map(str, values))


def _members(values: list[Any] | None) -> tuple[Any, ...] | None:
    return None if values is None else tuple(values)


@strawberry.input(description="All given conditions must hold (AND); each list is an OR.")
class AlertFilterInput:
    kinds: list[AlertKind] | None = None
    severities: list[Severity] | None = None
    statuses: list[AlertStatus] | None = strawberry.field(
        default=None, description="Default: every status but PENDING (never shown)."
    )
    rule_ids: list[strawberry.ID] | None = None
    owner_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Owners of the opportunities the alerts are on."
    )

    def to_domain(self) -> AlertFilter:
        return AlertFilter(
            kinds=_members(self.kinds),
            severities=_members(self.severities),
            statuses=_members(self.statuses),
            rule_ids=_ids(self.rule_ids),
            owner_ids=_ids(self.owner_ids),
        )


@strawberry.type
class AlertEdge:
    node: Alert
    cursor: str


@strawberry.type(description="Alerts of the opportunities the caller may see.")
class AlertConnection:
    edges: list[AlertEdge]

    @strawberry.field
    def page_info(self, parent: Parent[AlertPage]) -> PageInfo:
        return cast("PageInfo", parent)

    @described("Alerts matching the filter that the caller may see.")
    async def total_count(self, info: Info, parent: Parent[AlertPage]) -> int:
        return await resolve.count_alerts(info.context, parent.where)
