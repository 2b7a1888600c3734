"""The audit trail as a GraphQL type: `AuditEntry` resolves from its stored row
(store.write_models.AuditEntry, `strawberry.Parent`); its user through the request's user
DataLoader."""

from __future__ import annotations

from datetime import datetime
from typing import cast

import strawberry
from strawberry import Parent
from strawberry.scalars import JSON

from resolvers import opportunities as resolve
from schema.enums import AuditAction, AuditOutcome
from schema.types import Info, User
from store.write_models import AuditEntry as AuditEntryRow


# Resolvers as functions, so the fields keep, in the SDL, the order the type is read in.
async def _user(info: Info, parent: Parent[AuditEntryRow]) -> User | None:
    return cast("User | None", await resolve.user(info.context, parent.user_id))


def _action(parent: Parent[AuditEntryRow]) -> AuditAction:
    return AuditAction[parent.action]


def _outcome(parent: Parent[AuditEntryRow]) -> AuditOutcome:
    return AuditOutcome[parent.outcome]


@strawberry.type(
    description="One attempt of a person's write on an opportunity through dealpulse "
    "(quick-fix, check-in, snooze, dismissal, milestone), whether it was applied, refused "
    "or failed: one entry per field written. Entries are never changed or removed."
)
class AuditEntry:
    id: strawberry.ID = strawberry.field(description="The entry's own (opaque) id.")
    at: datetime = strawberry.field(description="When the attempt was made (UTC).")

    user: User | None = strawberry.field(
        resolver=_user,
        description="Who made it; null when the mirror does not know the user, and for an "
        "OAuth client acting as no user (clientId names it).",
    )
    action: AuditAction = strawberry.field(resolver=_action, description="What the write was.")
    field: str | None = strawberry.field(
        description="The Opportunity field written (API name); null for an action that sets "
        "no field (a dismissal, a check-in's note)."
    )
    old_value: JSON | None = strawberry.field(
        description='The field\'s value before, as JSON: money as exact decimal text ("58500.00"), '
        "dates and times in ISO 8601 (UTC)."
    )
    new_value: JSON | None = strawberry.field(
        description="The value asked for, in the same form as oldValue (what was written if the "
        "outcome is APPLIED)."
    )

    outcome: AuditOutcome = strawberry.field(
        resolver=_outcome, description="How the attempt ended."
    )
    error: str | None = strawberry.field(
        description="Why it was not applied (Salesforce's message or dealpulse's), at most "
        "1,000 characters; null when it was."
    )
    request_id: str | None = strawberry.field(
        description="The id of the API request that made it (as in the server's logs)."
    )
    connection: str = strawberry.field(
        description='How the write reached Salesforce: "user" (the caller\'s own Salesforce '
        'session, when it signed in through dealpulse), "integration" (the org\'s integration '
        'user), "dealpulse" (stored in dealpulse only: a snooze, a dismissal, a milestone).'
    )
    client_id: str | None = strawberry.field(
        description="The OAuth client the write came through (its client_id: a partner's, a BI "
        "tool's, the app a user signed in with); null for a development token."
    )
    alert_id: strawberry.ID | None = strawberry.field(
        description="The alert the write was made from (a fix-alert's quick-fix, a snooze); "
        "null otherwise."
    )
