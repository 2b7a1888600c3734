"""The rep's to-do list (`todo(ownerId, first, after)`): one owner's open opportunities with
open fix-alerts, by priority (rules.todo), each with the editor metadata of its fix fields.

Who may ask: for oneself; a manager for anyone below it in the role hierarchy; an admin for
anyone. Anyone else gets a top-level FORBIDDEN. The whole list is read in three statements
(store.todo), scored and sorted here, and paged in memory by a keyset cursor over (score, id):
a score computed at read time cannot be a stored keyset, and a rep has hundreds of items at
most. An item whose score changed between two pages moves like any keyset row does.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from decimal import Decimal
from typing import Any

from starlette.concurrency import run_in_threadpool

from auth.permissions import PermissionRefused
from resolvers.context import RequestContext
from resolvers.errors import InvalidCursorError
from resolvers.ids import normalize_id
from resolvers.opportunities import page_size
from rules.field_specs import FieldSpec, field_specs
from rules.process import Severity
from rules.todo import priority
from store import todo
from store.models import Opportunity
from store.process_models import Alert

USER_PREFIX = "005"
_PREFIX = "todo1"
_BODY = re.compile(r"todo1:(?P<score>-?\d{1,9}):(?P<id>[A-Za-z0-9]{18})")


@dataclass(frozen=True)
class FixField:
    spec: FieldSpec
    current_value: Any


@dataclass(frozen=True)
class TodoItem:
    opportunity: Opportunity
    alerts: list[Alert]
    fix_fields: list[FixField]
    priority: int
    reasons: list[str]
    last_modified_at: datetime | None


@dataclass(frozen=True)
class TodoEdge:
    node: TodoItem
    cursor: str


@dataclass(frozen=True)
class SeverityCount:
    severity: Severity
    count: int


@dataclass(frozen=True)
class TodoSummary:
    total: int
    amount: Decimal
    by_severity: list[SeverityCount]


@dataclass(frozen=True)
class TodoPage:
    edges: list[TodoEdge]
    has_next_page: bool
    has_previous_page: bool
    total_count: int
    summary: TodoSummary

    @property
    def remaining_todo_count(self) -> int:
        return self.total_count


def encode_todo_cursor(score: int, opportunity_id: str) -> str:
    raw = f"{_PREFIX}:{score}:{opportunity_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_todo_cursor(cursor: str) -> tuple[int, str]:
    refused = InvalidCursorError("after: not a cursor of this connection", field="after")
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        raw = base64.urlsafe_b64decode(padded.encode("ascii")).decode("ascii")
    except (binascii.Error, UnicodeError, ValueError):
        raise refused from None
    match = _BODY.fullmatch(raw)
    if match is None:
        raise refused
    return int(match["score"]), match["id"]


def _fix_fields(row: todo.TodoRow, specs: Mapping[str, FieldSpec]) -> list[FixField]:
    """The union of the alerts' fix fields in first-named order (alerts oldest first); a
    field the describe does not know (yet) is left out: no editor can be built for it."""
    names = dict.fromkeys(name for item in row.alerts for name in item.fix_fields)
    values = row.opportunity.fields
    return [FixField(specs[name], values.get(name)) for name in names if name in specs]


def build_items(found: todo.TodoRows, zone: tzinfo, now: datetime) -> list[TodoItem]:
    """Every item scored, best first (score desc, then opportunity id)."""
    specs = field_specs(found.describe)
    today = now.astimezone(zone).date()
    items = []
    for row in found.rows:
        opportunity = row.opportunity
        opened = [a.alert.opened_at for a in row.alerts if a.alert.opened_at is not None]
        ranked = priority(
            severities=[a.severity for a in row.alerts],
            amount=opportunity.amount,
            close_date=opportunity.close_date,
            oldest_opened_at=min(opened, default=None),
            today=today,
            now=now,
            weights=found.weights,
        )
        items.append(
            TodoItem(
                opportunity=opportunity,
                alerts=[a.alert for a in row.alerts],
                fix_fields=_fix_fields(row, specs),
                priority=ranked.score,
                reasons=list(ranked.reasons),
                last_modified_at=opportunity.last_modified_date,
            )
        )
    items.sort(key=lambda item: (-item.priority, item.opportunity.id))
    return items


def summarize(found: todo.TodoRows) -> TodoSummary:
    severities = [a.severity for row in found.rows for a in row.alerts]
    amount = sum(
        (row.opportunity.amount for row in found.rows if row.opportunity.amount is not None),
        Decimal("0.00"),
    )
    counts = [SeverityCount(s, severities.count(s)) for s in reversed(Severity)]
    return TodoSummary(
        total=len(severities),
        amount=amount,
        by_severity=[c for c in counts if c.count],
    )


async def todo_list(
    context: RequestContext, owner_id: str | None, first: int | None, after: str | None
) -> TodoPage:
    limit = page_size(context, first)
    key = None if after is None else decode_todo_cursor(after)
    principal = await context.principal()
    if owner_id is None and principal.user_id is None:
        raise PermissionRefused("ownerId: a client acting as no user must name the owner")
    owner = (
        principal.acting_user_id
        if owner_id is None
        else normalize_id(owner_id, prefix=USER_PREFIX, argument="ownerId")
    )
    visible = principal.visibility.owner_ids
    if visible is not None and owner not in visible:
        raise PermissionRefused(
            "ownerId: you may see the to-do list of yourself and of users below you in the "
            "role hierarchy only"
        )
    found = await run_in_threadpool(todo.todo_rows, context.engine, principal.visibility, owner)
    items = build_items(found, principal.zone, context.now)
    start = 0
    if key is not None:
        score, last_id = key
        start = next(
            (
                i
                for i, item in enumerate(items)
                if (-item.priority, item.opportunity.id) > (-score, last_id)
            ),
            len(items),
        )
    page = items[start : start + limit]
    edges = [TodoEdge(i, encode_todo_cursor(i.priority, i.opportunity.id)) for i in page]
    return TodoPage(
        edges=edges,
        has_next_page=start + limit < len(items),
        has_previous_page=key is not None,
        total_count=len(items),
        summary=summarize(found),
    )
