"""`me` and `syncStatus` types."""

from __future__ import annotations

from datetime import datetime

import strawberry

from resolvers.status import SyncStatusView, Viewer, redact_secrets
from schema.enums import AccessLevel
from schema.types import User


@strawberry.type(description="The caller: a Salesforce user of one org.")
class Me:
    org_id: strawberry.ID
    access_level: AccessLevel
    user: User

    @classmethod
    def from_viewer(cls, viewer: Viewer) -> Me:
        return cls(
            org_id=strawberry.ID(viewer.org_id),
            access_level=viewer.access,
            user=User.from_row(viewer.user),
        )


@strawberry.type
class SyncObjectState:
    sobject: str
    watermark: datetime | None
    last_success_at: datetime | None
    last_attempt_at: datetime | None
    last_error: str | None
    records_synced: int


@strawberry.type(description="How fresh the caller's org mirror is.")
class SyncStatus:
    org_id: strawberry.ID
    synced_at: datetime | None
    stale: bool
    last_error: str | None
    objects: list[SyncObjectState]

    @classmethod
    def from_view(cls, view: SyncStatusView) -> SyncStatus:
        objects = [
            SyncObjectState(
                sobject=s.sobject,
                watermark=s.watermark,
                last_success_at=s.last_success_at,
                last_attempt_at=s.last_attempt_at,
                last_error=redact_secrets(s.last_error),
                records_synced=s.records_synced,
            )
            for s in view.objects
        ]
        return cls(
            org_id=strawberry.ID(view.org_id), synced_at=view.synced_at, stale=view.stale,
            last_error=view.last_error, objects=objects,
        )  # fmt: skip
