"""What a rep's write (quick-fix, check-in) answers: its error codes and per-record outcome,
kept as JSON with the idempotency key so that a retry answers exactly what the first attempt
did. Pure: services.quick_fix computes them, the GraphQL payloads render them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from rules.process import AuditOutcome


class QuickFixErrorCode(Enum):
    """Why a field or a record was not written (the first six are checked by dealpulse before
    any call; the next ones come from Salesforce, mapped from its error codes)."""

    FORBIDDEN = "FORBIDDEN"
    INSUFFICIENT_SCOPE = "INSUFFICIENT_SCOPE"  # the token lacks the scope
    INVALID_ID = "INVALID_ID"  # an opportunity id that is no Salesforce id
    INVALID_VALUE = "INVALID_VALUE"
    NOT_UPDATEABLE = "NOT_UPDATEABLE"
    UNKNOWN_FIELD = "UNKNOWN_FIELD"
    REQUIRED = "REQUIRED"
    TOO_LONG = "TOO_LONG"
    NOT_VISIBLE = "NOT_VISIBLE"  # no such opportunity, or not one the caller may see
    CONFLICT = "CONFLICT"  # the record changed since the client read it; nothing written
    FIELD_CUSTOM_VALIDATION_EXCEPTION = "FIELD_CUSTOM_VALIDATION_EXCEPTION"
    SALESFORCE_REFUSED = "SALESFORCE_REFUSED"  # another refusal; its code is in the message
    API_LIMIT = "API_LIMIT"  # the org's daily API budget is spent
    SESSION_EXPIRED = "SESSION_EXPIRED"  # Salesforce refused dealpulse's credentials
    UNAVAILABLE = "UNAVAILABLE"  # Salesforce did not answer; the message says what is known
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"  # the key came with another request
    IN_PROGRESS = "IN_PROGRESS"  # an attempt with this key is still running
    DUPLICATE_OPPORTUNITY = "DUPLICATE_OPPORTUNITY"  # an opportunity twice in one batch
    TOO_MANY = "TOO_MANY"  # more inputs than one batch takes


# Salesforce's error codes and what a client is told; any other is SALESFORCE_REFUSED.
SALESFORCE_CODES = {
    "FIELD_CUSTOM_VALIDATION_EXCEPTION": QuickFixErrorCode.FIELD_CUSTOM_VALIDATION_EXCEPTION,
    "REQUIRED_FIELD_MISSING": QuickFixErrorCode.REQUIRED,
    "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST": QuickFixErrorCode.INVALID_VALUE,
    "INVALID_TYPE_ON_FIELD_IN_RECORD": QuickFixErrorCode.INVALID_VALUE,
    "NUMBER_OUTSIDE_VALID_RANGE": QuickFixErrorCode.INVALID_VALUE,
    "MALFORMED_ID": QuickFixErrorCode.INVALID_VALUE,
    "JSON_PARSER_ERROR": QuickFixErrorCode.INVALID_VALUE,
    "STRING_TOO_LONG": QuickFixErrorCode.TOO_LONG,
    "INVALID_FIELD_FOR_INSERT_UPDATE": QuickFixErrorCode.NOT_UPDATEABLE,
    "INVALID_FIELD": QuickFixErrorCode.UNKNOWN_FIELD,
    "ENTITY_IS_DELETED": QuickFixErrorCode.NOT_VISIBLE,
    "NOT_FOUND": QuickFixErrorCode.NOT_VISIBLE,
    "INSUFFICIENT_ACCESS_OR_READONLY": QuickFixErrorCode.FORBIDDEN,
    "PRECONDITION_FAILED": QuickFixErrorCode.CONFLICT,
}


@dataclass(frozen=True)
class WriteProblem:
    """One error of a record's write. `field`: the input at fault relative to the record's
    input (`values.CloseDate`, `expectedLastModified`, `idempotencyKey`), None for the record
    as a whole."""

    field: str | None
    code: QuickFixErrorCode
    message: str

    def as_json(self) -> dict[str, Any]:
        return {"field": self.field, "code": self.code.name, "message": self.message}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> WriteProblem:
        return cls(data.get("field"), QuickFixErrorCode[data["code"]], str(data["message"]))


@dataclass(frozen=True)
class RecordOutcome:
    """One record's answer: what happened, why not, and for a CONFLICT the values Salesforce
    holds now (the requested fields and LastModifiedDate), so the client can show them."""

    opportunity_id: str
    kind: AuditOutcome
    problems: tuple[WriteProblem, ...] = ()
    current_values: dict[str, Any] | None = None
    resolved_alert_ids: tuple[str, ...] = ()
    task_id: str | None = None
    replayed: bool = False  # answered from its idempotency key, nothing done again
    # A check-in whose Task failed after its field updates were written: they stand.
    fields_applied: bool = False

    @property
    def ok(self) -> bool:
        return self.kind is AuditOutcome.APPLIED

    def as_json(self) -> dict[str, Any]:
        return {
            "opportunity_id": self.opportunity_id,
            "kind": self.kind.name,
            "problems": [p.as_json() for p in self.problems],
            "current_values": self.current_values,
            "resolved_alert_ids": list(self.resolved_alert_ids),
            "task_id": self.task_id,
            "fields_applied": self.fields_applied,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RecordOutcome:
        return cls(
            opportunity_id=str(data["opportunity_id"]),
            kind=AuditOutcome[data["kind"]],
            problems=tuple(WriteProblem.from_json(p) for p in data.get("problems") or ()),
            current_values=data.get("current_values"),
            resolved_alert_ids=tuple(data.get("resolved_alert_ids") or ()),
            task_id=data.get("task_id"),
            replayed=True,
            fields_applied=bool(data.get("fields_applied")),
        )


def refused(opportunity_id: str, *problems: WriteProblem) -> RecordOutcome:
    return RecordOutcome(opportunity_id, AuditOutcome.REFUSED, problems)


def failed(opportunity_id: str, code: QuickFixErrorCode, message: str) -> RecordOutcome:
    return RecordOutcome(opportunity_id, AuditOutcome.FAILED, (WriteProblem(None, code, message),))
