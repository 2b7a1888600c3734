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

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from rules.field_specs import FieldSpec, field_specs
from rules.field_values import check_values
from rules.process import AuditAction, AuditOutcome
from rules.write_outcomes import (
    QuickFixErrorCode,
    RecordOutcome,
    WriteProblem,
    failed,
    refused,
)
from salesforce.errors import (
    GatewayError,
)
from salesforce.writes import (
    RecordUpdate,
    update_record,
    update_records,
)
from services.write_settle import (
    FixRequest,
    Pending,
    WriteContext,
    conflict,
    current_values,
    not_sent,
    settle,
)
from store import idempotency, queries
from store.audit import AuditRecord, record_audit
from store.idempotency import ClaimState
from store.mirror import Mirror
from store.models import Opportunity

MAX_BATCH = 200
# A client's clock may run a little ahead of Salesforce's; a LastModifiedDate further in the
# future than this was not read from anywhere.
CLOCK_SKEW = timedelta(minutes=5)


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
    user_id = context.principal.actor_id
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
        current = current_values(opportunity.fields, checked.clean, stored)
        return conflict(request.opportunity_id, current)
    return Pending(request, opportunity, checked.clean)


def _write(
    context: WriteContext, describe: dict[str, Any], pending: dict[int, Pending]
) -> dict[int, RecordOutcome]:
    updates = [
        RecordUpdate(p.request.opportunity_id, p.clean, p.request.expected_last_modified)
        for p in pending.values()
    ]
    try:
        gateway = context.salesforce()
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
                    user_id=context.principal.actor_id,
                    action=AuditAction.QUICK_FIX,
                    opportunity_id=request.opportunity_id,
                    outcome=outcome.kind,
                    field=name[:255] if name else None,
                    old_value=_as_recorded(specs, name, old.get(name)) if name else None,
                    new_value=_as_recorded(specs, name, request.values.get(name)) if name else None,
                    error=error,
                    request_id=context.request_id,
                    connection=context.connection,
                    client_id=context.principal.client_id,
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
    engine, org_id, user_id = context.engine, context.org_id, context.principal.actor_id
    for number in claimed:
        key, outcome = requests[number].idempotency_key, outcomes[number]
        if outcome.kind is AuditOutcome.FAILED:
            idempotency.release_key(engine, org_id, user_id, key)
        else:
            idempotency.complete_key(engine, org_id, user_id, key, outcome.as_json())
