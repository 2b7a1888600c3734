"""Idempotency keys: a client retrying a mutation with the same key gets the first attempt's
answer instead of a second write to Salesforce (store.write_models.IdempotencyKey).

A key belongs to an org AND a user: another user's same key is another key. Its lifecycle:

    claim_key     -> NEW: this attempt runs (the key is IN_PROGRESS until KEY_TTL)
    complete_key  -> DONE: the answer is stored; a retry of the same request gets it (DONE)
    release_key   -> gone: the attempt ended before anything reached Salesforce, a retry
                     runs anew
    purge_expired -> expired keys of every org deleted (the scheduler calls it)

A live key claimed again for another action or another request (its digest differs) is a
MISMATCH: the client reused a key, and nothing runs. An expired key is taken over as NEW.

An IN_PROGRESS claim whose attempt died (the process stopped between claim and complete) is
not taken over early: claims keep answering IN_PROGRESS until the key expires (KEY_TTL). That
is deliberately simple: judging an attempt "abandoned" after a few minutes could let a retry
write to Salesforce a second time while a slow first attempt is still running; a client that
gets IN_PROGRESS for long can use a new key.

Claims are race-safe on both databases: the claim is one INSERT ... ON CONFLICT DO NOTHING
(PostgreSQL waits for a concurrent insert of the same key to commit, SQLite serialises
writers), and taking over an expired key is one conditional UPDATE, so of two attempts at once
exactly one gets NEW. Every statement is built through store.tenancy.OrgScope. Blocking: async
callers use `run_in_threadpool`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from sqlalchemy import ColumnElement, CursorResult, Engine, Insert, and_
from sqlmodel import Session, col, select

from store.audit import jsonable
from store.engine import conflict_insert, session_scope
from store.models import Org
from store.tenancy import OrgScope, table_of
from store.write_models import IdempotencyKey

KEY_TTL = timedelta(hours=24)
IN_PROGRESS, DONE = "IN_PROGRESS", "DONE"  # the stored states
# A claim re-reads when the row it conflicted with is gone by the time it looks (released or
# purged meanwhile); each round makes progress, so a few rounds always suffice in practice.
CLAIM_ROUNDS = 5


class ClaimState(Enum):
    NEW = "NEW"  # this attempt holds the key: run it, then complete_key or release_key
    DONE = "DONE"  # the same request ran already: answer its stored outcome
    MISMATCH = "MISMATCH"  # the key was used for another action or request
    IN_PROGRESS = "IN_PROGRESS"  # the same request is running (or died: see the module doc)


@dataclass(frozen=True)
class Claim:
    state: ClaimState
    outcome: dict[str, Any] | list[Any] | None = None  # DONE: what the first attempt answered


def request_digest(action: str, request: object) -> str:
    """The sha256 (hex) of the canonical JSON of `action` and `request`: keys sorted, no
    spaces, Decimal as its decimal text and dates in ISO 8601 (store.audit.jsonable), so the
    same request digests the same whatever the order of its keys."""
    canonical = json.dumps(
        {"action": action, "request": jsonable(request)},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _key(scope: OrgScope, user_id: str, key: str) -> ColumnElement[bool]:
    return and_(
        scope.owns(IdempotencyKey),
        col(IdempotencyKey.user_id) == user_id,
        col(IdempotencyKey.key) == key,
    )


def _insert_if_absent(session: Session, values: dict[str, Any]) -> bool:
    """Insert the row unless its key exists (in any state); True if it was inserted."""
    table = table_of(IdempotencyKey)
    statement: Insert = (
        conflict_insert(session.get_bind().dialect, table).values(values).on_conflict_do_nothing()
    )
    # RETURNING, not rowcount: psycopg reports -1 for an INSERT ... ON CONFLICT.
    inserted = session.execute(statement.returning(table.c.key)).first()
    return inserted is not None


def claim_key(
    engine: Engine,
    org_id: str,
    user_id: str,
    key: str,
    action: str,
    digest: str,
    now: datetime,
) -> Claim:
    """Claim the user's key for `action` and the request whose digest is `digest` (see the
    module doc for what each ClaimState means); NEW leaves it IN_PROGRESS until now + KEY_TTL."""
    scope = OrgScope(org_id)
    fresh = {
        "action": action,
        "request_digest": digest,
        "state": IN_PROGRESS,
        "outcome": None,
        "created_at": now,
        "expires_at": now + KEY_TTL,
    }
    row = {**fresh, "org_id": org_id, "user_id": user_id, "key": key}
    for _ in range(CLAIM_ROUNDS):
        with session_scope(engine) as session:
            if _insert_if_absent(session, row):
                return Claim(ClaimState.NEW)
            # Taken over only while still expired: of two claims at once, one UPDATE matches.
            take_over = (
                scope.update(IdempotencyKey)
                .where(_key(scope, user_id, key), col(IdempotencyKey.expires_at) <= now)
                .values(fresh)
                .returning(col(IdempotencyKey.key))
            )
            if session.execute(take_over).first() is not None:
                return Claim(ClaimState.NEW)
            found = session.exec(
                scope.select(IdempotencyKey).where(_key(scope, user_id, key))
            ).first()
            if found is not None:
                return _answer(found, action, digest)
    raise RuntimeError(f"idempotency key not claimed after {CLAIM_ROUNDS} rounds")


def _answer(found: IdempotencyKey, action: str, digest: str) -> Claim:
    """What a live key says to a claim of `action` with `digest`."""
    if found.action != action or found.request_digest != digest:
        return Claim(ClaimState.MISMATCH)
    if found.state == DONE:
        return Claim(ClaimState.DONE, found.outcome)
    return Claim(ClaimState.IN_PROGRESS)


def complete_key(engine: Engine, org_id: str, user_id: str, key: str, outcome: object) -> None:
    """The claimed key, DONE with `outcome` (as JSON, store.audit.jsonable) for retries to
    get. A key that is not IN_PROGRESS (completed already, released, purged) is left alone:
    a first answer is never overwritten."""
    scope = OrgScope(org_id)
    statement = (
        scope.update(IdempotencyKey)
        .where(_key(scope, user_id, key), col(IdempotencyKey.state) == IN_PROGRESS)
        .values(state=DONE, outcome=jsonable(outcome))
    )
    with session_scope(engine) as session:
        session.execute(statement)


def release_key(engine: Engine, org_id: str, user_id: str, key: str) -> None:
    """The claim deleted, so a retry runs anew: for an attempt that ended before anything was
    written to Salesforce. A DONE key is kept (its answer stands)."""
    scope = OrgScope(org_id)
    statement = scope.delete(IdempotencyKey).where(
        _key(scope, user_id, key), col(IdempotencyKey.state) == IN_PROGRESS
    )
    with session_scope(engine) as session:
        session.execute(statement)


def purge_expired(engine: Engine, now: datetime) -> int:
    """Delete every org's keys expired at `now`; how many were deleted. One DELETE per org,
    each through its OrgScope (and the (org_id, expires_at) index), in one transaction."""
    deleted = 0
    with session_scope(engine) as session:
        for org_id in session.exec(select(Org.id)).all():
            statement = (
                OrgScope(org_id).delete(IdempotencyKey).where(col(IdempotencyKey.expires_at) <= now)
            )
            result = session.execute(statement)
            assert isinstance(result, CursorResult)
            deleted += result.rowcount
    return deleted
