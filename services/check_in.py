"""Check-in: a rep notes what happened on a deal, optionally with a new next step and next
meeting date, without opening Salesforce.

Written to Salesforce as a completed Task on the opportunity (Subject "Check-in: " and the
note's first line, Description the note, Status Completed, ActivityDate today in the org's time
zone, WhatId the opportunity, OwnerId the caller (for a client acting as no user none: Salesforce
makes the integration user its owner), TaskSubtype Task, which Salesforce takes on create
only). The field updates go through the quick-fix path (the same checks, conditional
on the LastModifiedDate the client read or else the mirror's, the same audit) and are sent
first: a refused or conflicting update leaves the check-in unwritten, so nothing is half done.
Then one read-back brings the Task (and the updated record) into the mirror at once, so the
activity counts in dealpulse's facts now, not at the next full pass, and the deal is
evaluated: "no activity in 14 days" resolves.

Salesforce calls: 1 (the Task) + 1 (the read-back), + 1 when fields change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from rules.field_specs import field_specs
from rules.process import AuditAction, AuditOutcome
from rules.time_zones import local_date
from rules.write_outcomes import QuickFixErrorCode, RecordOutcome, WriteProblem, failed, refused
from salesforce.errors import GatewayError, SalesforceRequestError, WriteOutcomeUnknown
from salesforce.gateway import Gateway
from salesforce.writes import RecordUpdate, WriteStatus, create_record, update_record
from services.quick_fix import check_fix
from services.write_settle import FixRequest, Pending, WriteContext, not_sent, settle
from store import idempotency, queries
from store.audit import AuditRecord, record_audit
from store.idempotency import ClaimState
from store.mirror import Mirror

# Where `nextMeetingDate` goes: the custom field the demo org (and the seed's rules) use.
NEXT_MEETING_FIELD = "Next_Meeting_Date__c"
MAX_NOTE = 32_000  # Task.Description holds 32,000 characters
SUBJECT_LENGTH = 255  # Task.Subject
_PREFIX = "Check-in: "
_INPUT_OF = {"values.NextStep": "nextStep", f"values.{NEXT_MEETING_FIELD}": "nextMeetingDate"}


@dataclass(frozen=True)
class CheckInRequest:
    opportunity_id: str  # a valid 18-character id (the resolver checked it)
    note: str
    next_step: str | None
    next_meeting_date: date | None
    idempotency_key: str
    expected_last_modified: datetime | None = None


def subject(note: str) -> str:
    """ "Check-in: " and the note's first line, cut to Task.Subject's 255 characters."""
    first = note.strip().splitlines()[0].strip() if note.strip() else ""
    text = _PREFIX + first
    return text if len(text) <= SUBJECT_LENGTH else text[: SUBJECT_LENGTH - 1] + "…"


def _digest(request: CheckInRequest) -> str:
    return idempotency.request_digest(
        AuditAction.CHECK_IN.name,
        {
            "opportunity_id": request.opportunity_id,
            "note": request.note,
            "next_step": request.next_step,
            "next_meeting_date": request.next_meeting_date,
            "expected": request.expected_last_modified,
        },
    )


def _at_input(outcome: RecordOutcome) -> RecordOutcome:
    """Problems of the field updates at the check-in's own inputs (`nextStep`)."""
    problems = tuple(
        WriteProblem(_INPUT_OF.get(p.field or "", p.field), p.code, p.message)
        for p in outcome.problems
    )
    return RecordOutcome(outcome.opportunity_id, outcome.kind, problems, outcome.current_values)


