"""Idempotency keys (store.idempotency) on SQLite and PostgreSQL: what a claim answers in each
state, that a key is per user, that expired keys are taken over and purged, and that of
claims at once exactly one runs."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import Engine
from sqlmodel import Session, select

from store.idempotency import (
    KEY_TTL,
    Claim,
    ClaimState,
    claim_key,
    complete_key,
    purge_expired,
    release_key,
    request_digest,
)
from store.write_models import IdempotencyKey
from tests import factories as f

REP, OTHER_REP = "005000000000001AAA", "005000000000002AAA"
KEY, ACTION = "key-1", "quickFix"
REQUEST = {"opportunityId": "006000000000001AAA", "values": {"Amount": Decimal("58500.00")}}
DIGEST = request_digest(ACTION, REQUEST)
ANSWER = {"opportunity": {"id": "006000000000001AAA"}, "errors": []}


def _claim(engine: Engine, **change: object) -> Claim:
    args: dict[str, object] = {
        "org_id": f.ORG_A, "user_id": REP, "key": KEY, "action": ACTION, "digest": DIGEST,
        "now": f.NOW,
    }  # fmt: skip
    args.update(change)
    return claim_key(engine, **args)  # type: ignore[arg-type]


def _rows(engine: Engine) -> list[IdempotencyKey]:
    with Session(engine) as session:
        return list(session.exec(select(IdempotencyKey)).all())


def test_the_digest_is_canonical() -> None:
    reordered = {"values": {"Amount": Decimal("58500.00")}, "opportunityId": "006000000000001AAA"}
    assert request_digest(ACTION, reordered) == DIGEST
    assert len(DIGEST) == 64
    assert int(DIGEST, 16) >= 0  # hex
    assert request_digest("checkIn", REQUEST) != DIGEST
    other = {**REQUEST, "values": {"Amount": Decimal("58500.01")}}
    assert request_digest(ACTION, other) != DIGEST
    dated = request_digest(ACTION, {"CloseDate": date(2026, 4, 30)})
    assert dated == request_digest(ACTION, {"CloseDate": "2026-04-30"})


def test_a_first_claim_is_new_and_in_progress_until_completed(store_engine: Engine) -> None:
    f.org(store_engine)
    assert _claim(store_engine) == Claim(ClaimState.NEW)
    (row,) = _rows(store_engine)
    assert (row.state, row.action, row.request_digest) == ("IN_PROGRESS", ACTION, DIGEST)
    assert (row.created_at, row.expires_at) == (f.NOW, f.NOW + KEY_TTL)
    assert row.outcome is None
    # A retry while the first attempt runs (or after it died: the key waits for its expiry).
    later = f.NOW + timedelta(hours=1)
    assert _claim(store_engine, now=later) == Claim(ClaimState.IN_PROGRESS)
    complete_key(store_engine, f.ORG_A, REP, KEY, ANSWER)
    assert _claim(store_engine, now=later) == Claim(ClaimState.DONE, ANSWER)


def test_a_first_answer_is_never_overwritten(store_engine: Engine) -> None:
    f.org(store_engine)
    _claim(store_engine)
    complete_key(store_engine, f.ORG_A, REP, KEY, {"amount": Decimal("1.00")})
    complete_key(store_engine, f.ORG_A, REP, KEY, {"amount": "other"})
    release_key(store_engine, f.ORG_A, REP, KEY)  # a DONE key is not released
    assert _claim(store_engine) == Claim(ClaimState.DONE, {"amount": "1.00"})


def test_another_action_or_request_under_a_live_key_is_a_mismatch(store_engine: Engine) -> None:
    f.org(store_engine)
    _claim(store_engine)
    assert _claim(store_engine, action="checkIn").state is ClaimState.MISMATCH
    assert _claim(store_engine, digest=request_digest(ACTION, {})).state is ClaimState.MISMATCH
    complete_key(store_engine, f.ORG_A, REP, KEY, ANSWER)
    assert _claim(store_engine, action="checkIn") == Claim(ClaimState.MISMATCH)
    (row,) = _rows(store_engine)
    assert (row.action, row.state) == (ACTION, "DONE")  # the mismatch changed nothing


def test_a_key_is_per_user_and_per_org(store_engine: Engine) -> None:
    f.org(store_engine)
    f.org(store_engine, f.ORG_B)
    _claim(store_engine)
    complete_key(store_engine, f.ORG_A, REP, KEY, ANSWER)
    assert _claim(store_engine, user_id=OTHER_REP).state is ClaimState.NEW
    assert _claim(store_engine, org_id=f.ORG_B).state is ClaimState.NEW
    assert _claim(store_engine).state is ClaimState.DONE
    complete_key(store_engine, f.ORG_B, REP, KEY, {"org": "B"})
    release_key(store_engine, f.ORG_A, OTHER_REP, KEY)
    assert _claim(store_engine) == Claim(ClaimState.DONE, ANSWER)  # A's REP untouched
    assert _claim(store_engine, org_id=f.ORG_B) == Claim(ClaimState.DONE, {"org": "B"})
    assert _claim(store_engine, user_id=OTHER_REP).state is ClaimState.NEW  # released


def test_a_released_claim_runs_anew(store_engine: Engine) -> None:
    f.org(store_engine)
    _claim(store_engine)
    release_key(store_engine, f.ORG_A, REP, KEY)
    assert _rows(store_engine) == []
    assert _claim(store_engine, digest=request_digest(ACTION, {})).state is ClaimState.NEW


def test_an_expired_key_is_taken_over(store_engine: Engine) -> None:
    f.org(store_engine)
    _claim(store_engine)
    complete_key(store_engine, f.ORG_A, REP, KEY, ANSWER)
    expiry = f.NOW + KEY_TTL
    assert _claim(store_engine, now=expiry - timedelta(seconds=1)).state is ClaimState.DONE
    other = request_digest("checkIn", {})
    assert _claim(store_engine, now=expiry, action="checkIn", digest=other).state is (
        ClaimState.NEW
    )
    (row,) = _rows(store_engine)
    assert (row.action, row.request_digest, row.state) == ("checkIn", other, "IN_PROGRESS")
    assert (row.outcome, row.created_at, row.expires_at) == (None, expiry, expiry + KEY_TTL)


def test_purge_deletes_every_orgs_expired_keys_only(store_engine: Engine) -> None:
    f.org(store_engine)
    f.org(store_engine, f.ORG_B)
    _claim(store_engine)
    _claim(store_engine, org_id=f.ORG_B, now=f.NOW - timedelta(hours=1))
    _claim(store_engine, key="fresh", now=f.NOW + timedelta(hours=1))
    assert purge_expired(store_engine, f.NOW + KEY_TTL) == 2
    assert [(row.org_id, row.key) for row in _rows(store_engine)] == [(f.ORG_A, "fresh")]
    assert purge_expired(store_engine, f.NOW + KEY_TTL) == 0


def test_of_claims_at_once_exactly_one_is_new(store_engine: Engine) -> None:
    f.org(store_engine)
    writers = 6
    start = threading.Barrier(writers)

    def claim(_: int) -> ClaimState:
        start.wait()
        return _claim(store_engine).state

    with ThreadPoolExecutor(writers) as pool:
        states = list(pool.map(claim, range(writers)))
    assert states.count(ClaimState.NEW) == 1
    assert states.count(ClaimState.IN_PROGRESS) == writers - 1
    assert len(_rows(store_engine)) == 1


def test_of_takeovers_of_an_expired_key_at_once_exactly_one_is_new(store_engine: Engine) -> None:
    f.org(store_engine)
    _claim(store_engine)
    writers, expiry = 6, f.NOW + KEY_TTL
    start = threading.Barrier(writers)

    def claim(_: int) -> ClaimState:
        start.wait()
        return _claim(store_engine, now=expiry).state

    with ThreadPoolExecutor(writers) as pool:
        states = list(pool.map(claim, range(writers)))
    assert states.count(ClaimState.NEW) == 1
    assert states.count(ClaimState.IN_PROGRESS) == writers - 1
