"""The tables of writes made through dealpulse: the audit trail of every attempt (quick-fix,
check-in, snooze, dismiss, milestone) and the idempotency keys that make a retried mutation
answer what its first attempt answered instead of writing twice.

Like every other table, each row belongs to one org (`org_id` leads every primary key;
statements are built through store.tenancy.OrgScope). Enumerated columns hold the names of
rules.process's enums (AuditAction, AuditOutcome). Repositories: store.audit, store.idempotency.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from store.models import utc_field

# The longest error text an audit row keeps (store.audit truncates): enough for Salesforce's
# messages, bounded so a huge error body cannot bloat the table.
ERROR_MAX_LENGTH = 1000


def nullable_json_field() -> Any:
    """A JSON column that may be NULL (store.models.json_field never is). Python None is
    stored as SQL NULL, not as the JSON text `null`, so `IS NULL` finds it on both databases."""
    return Field(default=None, sa_column=Column(JSON(none_as_null=True), nullable=True))


class AuditEntry(SQLModel, table=True):
    """One attempt of a person's write on an opportunity, applied or not: who, what, which
    field from which value to which, how it ended. Rows are only ever inserted."""

    __tablename__ = "audit_entry"
    # An opportunity's trail, newest first (store.audit.audit_log).
    __table_args__ = (Index("ix_audit_org_opp_at", "org_id", "opportunity_id", "at"),)
    org_id: str = Field(primary_key=True, foreign_key="org.id")
    id: str = Field(primary_key=True)  # new_id("aud")
    at: datetime = utc_field(nullable=False)
    # Who acted: a Salesforce user id, or for an OAuth client acting as no user its client_id
    # (auth.principals.Principal.actor_id).
    user_id: str
    action: str  # AuditAction name
    opportunity_id: str
    alert_id: str | None = None
    field: str | None = None  # the Salesforce field written, for a quick-fix
    old_value: Any = nullable_json_field()  # JSON: Decimal as "58500.00", dates ISO
    new_value: Any = nullable_json_field()
    outcome: str  # AuditOutcome name
    error: str | None = None  # at most ERROR_MAX_LENGTH characters (store.audit truncates)
    request_id: str | None = None
    connection: str = ""  # how Salesforce was reached: "user", "integration:<username>", ...
    client_id: str | None = None  # the OAuth client the write came through; None: a dev token


class IdempotencyKey(SQLModel, table=True):
    """A client's idempotency key, per org and per user (another user's same key is another
    key): the first attempt claims it IN_PROGRESS, stores what it answered when DONE, and a
    retry with the same request gets that answer back until `expires_at`."""

    __tablename__ = "idempotency_key"
    # The purge deletes expired keys (store.idempotency.purge_expired).
    __table_args__ = (Index("ix_idempotency_org_expires", "org_id", "expires_at"),)
    org_id: str = Field(primary_key=True, foreign_key="org.id")
    user_id: str = Field(primary_key=True)
    key: str = Field(primary_key=True)
    action: str  # the mutation's name
    request_digest: str  # sha256 hex of the canonical request (store.idempotency)
    state: str  # IN_PROGRESS | DONE
    outcome: Any = nullable_json_field()  # what the first attempt answered, once DONE
    created_at: datetime = utc_field(nullable=False)
    expires_at: datetime = utc_field(nullable=False)