def check_in(context: WriteContext, request: CheckInRequest) -> RecordOutcome:
    engine, org_id, user_id = context.engine, context.org_id, context.principal.actor_id
    claim = idempotency.claim_key(
        engine,
        org_id,
        user_id,
        request.idempotency_key,
        AuditAction.CHECK_IN.name,
        _digest(request),
        context.now,
    )
    if claim.state is ClaimState.DONE and isinstance(claim.outcome, dict):
        return RecordOutcome.from_json(claim.outcome)
    if claim.state is not ClaimState.NEW:
        code = (
            QuickFixErrorCode.IN_PROGRESS
            if claim.state is ClaimState.IN_PROGRESS
            else QuickFixErrorCode.IDEMPOTENCY_KEY_REUSED
        )
        return refused(
            request.opportunity_id,
            WriteProblem(
                "idempotencyKey",
                code,
                "this idempotency key is running or was used for another request",
            ),
        )
    outcome = _check_in(context, request)
    _audit(context, request, outcome)
    if outcome.kind is AuditOutcome.FAILED:
        idempotency.release_key(engine, org_id, user_id, request.idempotency_key)
    else:
        idempotency.complete_key(
            engine, org_id, user_id, request.idempotency_key, outcome.as_json()
        )
    return outcome


def _check_in(context: WriteContext, request: CheckInRequest) -> RecordOutcome:
    opportunity_id = request.opportunity_id
    note = request.note.strip()
    if not note:
        return refused(
            opportunity_id, WriteProblem("note", QuickFixErrorCode.REQUIRED, "say what happened")
        )
    if len(note) > MAX_NOTE:
        return refused(
            opportunity_id,
            WriteProblem("note", QuickFixErrorCode.TOO_LONG, f"at most {MAX_NOTE} characters"),
        )
    engine = context.engine
    visible = queries.opportunities_by_ids(engine, context.principal.visibility, [opportunity_id])
    opportunity = visible.get(opportunity_id)
    if opportunity is None:
        return refused(
            opportunity_id,
            WriteProblem("opportunityId", QuickFixErrorCode.NOT_VISIBLE, "no such opportunity"),
        )
    describe = Mirror(engine, context.org_id).load_catalog("Opportunity")
    if describe is None:
        return failed(
            opportunity_id,
            QuickFixErrorCode.UNAVAILABLE,
            "the org is not synced yet; nothing was written",
        )
    values: dict[str, object] = {}
    if request.next_step is not None:
        values["NextStep"] = request.next_step
    if request.next_meeting_date is not None:
        values[NEXT_MEETING_FIELD] = request.next_meeting_date.isoformat()
    pending: Pending | None = None
    if values:
        expected = request.expected_last_modified or opportunity.last_modified_date or context.now
        fix = FixRequest(opportunity_id, values, expected, request.idempotency_key)
        checked = check_fix(fix, opportunity, field_specs(describe), context.now)
        if isinstance(checked, RecordOutcome):
            return _at_input(checked)
        pending = checked
    try:
        gateway = context.salesforce()
        if pending is not None:
            update = RecordUpdate(
                opportunity_id, pending.clean, pending.request.expected_last_modified
            )
            pending.result = update_record(gateway, "Opportunity", update)
    except GatewayError as error:
        return not_sent(opportunity_id, error)
    if (
        pending is not None
        and pending.result is not None
        and pending.result.status
        not in (
            WriteStatus.APPLIED,
            WriteStatus.WRITE_UNKNOWN,
        )
    ):
        (outcome,), _ = settle(context, gateway, describe, [pending])
        return _at_input(outcome)
    return _create_task(context, gateway, describe, request, note, pending)


