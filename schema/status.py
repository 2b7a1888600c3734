"""`me` and `syncStatus` types."""

from __future__ import annotations

from datetime import datetime
from typing import cast

import strawberry
from strawberry import Parent

from auth.principals import Principal
from auth.scopes import ALL_SCOPES
from resolvers import status
from schema.enums import AccessLevel
from schema.types import Info, User
from store.models import SyncState


@strawberry.type(description="The caller: a Salesforce user of one org.")
class Me:
    org_id: strawberry.ID
    access: AccessLevel = strawberry.field(name="accessLevel")

    @strawberry.field(  # type: ignore[untyped-decorator]
        description="The Salesforce user the caller acts as; null for an OAuth client that "
        "acts as no user (accessLevel CLIENT)."
    )
    async def user(self, info: Info, parent: Parent[Principal]) -> User | None:
        return cast("User | None", await status.user_of(info.context, parent))

    @strawberry.field(  # type: ignore[untyped-decorator]
        description="The scopes the caller's token carries, in their canonical order "
        "(pipeline:read, alerts:read, alerts:write, opportunities:write, admin): what it may "
        "read and do. A user's token never carries more than the profile allows (admin only "
        "for administrators)."
    )
    def scopes(self, parent: Parent[Principal]) -> list[str]:
        return [scope.value for scope in ALL_SCOPES if scope.value in parent.scopes]

    currency: str | None = strawberry.field(
        description="The org's currency (Organization.DefaultCurrencyIsoCode, ISO 4217: "
        '"USD"): every money amount is in it. Null until a full sync pass has mirrored the '
        "org's Organization record."
    )
    time_zone: str | None = strawberry.field(
        description="The org's time zone (Organization.TimeZoneSidKey, an IANA name: "
        '"America/Los_Angeles"): day counts and date conditions use it; timestamps stay UTC. '
        "Null until a full sync pass has mirrored the org's Organization record (days count in "
        "UTC meanwhile)."
    )


def _redacted_error(parent: Parent[SyncState]) -> str | None:
    return status.redact_secrets(parent.last_error)


@strawberry.type
class SyncObjectState:
    sobject: str
    watermark: datetime | None
    last_success_at: datetime | None
    last_attempt_at: datetime | None
    last_error: str | None = strawberry.field(resolver=_redacted_error)
    records_synced: int


@strawberry.type(description="How fresh the caller's org mirror is.")
class SyncStatus:
    org_id: strawberry.ID
    synced_at: datetime | None
    stale: bool
    last_error: str | None
    objects: list[SyncObjectState]
