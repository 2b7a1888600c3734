"""Snooze, unsnooze and dismiss from GraphQL (the rules in rules.alert_actions).

The alert must be on an opportunity the caller may work on (the owner, a manager above the
owner in the role hierarchy, an admin: the caller's visibility); any other, or an id that is no
alert, is NOT_FOUND, never revealed. Every attempt on an alert the caller may work on is
audited, applied or refused. Once applied, the change is published to live subscribers and
the opportunity evaluated at once (a dismissal lifts its health penalty).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from starlette.concurrency import run_in_threadpool

from resolvers.context import RequestContext
from resolvers.errors import ClientError
from resolvers.ids import opaque_id
from rules import alert_actions as rules
from rules.process import AlertKind, AuditAction, AuditOutcome
from services.alert_events import publish_stored_events
from store import alert_actions as store
from store.alert_feed import alerts_by_ids
from store.audit import AuditRecord, record_audit
from store.evaluation_writes import StoredAlertEvent
from store.process_models import Alert

ALERT_PREFIX = "alert"
_ARGUMENT = "input.alertId"


class Refused(ClientError):
    """A refusal the mutation answers in its payload: `code` is a member of its enum."""

    def __init__(self, code: str, message: str, *, field: str) -> None:
        super().__init__(f"{field}: {message}", field=field)
        self.code = code


@dataclass(frozen=True)
class _Target:
    alert: Alert
    org_id: str
    user_id: str  # who acts (auth.principals.Principal.actor_id)
    client_id: str | None


async def _target(context: RequestContext, raw_id: str) -> _Target:
    principal = await context.principal()
    alert_id = opaque_id(raw_id, prefix=ALERT_PREFIX, argument=_ARGUMENT)
    found = await run_in_threadpool(alerts_by_ids, context.engine, principal.org_id, [alert_id])
    alert = found.get(alert_id)
    visible = alert is not None and (
        await (await context.loaders()).opportunities.load(alert.opportunity_id)
    )
    if alert is None or not visible:
        raise Refused("NOT_FOUND", "no such alert", field=_ARGUMENT)
    return _Target(alert, principal.org_id, principal.actor_id, principal.client_id)


def _record(
    context: RequestContext,
    target: _Target,
    action: AuditAction,
    change: tuple[str, object, object],
    error: str | None = None,
) -> AuditRecord:
    field, old, new = change
    return AuditRecord(
        user_id=target.user_id, action=action, opportunity_id=target.alert.opportunity_id,
        outcome=AuditOutcome.REFUSED if error else AuditOutcome.APPLIED, field=field,
        old_value=old, new_value=new, alert_id=target.alert.id,
        error=error, request_id=context.request_id, client_id=target.client_id,
        connection="dealpulse",  # no Salesforce write: the alert lives in dealpulse's store
    )  # fmt: skip


async def _refuse(
    context: RequestContext,
    target: _Target,
    action: AuditAction,
    change: tuple[str, object, object],
    refusal: tuple[str, str, str],
) -> Refused:
    """Audit the refused attempt; the error to raise."""
    code, message, field = refusal
    record = _record(context, target, action, change, f"{code}: {message}")
    await run_in_threadpool(record_audit, context.engine, target.org_id, [record], context.now)
    return Refused(code, message, field=field)


async def _apply(
    context: RequestContext,
    target: _Target,
    action: AuditAction,
    change: tuple[str, object, object],
    write: Callable[[], tuple[Alert, StoredAlertEvent] | None],
    refusal: tuple[str, str, str],
) -> Alert:
    done = await run_in_threadpool(write)
    if done is None:  # its status changed since it was read: a pass resolved it, say
        raise await _refuse(context, target, action, change, refusal)
    alert, event = done
    record = _record(context, target, action, change)
    await run_in_threadpool(record_audit, context.engine, target.org_id, [record], context.now)
    await run_in_threadpool(
        publish_stored_events, context.engine, target.org_id, [event], context.alert_events
    )
    await context.evaluate_after_write(action.name, opportunity_ids=[alert.opportunity_id])
    fresh = await run_in_threadpool(alerts_by_ids, context.engine, target.org_id, [alert.id])
    return fresh.get(alert.id, alert)


def _reason_refusal(reason: str) -> tuple[str, str, str] | None:
    problem = rules.reason_problem(reason)
    return None if problem is None else (*problem, "input.reason")


async def snooze_alert(context: RequestContext, raw_id: str, until: datetime, reason: str) -> Alert:
    target = await _target(context, raw_id)
    # A moment without offset is refused below; the trail keeps it as the text it was.
    asked = until if until.tzinfo is not None else until.isoformat()
    change = ("snoozedUntil", target.alert.snoozed_until, asked)
    problem = rules.until_problem(until, context.now)
    refusal = ("INVALID_UNTIL", problem, "input.until") if problem else _reason_refusal(reason)
    if refusal is not None:
        raise await _refuse(context, target, AuditAction.SNOOZE, change, refusal)

    def write() -> tuple[Alert, StoredAlertEvent] | None:
        return store.snooze_alert(
            context.engine, target.org_id, target.alert.id, until, reason.strip(),
            target.user_id, context.now,
        )  # fmt: skip

    status = target.alert.status
    not_snoozable = ("NOT_SNOOZABLE", f"the alert is {status.lower()}: only open or snoozed "
                     "alerts can be snoozed", _ARGUMENT)  # fmt: skip
    return await _apply(context, target, AuditAction.SNOOZE, change, write, not_snoozable)


async def unsnooze_alert(context: RequestContext, raw_id: str) -> Alert:
    target = await _target(context, raw_id)
    change = ("snoozedUntil", target.alert.snoozed_until, None)

    def write() -> tuple[Alert, StoredAlertEvent] | None:
        return store.unsnooze_alert(
            context.engine, target.org_id, target.alert.id, target.user_id, context.now
        )

    not_snoozed = ("NOT_SNOOZED", "the alert is not snoozed", _ARGUMENT)
    return await _apply(context, target, AuditAction.UNSNOOZE, change, write, not_snoozed)


async def dismiss_alert(context: RequestContext, raw_id: str, reason: str) -> Alert:
    target = await _target(context, raw_id)
    alert = target.alert
    change = ("status", alert.status, "DISMISSED")
    version = await (await context.loaders()).rule_versions.load(
        (alert.rule_id, alert.rule_version)
    )
    assert version is not None  # every version an alert points at is kept
    refusal = _reason_refusal(reason)
    if version.kind == AlertKind.FIX_REQUIRED.name:
        refusal = ("NOT_DISMISSABLE", "a fix-alert cannot be dismissed: fix it, or snooze it",
                   _ARGUMENT)  # fmt: skip
    if refusal is not None:
        raise await _refuse(context, target, AuditAction.DISMISS, change, refusal)

    def write() -> tuple[Alert, StoredAlertEvent] | None:
        return store.dismiss_alert(
            context.engine, target.org_id, alert.id, reason.strip(), target.user_id, context.now
        )

    not_open = ("NOT_DISMISSABLE", f"the alert is {alert.status.lower()}: only open or "
                "snoozed alerts can be dismissed", _ARGUMENT)  # fmt: skip
    return await _apply(context, target, AuditAction.DISMISS, change, write, not_open)
