"""Reading the audit trail: `auditLog(opportunityId, first)` and `Opportunity.auditLog(first)`,
both through the request's audit DataLoader (a page of opportunities costs one statement,
whatever each field's `first`: the loader always reads AUDIT_LOG_DEPTH entries and each field
keeps its own first few)."""

from __future__ import annotations

from resolvers.context import RequestContext
from resolvers.errors import PageSizeError
from resolvers.ids import normalize_id
from resolvers.loaders import AUDIT_LOG_DEPTH
from resolvers.opportunities import OPPORTUNITY_PREFIX
from store.models import Opportunity
from store.write_models import AuditEntry

DEFAULT_FIRST = 50


def audit_page_size(first: int | None) -> int:
    """`first` if it is within 1..AUDIT_LOG_DEPTH (None: DEFAULT_FIRST), else the client's
    error: the loader reads no deeper, so a larger `first` could not be honoured."""
    if first is None:
        return DEFAULT_FIRST
    if not 1 <= first <= AUDIT_LOG_DEPTH:
        raise PageSizeError(f"first: must be between 1 and {AUDIT_LOG_DEPTH}", field="first")
    return first


async def audit_log(
    context: RequestContext, opportunity_id: str, first: int | None
) -> list[AuditEntry]:
    """The newest `first` entries of the opportunity's trail; empty when it does not exist or
    the caller may not see it (never says which, as `opportunity(id)` answers null)."""
    limit = audit_page_size(first)
    normalized = normalize_id(opportunity_id, prefix=OPPORTUNITY_PREFIX, argument="opportunityId")
    loaders = await context.loaders()
    # The opportunity loader applies the caller's visibility: the trail shows what was written
    # to the deal (old and new values), so it is exactly as visible as the deal itself.
    if await loaders.opportunities.load(normalized) is None:
        return []
    return (await loaders.audit.load(normalized))[:limit]


async def opportunity_audit_log(
    context: RequestContext, opportunity: Opportunity, first: int | None
) -> list[AuditEntry]:
    """The newest `first` entries of a visible opportunity's trail (an Opportunity object is
    only ever served to a caller who may see it)."""
    limit = audit_page_size(first)
    return (await (await context.loaders()).audit.load(opportunity.id))[:limit]
