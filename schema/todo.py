"""The rep's to-do list: `todo(ownerId, first, after)` and its connection, resolved from
resolvers.todo.TodoPage. How an item's priority is scored is rules.todo's (and the README's)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import cast

import strawberry
from strawberry import Parent
from strawberry.scalars import JSON

from auth.permissions import IsAuthenticated
from resolvers import todo as resolve
from resolvers.todo import FixField, TodoItem, TodoPage, TodoSummary
from schema.alerts import Alert
from schema.connection import After, PageInfo, PageSize
from schema.enums import Severity
from schema.permissions import READS_ALERTS, query
from schema.types import Info, Opportunity, described

AUTHENTICATED = IsAuthenticated()


@strawberry.type(description="An active picklist value, in the describe's order.")
class TodoPicklistValue:
    value: str
    label: str


@strawberry.type(
    name="TodoFixField",
    description="A field to fix, with what an inline editor needs (from the org's describe).",
)
class TodoFixField:
    @described("The field's API name.")
    def name(self, parent: Parent[FixField]) -> str:
        return parent.spec.name

    @strawberry.field
    def label(self, parent: Parent[FixField]) -> str:
        return parent.spec.label

    @described("The describe's type: string, picklist, date, currency...")
    def type(self, parent: Parent[FixField]) -> str:
        return parent.spec.type

    @described("The mirror's value, as the Salesforce REST API gives it.")
    def current_value(self, parent: Parent[FixField]) -> JSON | None:
        return cast("JSON | None", parent.current_value)

    @described("Not nillable and not defaulted on create (a checkbox never is).")
    def required(self, parent: Parent[FixField]) -> bool:
        return parent.spec.required

    @strawberry.field
    def updateable(self, parent: Parent[FixField]) -> bool:
        return parent.spec.updateable

    @described("Text length; null when it does not apply.")
    def length(self, parent: Parent[FixField]) -> int | None:
        return parent.spec.length

    @described("Digits in all, for numbers; null when it does not apply.")
    def precision(self, parent: Parent[FixField]) -> int | None:
        return parent.spec.precision

    @described("Digits after the point, for numbers.")
    def scale(self, parent: Parent[FixField]) -> int | None:
        return parent.spec.scale

    @described("The field's inline help text, if it has one.")
    def help_text(self, parent: Parent[FixField]) -> str | None:
        return parent.spec.help_text

    @described("Active values only, in order; empty for other types.")
    def picklist_values(self, parent: Parent[FixField]) -> list[TodoPicklistValue]:
        return cast("list[TodoPicklistValue]", list(parent.spec.picklist_values))


@strawberry.type(name="TodoItem", description="One opportunity with open fix-alerts.")
class TodoItemType:
    opportunity: Opportunity
    alerts: list[Alert] = strawberry.field(description="Its open fix-alerts, oldest first.")
    fix_fields: list[TodoFixField] = strawberry.field(
        description="The fields its alerts name, first named first."
    )
    priority: int = strawberry.field(
        description="The score the list is ordered by: severity weights of its open "
        "fix-alerts + 1 per 10,000 of amount (at most 20) + up to 15 as the close date nears "
        "(in the org's time zone) + 1 per 3 days its oldest alert has been open (at most 10)."
    )
    reasons: list[str] = strawberry.field(description="What gave it its score, in words.")
    last_modified_at: datetime | None = strawberry.field(
        description="The opportunity's LastModifiedDate: send it back with a quick-fix."
    )


@strawberry.type(name="TodoSeverityCount")
class TodoSeverityCount:
    severity: Severity
    count: int


@strawberry.type(name="TodoSummary", description="The whole list, not only the page.")
class TodoSummaryType:
    total: int = strawberry.field(description="Open fix-alerts in the list.")
    amount: Decimal = strawberry.field(description="The items' amounts, summed.")
    by_severity: list[TodoSeverityCount] = strawberry.field(
        description="Alerts per severity, most severe first (severities with none left out)."
    )


@strawberry.type(name="TodoEdge")
class TodoEdge:
    cursor: str

    @strawberry.field
    def node(self, parent: Parent[resolve.TodoEdge]) -> TodoItemType:
        return cast("TodoItemType", parent.node)


@strawberry.type(description="A to-do list, by priority (highest first, then opportunity id).")
class TodoConnection:
    edges: list[TodoEdge]
    total_count: int = strawberry.field(description="Items (opportunities) in the list.")
    remaining_todo_count: int = strawberry.field(description="The same: items left to fix.")

    @strawberry.field
    def page_info(self, parent: Parent[TodoPage]) -> PageInfo:
        return cast("PageInfo", parent)

    @strawberry.field
    def summary(self, parent: Parent[TodoPage]) -> TodoSummaryType:
        return cast("TodoSummaryType", parent.summary)


@strawberry.type
class TodoQueries:
    @query(
        "A to-do list: the open opportunities of `ownerId` (default: the caller) with open "
        "FIX_REQUIRED alerts. Yourself, users below you in the role hierarchy, or anyone for "
        "an admin; otherwise FORBIDDEN.",
        AUTHENTICATED,
        READS_ALERTS,
    )
    async def todo(
        self,
        info: Info,
        owner_id: strawberry.ID | None = None,
        first: PageSize = None,
        after: After = None,
    ) -> TodoConnection:
        page = await resolve.todo_list(
            info.context, None if owner_id is None else str(owner_id), first, after
        )
        return cast("TodoConnection", page)


__all__ = ["TodoItem", "TodoQueries", "TodoSummary"]
