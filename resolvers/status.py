"""`me` and `syncStatus`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from starlette.concurrency import run_in_threadpool

from auth.principals import Principal
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
class SyncStatusView:
    org_id: str
    synced_at: datetime | None
    stale: bool
    last_error: str | None  # redacted
    objects: list[SyncState]  # as stored: their errors are redacted by the schema's field


async def me(context: RequestContext) -> Principal:
    return await context.principal()


async def user_of(context: RequestContext, principal: Principal) -> SfUser | None:
    """The principal's user; None for a client acting as no user."""
    if principal.user_id is None:
        return None
    found = await (await context.loaders()).users.load(principal.user_id)
    assert found is not None  # resolve_principal found this user in this request
    return found


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
