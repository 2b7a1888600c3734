"""Tenancy of the writes' repositories (store.audit, store.idempotency), as
tests/store/test_tenancy_process.py checks the sales process's: two orgs hold audit entries
and idempotency keys under the same ids, users and keys, and every function answers (or
changes) only its own org's rows. The last test checks that every public function is
exercised here."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine
from sqlmodel import Session, SQLModel, select

from rules.process import AuditAction, AuditOutcome
from store import audit, idempotency
from store.audit import AuditRecord
from store.idempotency import KEY_TTL, Claim, ClaimState
from store.write_models import AuditEntry, IdempotencyKey
from tests import factories as f
from tests.store.test_tenancy import DEAL, DEALS, TAG, USER, two_orgs
from tests.store.test_tenancy_process import _public_functions

A, B = f.ORG_A, f.ORG_B
ENTRY, KEY, ACTION = "aud_shared", "key_shared", "quickFix"
DIGEST = idempotency.request_digest(ACTION, {"same": "request"})
WRITE_MODELS: tuple[type[SQLModel], ...] = (AuditEntry, IdempotencyKey)


def _write_rows(org: str) -> list[SQLModel]:
    tag = TAG[org]
    return [
        AuditEntry(
            org_id=org, id=ENTRY, at=f.NOW, user_id=USER, action="QUICK_FIX",
            opportunity_id=DEAL, field="NextStep", old_value=f"{tag} old",
            new_value=f"{tag} new", outcome="APPLIED", connection=f"integration:{tag}",
        ),
        IdempotencyKey(
            org_id=org, user_id=USER, key=KEY, action=ACTION, request_digest=DIGEST,
            state="DONE", outcome={"org": tag}, created_at=f.NOW, expires_at=f.NOW + KEY_TTL,
        ),
    ]  # fmt: skip


def two_orgs_with_writes(engine: Engine) -> None:
    two_orgs(engine)
    f.add(engine, *_write_rows(A), *_write_rows(B))


def _b_rows(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return sorted(
            f"{model.__name__} {sorted(row.model_dump().items())!r}"
            for model in WRITE_MODELS
            for row in session.exec(select(model).where(model.org_id == B))  # type: ignore[attr-defined]
        )


AUDIT = {"record_audit", "audit_log"}
IDEMPOTENCY = {"claim_key", "complete_key", "release_key", "purge_expired"}
# Functions of these modules that take no org: they compute over values given.
PURE = {"jsonable", "request_digest"}


def test_the_audit_log_answers_only_its_orgs_entries(store_engine: Engine) -> None:
    two_orgs_with_writes(store_engine)
    log = audit.audit_log(store_engine, A, DEALS)
    assert {k: [(e.id, e.new_value) for e in v] for k, v in log.items()} == {
        DEAL: [(ENTRY, "A new")]
    }


def test_recording_writes_only_its_orgs_trail(store_engine: Engine) -> None:
    two_orgs_with_writes(store_engine)
    before = _b_rows(store_engine)
    record = AuditRecord(USER, AuditAction.DISMISS, DEAL, AuditOutcome.APPLIED)
    (written,) = audit.record_audit(store_engine, A, [record], f.NOW + timedelta(minutes=1))
    assert written.org_id == A
    assert [e.action for e in audit.audit_log(store_engine, A, [DEAL])[DEAL]] == [
        "DISMISS",
        "QUICK_FIX",
    ]
    assert _b_rows(store_engine) == before


def test_a_key_of_one_org_is_not_anothers(store_engine: Engine) -> None:
    two_orgs_with_writes(store_engine)
    before = _b_rows(store_engine)
    claim = idempotency.claim_key(store_engine, A, USER, KEY, ACTION, DIGEST, f.NOW)
    assert claim == Claim(ClaimState.DONE, {"org": "A"})
    mismatch = idempotency.claim_key(store_engine, A, USER, KEY, "checkIn", DIGEST, f.NOW)
    assert mismatch.state is ClaimState.MISMATCH
    # A's key expires and is taken over, completed, claimed again, released: B's stays.
    later = f.NOW + KEY_TTL
    assert idempotency.claim_key(store_engine, A, USER, KEY, ACTION, DIGEST, later).state is (
        ClaimState.NEW
    )
    idempotency.complete_key(store_engine, A, USER, KEY, {"org": "A again"})
    with Session(store_engine) as session:
        mine = session.exec(select(IdempotencyKey).where(IdempotencyKey.org_id == A)).one()
    assert mine.outcome == {"org": "A again"}
    assert _b_rows(store_engine) == before


def test_purge_deletes_the_expired_keys_of_every_org_alone(store_engine: Engine) -> None:
    """The one function over every org (the scheduler's purge), still one org at a time: an
    org's expired key goes, another org's live key under the same user and key stays."""
    two_orgs_with_writes(store_engine)
    later = f.NOW + KEY_TTL
    idempotency.claim_key(store_engine, B, USER, KEY, ACTION, DIGEST, later)  # B's renewed
    before = _b_rows(store_engine)
    assert idempotency.purge_expired(store_engine, later) == 1
    with Session(store_engine) as session:
        assert [k.org_id for k in session.exec(select(IdempotencyKey)).all()] == [B]
    assert _b_rows(store_engine) == before


def test_release_changes_only_its_orgs_key(store_engine: Engine) -> None:
    two_orgs(store_engine)
    for org in (A, B):
        idempotency.claim_key(store_engine, org, USER, KEY, ACTION, DIGEST, f.NOW)
    idempotency.release_key(store_engine, A, USER, KEY)
    idempotency.complete_key(store_engine, A, USER, KEY, {"org": "A"})  # released: no-op
    with Session(store_engine) as session:
        keys = session.exec(select(IdempotencyKey)).all()
    assert [(k.org_id, k.state, k.outcome) for k in keys] == [(B, "IN_PROGRESS", None)]


def test_every_write_repository_function_is_checked_here() -> None:
    checked = {audit: AUDIT, idempotency: IDEMPOTENCY}
    for module, names in checked.items():
        assert _public_functions(module) - PURE == names, f"check {module.__name__}'s new function"