def _create_task(
    context: WriteContext,
    gateway: Gateway,
    describe: dict[str, Any],
    request: CheckInRequest,
    note: str,
    pending: Pending | None,
) -> RecordOutcome:
    opportunity_id = request.opportunity_id
    task = {
        "Subject": subject(note),
        "Description": note,
        "Status": "Completed",
        "ActivityDate": local_date(context.now, context.principal.zone).isoformat(),
        "WhatId": opportunity_id,
        "TaskSubtype": "Task",
    }
    if context.principal.user_id is not None:
        task["OwnerId"] = context.principal.user_id
    task_ids: list[str] = []
    search = None
    try:
        task_ids.append(create_record(gateway, "Task", task))
    except WriteOutcomeUnknown:
        search = (opportunity_id, str(task["Subject"]), context.now)
    except SalesforceRequestError as error:
        item = error.items[0]
        problem = WriteProblem(
            "note",
            QuickFixErrorCode.SALESFORCE_REFUSED,
            f"Salesforce refused the Task ({item.code}): {item.message}",
        )
        return _task_not_written(
            context, gateway, describe, pending, refused(opportunity_id, problem)
        )
    except GatewayError as error:
        return _task_not_written(
            context, gateway, describe, pending, not_sent(opportunity_id, error)
        )
    sent = [pending] if pending is not None else []
    outcomes, found = settle(
        context,
        gateway,
        describe,
        sent,
        touched=[opportunity_id],
        task_ids=task_ids,
        task_search=search,
    )
    tasks = list(found.tasks) if found is not None else task_ids
    if not tasks:
        return failed(
            opportunity_id,
            QuickFixErrorCode.UNAVAILABLE,
            "Salesforce did not answer in time and no check-in Task was found: "
            "nothing was written; retry with the same key",
        )
    fields = _at_input(outcomes[0]) if outcomes else None
    if fields is not None and fields.kind is not AuditOutcome.APPLIED:
        return RecordOutcome(
            opportunity_id, fields.kind, fields.problems, fields.current_values, task_id=tasks[0]
        )
    resolved = outcomes[0].resolved_alert_ids if outcomes else ()
    return RecordOutcome(
        opportunity_id, AuditOutcome.APPLIED, resolved_alert_ids=resolved, task_id=tasks[0]
    )


FIELDS_WRITTEN = "the field updates were written; the check-in Task was not: "


def _task_not_written(
    context: WriteContext,
    gateway: Gateway,
    describe: dict[str, Any],
    pending: Pending | None,
    task_outcome: RecordOutcome,
) -> RecordOutcome:
    """The Task was refused or not sent. Field updates sent before it stand in Salesforce:
    they are read back and evaluated like any quick-fix, and the answer says they were written
    (`fields_applied`, and its problems start with FIELDS_WRITTEN) so that nobody retries them
    blindly."""
    if pending is None:
        return task_outcome
    (fields,), _ = settle(
        context, gateway, describe, [pending], touched=[pending.request.opportunity_id]
    )
    if fields.kind is not AuditOutcome.APPLIED:
        return _at_input(fields)
    problems = tuple(
        WriteProblem(
            p.field, p.code, FIELDS_WRITTEN + p.message.removesuffix("; nothing was written")
        )
        for p in task_outcome.problems
    )
    return RecordOutcome(
        task_outcome.opportunity_id, task_outcome.kind, problems,
        resolved_alert_ids=fields.resolved_alert_ids, fields_applied=True,
    )  # fmt: skip


def _audit(context: WriteContext, request: CheckInRequest, outcome: RecordOutcome) -> None:
    """A CHECK_IN row, and a QUICK_FIX row per field it changed (as quickFix audits them)."""
    error = "; ".join(f"{p.code.name}: {p.message}" for p in outcome.problems)[:1000] or None

    def row(action: AuditAction, field: str | None, new_value: object) -> AuditRecord:
        kind = outcome.kind
        if action is AuditAction.QUICK_FIX and (outcome.ok or outcome.fields_applied):
            kind = AuditOutcome.APPLIED
        return AuditRecord(
            user_id=context.principal.actor_id,
            action=action,
            opportunity_id=request.opportunity_id,
            outcome=kind,
            field=field,
            new_value=new_value,
            error=error,
            request_id=context.request_id,
            connection=context.connection,
            client_id=context.principal.client_id,
        )

    note = {"note": request.note[:1000], "task_id": outcome.task_id}
    records = [row(AuditAction.CHECK_IN, None, note)]
    if request.next_step is not None:
        records.append(row(AuditAction.QUICK_FIX, "NextStep", request.next_step))
    if request.next_meeting_date is not None:
        records.append(row(AuditAction.QUICK_FIX, NEXT_MEETING_FIELD, request.next_meeting_date))
    record_audit(context.engine, context.org_id, records, context.now)
