"""Writes to Salesforce for the rep's work (quick-fix, check-in), and reading their effect back.

- **Conditional updates.** Every update carries `If-Unmodified-Since`: Salesforce compares it
  with the record's LastModifiedDate at one-second resolution and answers 412 when the record
  changed after it, so nothing another user saved since the client read the record is
  overwritten. The header cannot say milliseconds: `unmodified_since_header` truncates the
  moment the client read to its second, so a change saved later in that same second passes the
  header. Callers close that gap first from the mirror, whose LastModifiedDate has
  milliseconds (services.quick_fix).
- **Many records** go through the Composite resource, 25 subrequests a call, each with its own
  `httpHeaders` and its own answer (`allOrNone` false). sObject Collections would take 200
  records a call but no conditional header: a lost update is worse than 7 more calls.
- **Never repeated.** A write that fails without saying whether it happened (a timeout, a 5xx,
  a dropped connection) is `WRITE_UNKNOWN`; the caller reads the record back to learn.
- **Read-back.** `read_back` fetches what a write changed, in one Composite call (the
  opportunities, the history rows Salesforce wrote for them, the tasks created) and stores it
  in the mirror through the sync's own row builders, so the mirror holds Salesforce's values.

Values are JSON scalars (str, int, bool, None) or exact `Decimal`s, sent as JSON numbers
without going through float.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from email.utils import format_datetime
from enum import Enum
from typing import Any, cast

from salesforce.errors import (
    ErrorItem,
    GatewayError,
    SalesforceRequestError,
    WriteOutcomeUnknown,
    error_items,
)
from salesforce.gateway import Gateway
from salesforce.soql import by_ids, check_name, select
from salesforce.sync_objects import ObjectSpec, object_specs
from store.mirror import Mirror

logger = logging.getLogger(__name__)

# The Composite resource takes at most 25 subrequests per call.
MAX_COMPOSITE_WRITES = 25
_RECORD_ID = re.compile(r"[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?")
# The objects a read-back brings into the mirror, as the sync mirrors them.
_READ_BACK = ("Opportunity", "OpportunityHistory", "OpportunityFieldHistory", "Task")


class WriteStatus(Enum):
    APPLIED = "applied"  # Salesforce saved it
    CHANGED = "changed"  # 412: the record changed since `unmodified_since`; nothing written
    REFUSED = "refused"  # Salesforce refused it (validation rule, required, picklist...)
    WRITE_UNKNOWN = "write_unknown"  # it may or may not have happened: read it back
    NOT_SENT = "not_sent"  # never reached Salesforce (API budget, login refused, outage)


@dataclass(frozen=True)
class RecordUpdate:
    record_id: str
    values: Mapping[str, object]
    # The LastModifiedDate the client read; None: unconditional (never for a rep's fix).
    unmodified_since: datetime | None


@dataclass(frozen=True)
class WriteResult:
    record_id: str
    status: WriteStatus
    errors: tuple[ErrorItem, ...] = ()
    # What kept a NOT_SENT write back (or made one WRITE_UNKNOWN), for the caller to map.
    failure: GatewayError | None = None


def unmodified_since_header(moment: datetime) -> str:
    """`If-Unmodified-Since` for a LastModifiedDate: an HTTP-date, truncated to its second."""
    return format_datetime(moment.astimezone(UTC).replace(microsecond=0), usegmt=True)


def json_body(values: Mapping[str, object]) -> str:
    """A flat JSON object with Decimals written as exact JSON numbers."""
    parts = []
    for name, value in values.items():
        encoded = format(value, "f") if isinstance(value, Decimal) else json.dumps(value)
        parts.append(f"{json.dumps(name)}: {encoded}")
    return "{" + ", ".join(parts) + "}"


def _check_id(record_id: str) -> str:
    if not _RECORD_ID.fullmatch(record_id):
        raise SalesforceRequestError("MALFORMED_ID", "not a Salesforce id", ("Id",))
    return record_id


def _headers(update: RecordUpdate) -> dict[str, str]:
    if update.unmodified_since is None:
        return {}
    return {"If-Unmodified-Since": unmodified_since_header(update.unmodified_since)}


def _refused(error: SalesforceRequestError, record_id: str) -> WriteResult:
    status = WriteStatus.CHANGED if error.status == 412 else WriteStatus.REFUSED
    return WriteResult(record_id, status, error.items)


def update_record(gateway: Gateway, sobject: str, update: RecordUpdate) -> WriteResult:
    """PATCH one record through sObject Rows (one API call; two when the session had expired).
    Raises what kept it from being sent (ApiLimitExceeded, SalesforceAuthError...)."""
    path = f"sobjects/{check_name(sobject)}/{_check_id(update.record_id)}"
    body = json_body(update.values)
    try:
        gateway.call(
            lambda sf: sf.restful(path, method="PATCH", data=body, headers=_headers(update)),
            idempotent=False,
        )
    except SalesforceRequestError as error:
        return _refused(error, update.record_id)
    except WriteOutcomeUnknown as unknown:
        logger.warning("update of %s %s: outcome unknown (%s)", sobject, update.record_id, unknown)
        return WriteResult(update.record_id, WriteStatus.WRITE_UNKNOWN, failure=unknown)
    return WriteResult(update.record_id, WriteStatus.APPLIED)


def update_records(
    gateway: Gateway, sobject: str, updates: Sequence[RecordUpdate]
) -> list[WriteResult]:
    """Each update's result, in order: ceil(n / 25) Composite calls, each subrequest a
    conditional PATCH answered on its own. A call that fails as a whole gives each of its
    records that failure (WRITE_UNKNOWN, or NOT_SENT for this call and the ones after it)."""
    check_name(sobject)
    for update in updates:
        _check_id(update.record_id)
    results: list[WriteResult] = []
    stopped: GatewayError | None = None
    for start in range(0, len(updates), MAX_COMPOSITE_WRITES):
        batch = updates[start : start + MAX_COMPOSITE_WRITES]
        if stopped is not None:
            results += [
                WriteResult(u.record_id, WriteStatus.NOT_SENT, failure=stopped) for u in batch
            ]
            continue
        try:
            results += _composite_updates(gateway, sobject, batch)
        except WriteOutcomeUnknown as unknown:
            logger.warning("update of %d %s records: outcome unknown (%s)", len(batch), sobject,
                           unknown)  # fmt: skip
            results += [
                WriteResult(u.record_id, WriteStatus.WRITE_UNKNOWN, failure=unknown) for u in batch
            ]
        except GatewayError as error:  # the call was not processed: neither are the next ones
            stopped = error
            results += [
                WriteResult(u.record_id, WriteStatus.NOT_SENT, failure=error) for u in batch
            ]
    return results


def _subrequest(base: str, number: int, update: RecordUpdate) -> str:
    """One PATCH subrequest as JSON text (its body through json_body: Decimals stay exact)."""
    envelope: dict[str, object] = {
        "method": "PATCH",
        "url": f"{base}/{update.record_id}",
        "referenceId": f"u{number}",
    }
    if update.unmodified_since is not None:
        envelope["httpHeaders"] = _headers(update)
    return json.dumps(envelope)[:-1] + ', "body": ' + json_body(update.values) + "}"


def _composite_updates(
    gateway: Gateway, sobject: str, batch: Sequence[RecordUpdate]
) -> list[WriteResult]:
    base = f"/services/data/v{gateway.connection.api_version}/sobjects/{sobject}"
    subrequests = ", ".join(_subrequest(base, n, update) for n, update in enumerate(batch))
    body = '{"allOrNone": false, "compositeRequest": [' + subrequests + "]}"
    answer = gateway.call(
        lambda sf: cast(dict[str, Any], sf.restful("composite", method="POST", data=body)),
        idempotent=False,
    )
    results = []
    for update, sub in zip(batch, answer["compositeResponse"], strict=True):
        status = int(sub["httpStatusCode"])
        if status < 300:
            results.append(WriteResult(update.record_id, WriteStatus.APPLIED))
        elif status >= 500:
            results.append(WriteResult(update.record_id, WriteStatus.WRITE_UNKNOWN))
        else:
            items = error_items(sub.get("body"))
            error = SalesforceRequestError(items[0].code, items[0].message, (), status, items=items)
            results.append(_refused(error, update.record_id))
    return results


def create_record(gateway: Gateway, sobject: str, values: Mapping[str, object]) -> str:
    """POST one record (one API call); its new id. Raises SalesforceRequestError when
    Salesforce refuses it and WriteOutcomeUnknown when it may have been created."""
    path = f"sobjects/{check_name(sobject)}/"
    body = json_body(values)
    answer = gateway.call(
        lambda sf: cast(dict[str, Any], sf.restful(path, method="POST", data=body)),
        idempotent=False,
    )
    return str(answer["id"])


@dataclass(frozen=True)
class ReadBack:
    """What a read-back found (and stored in the mirror): records by id."""

    opportunities: dict[str, dict[str, Any]]
    tasks: dict[str, dict[str, Any]]


def _specs(describe: dict[str, Any]) -> dict[str, ObjectSpec]:
    return {s.sobject: s for s in object_specs(describe) if s.sobject in _READ_BACK}


def read_back(
    gateway: Gateway,
    mirror: Mirror,
    describe: dict[str, Any],
    opportunity_ids: Iterable[str],
    *,
    history_since: datetime,
    task_ids: Iterable[str] = (),
    task_search: tuple[str, str, datetime] | None = None,
) -> ReadBack:
    """The opportunities as Salesforce has them now, the history rows written for them since
    `history_since`, and the tasks named (or, for `task_search` (what_id, subject, since), the
    tasks a create that timed out may have made), all in ONE Composite call (more only when a
    result has further pages), upserted into the mirror."""
    ids = list(dict.fromkeys(opportunity_ids))
    specs = _specs(describe)
    queries: list[tuple[str, ObjectSpec]] = []
    if ids:
        opp = specs["Opportunity"]
        queries.append((next(by_ids(opp.sobject, opp.fields, "Id", ids, batch=len(ids))), opp))
        for name in ("OpportunityHistory", "OpportunityFieldHistory"):
            spec = specs[name]
            where = "OpportunityId IN {ids} AND CreatedDate >= {since}"
            soql = select(spec.sobject, spec.fields, where=where, ids=ids, since=history_since)
            queries.append((soql, spec))
    tasks = specs["Task"]
    wanted_tasks = list(dict.fromkeys(task_ids))
    if wanted_tasks:
        soql = next(
            by_ids(tasks.sobject, tasks.fields, "Id", wanted_tasks, batch=len(wanted_tasks))
        )
        queries.append((soql, tasks))
    elif task_search is not None:
        what_id, subject, since = task_search
        where = "WhatId = {what} AND Subject = {subject} AND CreatedDate >= {since}"
        soql = select(tasks.sobject, tasks.fields, where=where, what=what_id, subject=subject,
                      since=since)  # fmt: skip
        queries.append((soql, tasks))
    if not queries:
        return ReadBack({}, {})
    pages = gateway.first_pages([(soql, False) for soql, _ in queries])
    found: dict[str, dict[str, dict[str, Any]]] = {"Opportunity": {}, "Task": {}}
    for (_, spec), first in zip(queries, pages, strict=True):
        assert isinstance(first, dict)  # no query is optional: a refusal raised
        for page in gateway.pages_from(first):
            mirror.upsert(spec.model, [spec.to_row(record) for record in page])
            if spec.sobject in found:
                found[spec.sobject].update({str(r["Id"]): r for r in page})
    return ReadBack(found["Opportunity"], found["Task"])
