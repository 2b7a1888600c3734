"""Quick-fix: a rep corrects fields of opportunities from the to-do list, Salesforce first.

For a batch of records (quickFix is a batch of one), in this order, nothing written until a
record passed every check:

1. Its idempotency key is claimed (store.idempotency): a key already answered answers the same
   again, a key that came with another request is refused, a key still running is refused.
2. The opportunity must be one the caller may see (owner, manager above the owner, admin; one
   it may not see is NOT_VISIBLE exactly as one that does not exist), each once per batch.
3. Its values are checked against the stored describe (rules.field_values).
4. The mirror must not hold a newer LastModifiedDate than the client read (CONFLICT at once,
   with the mirror's values: no Salesforce call).
5. The write: a conditional PATCH (salesforce.writes; one call, or a Composite call per 25),
   whose 412 is a CONFLICT too. A write whose outcome is unknown is never repeated: the
   read-back tells whether it happened.
6. One read-back call for every record written or in doubt, stored in the mirror; then the
   facts and alerts of the records written are evaluated at once.

Every record's attempt is audited (one row per field), and its outcome is stored with its key
(APPLIED, REFUSED and CONFLICT; a FAILED one releases its key so that a retry runs anew, which
is safe: a retry of a write that did happen meets its own LastModifiedDate and is a CONFLICT).
Blocking (Salesforce and the store): the resolvers run it in a worker thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Engine

from auth.principals import Principal
from rules.field_specs import FieldSpec, field_specs
from rules.field_values import check_values
from rules.process import AlertStatus, AuditAction, AuditOutcome
from rules.write_outcomes import (
    SALESFORCE_CODES,
    QuickFixErrorCode,
    RecordOutcome,
    WriteProblem,
    failed,
    refused,
)
from salesforce.errors import (
    ApiLimitExceeded,
    ErrorItem,
    GatewayError,
    SalesforceAuthError,
)
from salesforce.gateway import Gateway
from salesforce.sync_objects import sf_datetime
from salesforce.writes import (
    ReadBack,
    RecordUpdate,
    WriteResult,
    WriteStatus,
    read_back,
    update_record,
    update_records,
)
from services.evaluation import Evaluate
from services.refresh import refresh_facts
from store import idempotency, queries
from store.alerts import alerts_by_opportunity
from store.audit import AuditRecord, record_audit
from store.idempotency import ClaimState
from store.mirror import Mirror
from store.models import Opportunity

logger = logging.getLogger(__name__)
MAX_BATCH = 200
# A client's clock may run a little ahead of Salesforce's; a LastModifiedDate further in the
# future than this was not read from anywhere.
CLOCK_SKEW = timedelta(minutes=5)
# History rows a write made are read back from a little before it (clocks differ).
HISTORY_OVERLAP = timedelta(minutes=5)


@dataclass(frozen=True)
class FixRequest:
    opportunity_id: str  # a valid 18-character Salesforce id (the resolver checked its shape)
    values: Mapping[str, object]
    expected_last_modified: datetime
    idempotency_key: str


@dataclass(frozen=True)
class WriteContext:
    """Who writes, through which connection, and what runs after."""

    engine: Engine
    principal: Principal
    gateway: Callable[[], Gateway]  # called only once a record passed every check
    evaluate: Evaluate | None
    now: datetime
    request_id: str | None = None

    @property
    def org_id(self) -> str:
        return self.principal.org_id

    @property
    def connection(self) -> str:
        """What the audit says the write went through (the OAuth issue adds users' own)."""
        return "integration"


@dataclass
class Pending:
    """A record that passed the checks, on its way to Salesforce."""

    request: FixRequest
    opportunity: Opportunity
    clean: dict[str, object]
    result: WriteResult | None = None


def _digest(request: FixRequest) -> str:
    return idempotency.request_digest(
        AuditAction.QUICK_FIX.name,
        {
            "opportunity_id": request.opportunity_id,
            "values": dict(request.values),
            "expected_last_modified": request.expected_last_modified.isoformat(),
        },
    )


def quick_fix(context: WriteContext, requests: Sequence[FixRequest]) -> list[RecordOutcome]:
    """Each request's outcome, in order (the caller bounds the batch at MAX_BATCH)."""
    engine, org_id = context.engine, context.org_id
    user_id = context.principal.user_id
    outcomes: dict[int, RecordOutcome] = {}
    claimed: set[int] = set()
    seen: set[str] = set()
    for number, request in enumerate(requests):
        if request.opportunity_id in seen:
            outcomes[number] = refused(
                request.opportunity_id,
                WriteProblem(
                    "opportunityId",
                    QuickFixErrorCode.DUPLICATE_OPPORTUNITY,
                    "each opportunity at most once per batch",
                ),
            )
            continue
        seen.add(request.opportunity_id)
        claim = idempotency.claim_key(
            engine,
            org_id,
            user_id,
            request.idempotency_key,
            AuditAction.QUICK_FIX.name,
            _digest(request),
            context.now,
        )
        if claim.state is ClaimState.NEW:
            claimed.add(number)
        elif claim.state is ClaimState.DONE and isinstance(claim.outcome, dict):
            outcomes[number] = RecordOutcome.from_json(claim.outcome)
        else:
            outcomes[number] = _claim_refusal(request, claim.state)
    visible = queries.opportunities_by_ids(
        engine, context.principal.visibility, [requests[n].opportunity_id for n in claimed]
    )
    describe = Mirror(engine, org_id).load_catalog("Opportunity")
    specs = field_specs(describe) if describe else {}
    pending: dict[int, Pending] = {}
    for number in sorted(claimed):
        request = requests[number]
        checked = check_fix(request, visible.get(request.opportunity_id), specs, context.now)
        if isinstance(checked, RecordOutcome):
            outcomes[number] = checked
        else:
            pending[number] = checked
    if pending:
        assert describe is not None  # a record passes the checks only with a describe
        outcomes.update(_write(context, describe, pending))
    ordered = [outcomes[n] for n in range(len(requests))]
    _audit(context, requests, ordered, visible, specs)
    _settle_keys(context, requests, ordered, claimed)
    return ordered


def _claim_refusal(request: FixRequest, state: ClaimState) -> RecordOutcome:
    if state is ClaimState.IN_PROGRESS:
        problem = WriteProblem(
            "idempotencyKey",
            QuickFixErrorCode.IN_PROGRESS,
            "an attempt with this idempotency key is still running",
        )
    else:
        problem = WriteProblem(
            "idempotencyKey",
            QuickFixErrorCode.IDEMPOTENCY_KEY_REUSED,
            "this idempotency key was used for another request",
        )
    return refused(request.opportunity_id, problem)


def check_fix(
    request: FixRequest,
    opportunity: Opportunity | None,
    specs: Mapping[str, FieldSpec],
    now: datetime,
) -> Pending | RecordOutcome:
    if opportunity is None:
        return refused(
            request.opportunity_id,
            WriteProblem("opportunityId", QuickFixErrorCode.NOT_VISIBLE, "no such opportunity"),
        )
    if not specs:
        return failed(
            request.opportunity_id,
            QuickFixErrorCode.UNAVAILABLE,
            "the org's Opportunity fields are not synced yet; nothing was written",
        )
    checked = check_values(specs, request.values)
    if checked.problems:
        return refused(
            request.opportunity_id,
            *(
                WriteProblem(
                    f"values.{p.field}" if p.field != "values" else "values",
                    QuickFixErrorCode[p.code.name],
                    p.message,
                )
                for p in checked.problems
            ),
        )
    expected = request.expected_last_modified
    if expected > now + CLOCK_SKEW:
        return refused(
            request.opportunity_id,
            WriteProblem(
                "expectedLastModified",
                QuickFixErrorCode.INVALID_VALUE,
                "lies in the future: send the lastModifiedAt the record was read with",
            ),
        )
    stored = opportunity.last_modified_date
    if stored is not None and stored > expected:
        current = _current_values(opportunity.fields, checked.clean, stored)
        return _conflict(request.opportunity_id, current)
    return Pending(request, opportunity, checked.clean)


def _current_values(
    record: Mapping[str, Any], asked: Mapping[str, object], last_modified: datetime | None
) -> dict[str, Any]:
    """The asked fields as `record` holds them, and when it was last modified."""
    values = {name: _jsonable(record.get(name)) for name in asked}
    return {**values, "LastModifiedDate": last_modified.isoformat() if last_modified else None}


def _jsonable(value: object) -> object:
    return str(value) if isinstance(value, Decimal) else value


def _conflict(opportunity_id: str, current: dict[str, Any] | None) -> RecordOutcome:
    message = "the record changed in Salesforce since it was read; nothing was written"
    return RecordOutcome(
        opportunity_id,
        AuditOutcome.CONFLICT,
        (WriteProblem("expectedLastModified", QuickFixErrorCode.CONFLICT, message),),
        current_values=current,
    )


def _write(
    context: WriteContext, describe: dict[str, Any], pending: dict[int, Pending]
) -> dict[int, RecordOutcome]:
    updates = [
        RecordUpdate(p.request.opportunity_id, p.clean, p.request.expected_last_modified)
        for p in pending.values()
    ]
    try:
        gateway = context.gateway()
        if len(updates) == 1:
            results = [update_record(gateway, "Opportunity", updates[0])]
        else:
            results = update_records(gateway, "Opportunity", updates)
    except GatewayError as error:  # not sent: nothing was written
        return {n: not_sent(p.request.opportunity_id, error) for n, p in pending.items()}
    for item, result in zip(pending.values(), results, strict=True):
        item.result = result
    outcomes, _ = settle(context, gateway, describe, list(pending.values()))
    return dict(zip(pending, outcomes, strict=True))


def settle(
    context: WriteContext,
    gateway: Gateway,
    describe: dict[str, Any],
    sent: Sequence[Pending],
    *,
    touched: Sequence[str] = (),
    task_ids: Sequence[str] = (),
    task_search: tuple[str, str, datetime] | None = None,
) -> tuple[list[RecordOutcome], ReadBack | None]:
    """After the writes: ONE read-back of every record written or in doubt (and of `touched`
    opportunities and the tasks a check-in created), stored in the mirror; the facts and alerts
    of what was written evaluated; each sent record's outcome."""
    asked = [p.request.opportunity_id for p in sent if p.result and p.result.status in _READ_BACK]
    asked += [i for i in touched if i not in asked]
    found = _read_back(context, gateway, describe, asked, task_ids, task_search)
    written = [p.request.opportunity_id for p in sent if _applied(p, found)]
    written += [i for i in touched if i not in written]
    resolved = _evaluate(context, written)
    outcomes = [_outcome(p, found, resolved) for p in sent]
    return outcomes, found


_READ_BACK = frozenset({WriteStatus.APPLIED, WriteStatus.CHANGED, WriteStatus.WRITE_UNKNOWN})


def _read_back(
    context: WriteContext,
    gateway: Gateway,
    describe: dict[str, Any],
    ids: list[str],
    task_ids: Sequence[str],
    task_search: tuple[str, str, datetime] | None,
) -> ReadBack | None:
    """The records as Salesforce holds them now, stored in the mirror; None when it could not
    be read (the records written are then mirrored by the next sync)."""
    if not ids and not task_ids and task_search is None:
        return ReadBack({}, {})
    try:
        mirror = Mirror(context.engine, context.org_id)
        since = context.now - HISTORY_OVERLAP
        return read_back(
            gateway,
            mirror,
            describe,
            ids,
            history_since=since,
            task_ids=task_ids,
            task_search=task_search,
        )
    except GatewayError:
        logger.warning("read-back of %d written opportunities failed", len(ids), exc_info=True)
        return None


def _applied(item: Pending, found: ReadBack | None) -> bool:
    result = item.result
    if result is None:
        return False
    if result.status is WriteStatus.APPLIED:
        return True
    if result.status is not WriteStatus.WRITE_UNKNOWN or found is None:
        return False
    record = found.opportunities.get(item.request.opportunity_id)
    return record is not None and _holds(record, item.clean) and _moved(record, item)


def _moved(record: Mapping[str, Any], item: Pending) -> bool:
    modified = sf_datetime(record.get("LastModifiedDate"))
    return modified is not None and modified > item.request.expected_last_modified


def _holds(record: Mapping[str, Any], clean: Mapping[str, object]) -> bool:
    """Whether the record holds every value written (numbers compared as numbers)."""
    for name, value in clean.items():
        held = record.get(name)
        if isinstance(value, Decimal):
            try:
                if held is None or Decimal(str(held)) != value:
                    return False
            except InvalidOperation:
                return False
        elif held != value:
            return False
    return True


def _evaluate(context: WriteContext, written: list[str]) -> dict[str, list[str]]:
    """Facts and alerts of the records written brought up to date now; the alerts that
    resolved, by opportunity. The writes stand whatever happens here: a failure is logged
    and the next pass evaluates them."""
    if not written:
        return {}
    engine, org_id = context.engine, context.org_id
    live = (AlertStatus.OPEN, AlertStatus.SNOOZED, AlertStatus.PENDING)
    before = alerts_by_opportunity(engine, org_id, written, statuses=live)
    try:
        refresh_facts(engine, org_id, written)
        if context.evaluate is not None:
            context.evaluate(org_id, opportunity_ids=written)
    except Exception:
        logger.exception("evaluation after a quick-fix of %d records failed", len(written))
        return {}
    after = alerts_by_opportunity(engine, org_id, written, statuses=[AlertStatus.RESOLVED])
    was_live = {a.id for alerts in before.values() for a in alerts}
    return {
        opportunity_id: sorted(a.id for a in alerts if a.id in was_live)
        for opportunity_id, alerts in after.items()
    }


def _outcome(
    item: Pending, found: ReadBack | None, resolved: Mapping[str, list[str]]
) -> RecordOutcome:
    opportunity_id = item.request.opportunity_id
    result = item.result
    assert result is not None
    record = found.opportunities.get(opportunity_id) if found is not None else None
    if _applied(item, found):
        mine = tuple(resolved.get(opportunity_id, ()))
        return RecordOutcome(opportunity_id, AuditOutcome.APPLIED, resolved_alert_ids=mine)
    if result.status is WriteStatus.CHANGED or (
        result.status is WriteStatus.WRITE_UNKNOWN and record is not None and _moved(record, item)
    ):
        current = None
        if record is not None:
            current = _current_values(
                record, item.clean, sf_datetime(record.get("LastModifiedDate"))
            )
        return _conflict(opportunity_id, current)
    if result.status is WriteStatus.REFUSED:
        return refused(opportunity_id, *(_salesforce_problem(e, item.clean) for e in result.errors))
    if result.status is WriteStatus.WRITE_UNKNOWN:
        if record is not None:  # read back unchanged: the write did not happen
            return failed(
                opportunity_id,
                QuickFixErrorCode.UNAVAILABLE,
                "Salesforce did not confirm the write (an error or no answer in time); "
                "read back unchanged: nothing was written",
            )
        return failed(
            opportunity_id,
            QuickFixErrorCode.UNAVAILABLE,
            "Salesforce did not confirm the write and the record could not be read "
            "back: whether it was written is not known; retry with the same key",
        )
    assert result.failure is not None
    return not_sent(opportunity_id, result.failure)


def _salesforce_problem(error: ErrorItem, clean: Mapping[str, object]) -> WriteProblem:
    code = SALESFORCE_CODES.get(error.code, QuickFixErrorCode.SALESFORCE_REFUSED)
    fields = [f for f in error.fields if f in clean] or list(error.fields)
    where = f"values.{fields[0]}" if fields else None
    message = error.message or error.code
    if code is QuickFixErrorCode.SALESFORCE_REFUSED:
        message = f"Salesforce refused the change ({error.code}): {message}"
    return WriteProblem(where, code, message)


def not_sent(opportunity_id: str, error: GatewayError) -> RecordOutcome:
    if isinstance(error, ApiLimitExceeded):
        return failed(
            opportunity_id,
            QuickFixErrorCode.API_LIMIT,
            "the org's daily Salesforce API budget is spent; nothing was written",
        )
    if isinstance(error, SalesforceAuthError):
        return failed(
            opportunity_id,
            QuickFixErrorCode.SESSION_EXPIRED,
            "Salesforce refused dealpulse's session; nothing was written",
        )
    return failed(
        opportunity_id,
        QuickFixErrorCode.UNAVAILABLE,
        "Salesforce is unavailable; nothing was written",
    )


def _audit(
    context: WriteContext,
    requests: Sequence[FixRequest],
    outcomes: Sequence[RecordOutcome],
    visible: Mapping[str, Opportunity],
    specs: Mapping[str, FieldSpec],
) -> None:
    """One row per field of every attempt made now (a replayed answer is not an attempt)."""
    records = []
    for request, outcome in zip(requests, outcomes, strict=True):
        if outcome.replayed:
            continue
        error = "; ".join(f"{p.code.name}: {p.message}" for p in outcome.problems)[:1000] or None
        before = visible.get(request.opportunity_id)
        old = before.fields if before is not None else {}
        names: list[str | None] = [*request.values] or [None]
        for name in names[:50]:
            records.append(
                AuditRecord(
                    user_id=context.principal.user_id,
                    action=AuditAction.QUICK_FIX,
                    opportunity_id=request.opportunity_id,
                    outcome=outcome.kind,
                    field=name[:255] if name else None,
                    old_value=_as_recorded(specs, name, old.get(name)) if name else None,
                    new_value=_as_recorded(specs, name, request.values.get(name)) if name else None,
                    error=error,
                    request_id=context.request_id,
                    connection=context.connection,
                )
            )
    if records:
        record_audit(context.engine, context.org_id, records, context.now)


def _as_recorded(specs: Mapping[str, FieldSpec], name: str, value: object) -> object:
    """`value` as the trail keeps it: normalised by the describe when it is a valid value of
    the field (money as its exact decimal at the field's scale, "58500.00", whether it came
    as a number or as text), as it was otherwise (a refused value is recorded as sent)."""
    checked = check_values(specs, {name: value})
    if checked.problems:
        return value
    clean = next(iter(checked.clean.values()), value)
    spec = next((s for s in specs.values() if s.name.lower() == name.lower()), None)
    if isinstance(clean, Decimal) and spec is not None and spec.scale is not None:
        return clean.quantize(Decimal(1).scaleb(-spec.scale))
    return clean


def _settle_keys(
    context: WriteContext,
    requests: Sequence[FixRequest],
    outcomes: Sequence[RecordOutcome],
    claimed: set[int],
) -> None:
    engine, org_id, user_id = context.engine, context.org_id, context.principal.user_id
    for number in claimed:
        key, outcome = requests[number].idempotency_key, outcomes[number]
        if outcome.kind is AuditOutcome.FAILED:
            idempotency.release_key(engine, org_id, user_id, key)
        else:
            idempotency.complete_key(engine, org_id, user_id, key, outcome.as_json())
