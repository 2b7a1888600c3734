"""What every write of a rep to Salesforce shares (quick-fix, check-in): who writes and what
runs after (WriteContext), a record on its way (Pending), and how a sent write is settled: one
read-back call for every record written or in doubt, stored in the mirror, the facts and
alerts of the records written evaluated at once, and each record's outcome from Salesforce's
answer and the read-back (a write whose outcome was unknown is decided by what the read-back
shows, never by sending it again). Blocking (Salesforce and the store)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Engine

from auth.principals import Principal
from rules.process import AlertStatus, AuditOutcome
from rules.write_outcomes import (
    SALESFORCE_CODES,
    QuickFixErrorCode,
    RecordOutcome,
    WriteProblem,
    failed,
    refused,
)
from salesforce.errors import ApiLimitExceeded, ErrorItem, GatewayError, SalesforceAuthError
from salesforce.gateway import Gateway
from salesforce.sync_objects import sf_datetime
from salesforce.writes import ReadBack, WriteResult, WriteStatus, read_back
from services.evaluation import Evaluate
from services.refresh import refresh_facts
from store.alerts import alerts_by_opportunity
from store.mirror import Mirror
from store.models import Opportunity

logger = logging.getLogger(__name__)
# History rows a write made are read back from a little before it (clocks differ).
HISTORY_OVERLAP = timedelta(minutes=5)


@dataclass(frozen=True)
class FixRequest:
    opportunity_id: str  # a valid 18-character Salesforce id (the resolver checked its shape)
    values: Mapping[str, object]
    expected_last_modified: datetime
    idempotency_key: str


# What the audit's `connection` says a write went through.
INTEGRATION = "integration"  # the org's connection (its JWT bearer or other configured flow)
USER = "user"  # the user's own Salesforce session (it logged in through dealpulse)


@dataclass(frozen=True)
class WriteContext:
    """Who writes, through which connection, and what runs after."""

    engine: Engine
    principal: Principal
    gateway: Callable[[], Gateway]  # called only once a record passed every check
    evaluate: Evaluate | None
    now: datetime
    request_id: str | None = None
    # The user's own gateway (services.orgs.OrgRefresher.user_gateway), None when dealpulse
    # holds no Salesforce token for the user; called only once a record passed every check.
    user_gateway: Callable[[], Gateway | None] | None = None
    _through: list[str] = field(default_factory=lambda: [INTEGRATION])

    @property
    def org_id(self) -> str:
        return self.principal.org_id

    def salesforce(self) -> Gateway:
        """The gateway the write goes through: the user's own Salesforce session when
        dealpulse holds one (Salesforce's permissions, validation and audit apply, and the
        change is the user's), else the org's integration connection."""
        own = self.user_gateway() if self.user_gateway is not None else None
        if own is not None:
            self._through[0] = USER
            return own
        return self.gateway()

    @property
    def connection(self) -> str:
        """What the audit says the write went through: "user" or "integration"."""
        return self._through[0]


@dataclass
class Pending:
    """A record that passed the checks, on its way to Salesforce."""

    request: FixRequest
    opportunity: Opportunity
    clean: dict[str, object]
    result: WriteResult | None = None


def current_values(
    record: Mapping[str, Any], asked: Mapping[str, object], last_modified: datetime | None
) -> dict[str, Any]:
    """The asked fields as `record` holds them, and when it was last modified."""
    values = {name: _jsonable(record.get(name)) for name in asked}
    return {**values, "LastModifiedDate": last_modified.isoformat() if last_modified else None}


def _jsonable(value: object) -> object:
    return str(value) if isinstance(value, Decimal) else value


def conflict(opportunity_id: str, current: dict[str, Any] | None) -> RecordOutcome:
    message = "the record changed in Salesforce since it was read; nothing was written"
    return RecordOutcome(
        opportunity_id,
        AuditOutcome.CONFLICT,
        (WriteProblem("expectedLastModified", QuickFixErrorCode.CONFLICT, message),),
        current_values=current,
    )


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
            current = current_values(
                record, item.clean, sf_datetime(record.get("LastModifiedDate"))
            )
        return conflict(opportunity_id, current)
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
