"""`me` and `syncStatus`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from starlette.concurrency import run_in_threadpool

from auth.visibility import AccessLevel
from resolvers.context import RequestContext
from services.freshness import sync_error
from store import queries
from store.models import OpportunityStage, SfUser, SyncState

# Redact anything that looks like a credential before an error message leaves the server.
_SECRETS = re.compile(
    r"(?i)(bearer\s+\S+|(?:access_token|refresh_token|password|client_secret|assertion|sid)"
    r"\s*[=:]\s*\S+|00D\w{12,15}![\w.]+)"
)
MAX_ERROR_LENGTH = 300


def redact_secrets(message: str | None) -> str | None:
    if message is None:
        return None
    cleaned = _SECRETS.sub("[redacted]", message)
    return cleaned[:MAX_ERROR_LENGTH]


@dataclass(frozen=True)
class Viewer:
    user: SfUser
    access: AccessLevel
    org_id: str
    currency: str | None  # the org's DefaultCurrencyIsoCode (None until mirrored)
    time_zone: str | None  # the org's TimeZoneSidKey (None until mirrored)


@dataclass(frozen=True)
class SyncStatusView:
    org_id: str
    synced_at: datetime | None
    stale: bool
    last_error: str | None
    objects: list[SyncState]


async def me(context: RequestContext) -> Viewer:
    session = await context.session()
    principal = session.principal
    found = await session.loaders.users.load(principal.user_id)
    assert found is not None  # resolve_principal found this user in this request
    return Viewer(
        user=found, access=principal.access, org_id=principal.org_id,
        currency=principal.currency, time_zone=principal.time_zone,
    )  # fmt: skip


async def stages(context: RequestContext) -> list[OpportunityStage]:
    principal = await context.principal()
    return await run_in_threadpool(queries.stages, context.engine, principal.org_id)


async def sync_status(context: RequestContext) -> SyncStatusView:
    session = await context.session()
    org_id = session.principal.org_id
    states = await run_in_threadpool(queries.sync_states, context.engine, org_id)
    last_error = sync_error(states.org, context.freshness.last_failure(org_id))
    return SyncStatusView(
        org_id=org_id,
        synced_at=session.synced_at,
        stale=session.stale,
        last_error=redact_secrets(last_error),
        objects=states.objects,
    )
