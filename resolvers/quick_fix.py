"""Quick-fix and check-in from GraphQL: the inputs' shapes are checked here (ids, keys,
values an object, timestamps with an offset), the rest in services.quick_fix and
services.check_in, run in a worker thread (they call Salesforce and the store)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from starlette.concurrency import run_in_threadpool

from auth.permissions import HasScope
from auth.scopes import Scope
from resolvers.context import RequestContext
from resolvers.errors import ClientError
from resolvers.ids import normalize_id
from resolvers.opportunities import OPPORTUNITY_PREFIX
from rules.write_outcomes import QuickFixErrorCode, RecordOutcome, WriteProblem, refused
from salesforce.gateway import Gateway
from services.check_in import CheckInRequest
from services.check_in import check_in as services_check_in
from services.quick_fix import MAX_BATCH, quick_fix
from services.write_settle import FixRequest, WriteContext
from store import todo
from store.alert_feed import alerts_by_ids
from store.models import Opportunity
from store.process_models import Alert

# Keys are UUIDs or similar: printable, short, no spaces.
_KEY = re.compile(r"[A-Za-z0-9._:\-]{1,100}")


@dataclass(frozen=True)
class FixInput:
    """One input as GraphQL gave it (values: whatever JSON the client sent)."""

    opportunity_id: str
    values: object
    expected_last_modified: datetime
    idempotency_key: str


class TooMany(ClientError):
    code = QuickFixErrorCode.TOO_MANY.name


def _request(raw: FixInput) -> FixRequest | WriteProblem:
    try:
        opportunity_id = normalize_id(
            raw.opportunity_id, prefix=OPPORTUNITY_PREFIX, argument="opportunityId"
        )
    except ClientError:
        return WriteProblem(
            "opportunityId", QuickFixErrorCode.INVALID_ID, "not a valid opportunity id"
        )
    if not _KEY.fullmatch(raw.idempotency_key):
        return WriteProblem(
            "idempotencyKey",
            QuickFixErrorCode.INVALID_VALUE,
            "1 to 100 characters among letters, digits and . _ : -",
        )
    if not isinstance(raw.values, dict):
        return WriteProblem(
            "values", QuickFixErrorCode.INVALID_VALUE, "an object of field API names to values"
        )
    moment = raw.expected_last_modified
    if moment.tzinfo is None:
        return WriteProblem(
            "expectedLastModified",
            QuickFixErrorCode.INVALID_VALUE,
            "a timestamp with an offset (as lastModifiedAt is served)",
        )
    return FixRequest(opportunity_id, raw.values, moment.astimezone(UTC), raw.idempotency_key)


async def write_context(context: RequestContext) -> WriteContext:
    principal = await context.principal()
    gateways = context.gateways

    users = context.user_gateways

    def gateway() -> Gateway:
        if gateways is None:
            raise RuntimeError("this app reaches no Salesforce org")
        return gateways(principal.org_id)

    def user_gateway() -> Gateway | None:
        if users is None or principal.user_id is None:
            return None
        return users(principal.org_id, principal.user_id)

    return WriteContext(
        engine=context.engine,
        principal=principal,
        gateway=gateway,
        evaluate=context.evaluator,
        now=context.now,
        request_id=context.request_id,
        user_gateway=user_gateway,
    )


async def fix(context: RequestContext, inputs: Sequence[FixInput]) -> list[RecordOutcome]:
    """Each input's outcome, in order."""
    if len(inputs) > MAX_BATCH:
        raise TooMany(f"at most {MAX_BATCH} opportunities per call", field="inputs")
    write = await write_context(context)
    checked = [_request(raw) for raw in inputs]
    valid = [r for r in checked if isinstance(r, FixRequest)]
    done = iter(await run_in_threadpool(quick_fix, write, valid) if valid else [])
    return [
        next(done) if isinstance(r, FixRequest) else refused(raw.opportunity_id[:18], r)
        for raw, r in zip(inputs, checked, strict=True)
    ]


async def opportunity_of(context: RequestContext, outcome: RecordOutcome) -> Opportunity | None:
    """The opportunity as it stands after the write (none for an id the caller may not see)."""
    if outcome.problems and outcome.problems[0].code in (
        QuickFixErrorCode.INVALID_ID,
        QuickFixErrorCode.NOT_VISIBLE,
    ):
        return None
    return await (await context.loaders()).opportunities.load(outcome.opportunity_id)


async def resolved_alerts(context: RequestContext, outcome: RecordOutcome) -> list[Alert]:
    if not outcome.resolved_alert_ids:
        return []
    principal = await context.principal()
    found = await run_in_threadpool(
        alerts_by_ids, context.engine, principal.org_id, outcome.resolved_alert_ids
    )
    return [found[i] for i in outcome.resolved_alert_ids if i in found]


async def remaining_todo_count(context: RequestContext) -> int | None:
    """The caller's own to-do items (opportunities with an open fix-alert) after the write;
    None for a client acting as no user (it has no to-do list of its own)."""
    principal = await context.principal()
    if principal.user_id is None:
        return None
    return await run_in_threadpool(
        todo.todo_count, context.engine, principal.visibility, principal.acting_user_id
    )


@dataclass(frozen=True)
class CheckInInput:
    opportunity_id: str
    note: str
    next_step: str | None
    next_meeting_date: date | None
    idempotency_key: str
    expected_last_modified: datetime | None


async def check_in(context: RequestContext, raw: CheckInInput) -> RecordOutcome:
    write = await write_context(context)
    updates_fields = raw.next_step is not None or raw.next_meeting_date is not None
    if updates_fields and Scope.OPPORTUNITIES_WRITE.value not in write.principal.scopes:
        # checkIn declares alerts:write; the field updates it carries are a quick-fix's
        raise HasScope(Scope.OPPORTUNITIES_WRITE).refusal()
    shape = _request(
        FixInput(raw.opportunity_id, {}, raw.expected_last_modified or context.now,
                 raw.idempotency_key)
    )  # fmt: skip
    if isinstance(shape, WriteProblem):
        return refused(raw.opportunity_id[:18], shape)
    request = CheckInRequest(
        opportunity_id=shape.opportunity_id, note=raw.note, next_step=raw.next_step,
        next_meeting_date=raw.next_meeting_date, idempotency_key=raw.idempotency_key,
        expected_last_modified=shape.expected_last_modified if raw.expected_last_modified else None,
    )  # fmt: skip
    return await run_in_threadpool(services_check_in, write, request)
