from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet
from pydantic import SecretStr
from sqlalchemy import Engine, event, update
from sqlmodel import Session, select

from api.settings import Settings
from auth.signing_keys import (
    KeyRing,
    RetiredKeyError,
    SigningKeyError,
    UnknownKeyError,
    current_signing_key,
    jwks,
    key_ring,
    rotate_signing_key,
    rotate_signing_key_if_due,
    verification_keys,
)
from store.engine import make_engine, session_scope
from store.oauth_models import OAuthSigningKey
from tests.store_backends import backend_engine, counting

SECRET = "a-secret-key-long-enough-for-the-signing-keys"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
GRACE = 3600


def settings(secret: str = SECRET, grace: int = GRACE) -> Settings:
    return Settings(
        database_url="sqlite://", secret_key=SecretStr(secret), signing_key_grace_seconds=grace
    )


class FakeClock:
    """The monotonic clock a KeyRing reads for its TTL and miss interval."""

    def __init__(self) -> None:
        self.value = 1000.0

    def __call__(self) -> float:
        return self.value


def kids(key_set: KeySet) -> set[str]:
    return {key.kid for key in key_set if key.kid is not None}


def rows(engine: Engine) -> list[OAuthSigningKey]:
    with Session(engine) as session:
        return list(session.exec(select(OAuthSigningKey)).all())


def test_the_first_key_is_created_once_then_reused(store_engine: Engine) -> None:
    kid, key = current_signing_key(store_engine, settings(), T0)
    again, _ = current_signing_key(store_engine, settings(), T0 + timedelta(minutes=5))
    assert again == kid
    assert key.kid == kid == key.thumbprint()
    assert key.is_private
    assert key.as_dict(private=True)["crv"] == "P-256"
    (row,) = rows(store_engine)
    assert (row.kid, row.algorithm, row.created_at, row.retired_at) == (kid, "ES256", T0, None)


def test_the_private_key_is_stored_encrypted(store_engine: Engine) -> None:
    _, key = current_signing_key(store_engine, settings(), T0)
    private_part = str(key.as_dict(private=True)["d"])
    (row,) = rows(store_engine)
    assert private_part not in row.private_key
    assert '"kty"' not in row.private_key  # not JSON in clear either


def test_rotation_signs_with_a_new_key_and_retires_the_old_one(store_engine: Engine) -> None:
    old, _ = current_signing_key(store_engine, settings(), T0)
    rotated_at = T0 + timedelta(days=1)
    new = rotate_signing_key(store_engine, settings(), rotated_at)
    assert new != old
    assert current_signing_key(store_engine, settings(), rotated_at)[0] == new
    retired = {row.kid: row.retired_at for row in rows(store_engine)}
    assert retired == {old: rotated_at, new: None}


def test_a_retired_key_verifies_for_its_grace_period_only(store_engine: Engine) -> None:
    old, _ = current_signing_key(store_engine, settings(), T0)
    new = rotate_signing_key(store_engine, settings(), T0)
    grace_end = T0 + timedelta(seconds=GRACE)
    assert kids(verification_keys(store_engine, settings(), T0)) == {old, new}
    just_before = grace_end - timedelta(seconds=1)
    assert kids(verification_keys(store_engine, settings(), just_before)) == {old, new}
    assert kids(verification_keys(store_engine, settings(), grace_end)) == {new}
    # A process that loads the set after the grace period never sees the old key at all.
    fresh = KeyRing(store_engine, settings())
    assert kids(fresh.key_set(grace_end)) == {new}
    with pytest.raises(UnknownKeyError):
        fresh.verification_key(old, grace_end)


def test_a_cached_retired_key_is_refused_past_its_grace(store_engine: Engine) -> None:
    old, _ = current_signing_key(store_engine, settings(), T0)
    rotate_signing_key(store_engine, settings(), T0)
    ring = KeyRing(store_engine, settings(), clock=FakeClock())
    assert ring.verification_key(old, T0).kid == old
    with pytest.raises(RetiredKeyError):
        ring.verification_key(old, T0 + timedelta(seconds=GRACE))
    assert ring.loads == 1


def test_a_second_rotation_retires_every_earlier_key(store_engine: Engine) -> None:
    first, _ = current_signing_key(store_engine, settings(), T0)
    second = rotate_signing_key(store_engine, settings(), T0 + timedelta(minutes=30))
    third = rotate_signing_key(store_engine, settings(), T0 + timedelta(minutes=90))
    # `first` was retired at T0+30 min, `second` at T0+90 min: one grace (an hour) later...
    at = T0 + timedelta(minutes=30, seconds=GRACE)
    assert kids(verification_keys(store_engine, settings(), at)) == {second, third}
    assert first not in kids(verification_keys(store_engine, settings(), at))


def test_with_no_grace_a_rotated_key_stops_verifying_at_once(store_engine: Engine) -> None:
    no_grace = settings(grace=0)
    old, _ = current_signing_key(store_engine, no_grace, T0)
    new = rotate_signing_key(store_engine, no_grace, T0)
    assert kids(verification_keys(store_engine, no_grace, T0)) == {new}
    assert old != new


def test_jwks_publishes_public_parts_only(store_engine: Engine) -> None:
    old, private = current_signing_key(store_engine, settings(), T0)
    new = rotate_signing_key(store_engine, settings(), T0)
    document = jwks(store_engine, settings(), T0)
    assert [key["kid"] for key in document["keys"]] == [new, old]  # the signing key first
    for key in document["keys"]:
        assert set(key) == {"kid", "kty", "crv", "x", "y", "use", "alg"}
        assert (key["kty"], key["crv"], key["use"], key["alg"]) == ("EC", "P-256", "sig", "ES256")
    assert str(private.as_dict(private=True)["d"]) not in json.dumps(document)
    # A resource server holding only the JWKS verifies what the old key signed.
    token = jwt.encode({"alg": "ES256", "kid": old}, {"sub": "x"}, private, ["ES256"])
    published = KeySet.import_key_set(document)  # type: ignore[arg-type]
    assert jwt.decode(token, published, ["ES256"]).claims == {"sub": "x"}


def test_the_steady_state_reads_the_database_once(store_engine: Engine) -> None:
    kid, _ = current_signing_key(store_engine, settings(), T0)
    ring = KeyRing(store_engine, settings(), clock=FakeClock())
    with counting(store_engine) as statements:
        for _ in range(200):
            ring.verification_key(kid, T0)
            ring.key_set(T0)
    assert len(statements) == 1
    assert ring.loads == 1


def test_requests_that_find_the_set_stale_at_once_read_it_once(store_engine: Engine) -> None:
    """No stampede: threads that all find the cached set stale while one of them is reading
    it wait for that read instead of each reading it again."""
    kid, _ = current_signing_key(store_engine, settings(), T0)
    clock = FakeClock()
    ring = KeyRing(store_engine, settings(), ttl_seconds=30, clock=clock)
    ring.key_set(T0)
    clock.value += 30  # stale for everyone
    threads = 8
    arrived = threading.Barrier(threads)

    def slow_read(*_args: object) -> None:  # holds the reader so that the others pile up
        time.sleep(0.2)

    def verify() -> None:
        arrived.wait()
        ring.verification_key(kid, T0)

    event.listen(store_engine, "before_cursor_execute", slow_read)
    try:
        workers = [threading.Thread(target=verify) for _ in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    finally:
        event.remove(store_engine, "before_cursor_execute", slow_read)
    assert ring.loads == 2  # the first load, then one for all eight


def test_another_process_sees_a_rotation_after_the_ttl(store_engine: Engine) -> None:
    clock = FakeClock()
    here = KeyRing(store_engine, settings(), ttl_seconds=30, clock=clock)
    elsewhere = KeyRing(store_engine, settings(), ttl_seconds=30, clock=clock)
    old, _ = here.signing_key(T0)
    assert kids(elsewhere.key_set(T0)) == {old}
    new = here.rotate(T0)
    past_grace = T0 + timedelta(seconds=GRACE + 1)
    clock.value += 29
    # Its cached set still thinks the old key unretired, for at most the TTL...
    assert elsewhere.verification_key(old, past_grace).kid == old
    clock.value += 1  # ... then reloads, and refuses it
    with pytest.raises(SigningKeyError):
        elsewhere.verification_key(old, past_grace)
    assert kids(elsewhere.key_set(past_grace)) == {new}


def test_another_process_signs_with_a_rotated_key_at_once(store_engine: Engine) -> None:
    clock = FakeClock()
    here = KeyRing(store_engine, settings(), clock=clock)
    elsewhere = KeyRing(store_engine, settings(), clock=clock)
    old, _ = elsewhere.signing_key(T0)
    new = here.rotate(T0)
    # Signing asks the database for the newest kid every time, whatever the cache holds.
    assert elsewhere.signing_key(T0)[0] == new != old


def test_an_unknown_kid_reloads_at_most_once_per_interval(store_engine: Engine) -> None:
    clock = FakeClock()
    current_signing_key(store_engine, settings(), T0)
    ring = KeyRing(store_engine, settings(), ttl_seconds=60, miss_interval_seconds=5, clock=clock)
    ring.key_set(T0)
    clock.value += 5
    with counting(store_engine) as statements:
        for n in range(500):
            with pytest.raises(UnknownKeyError):
                ring.verification_key(f"random-kid-{n}", T0)
    assert len(statements) == 1  # one reload for the first miss, none for the flood
    clock.value += 5
    with pytest.raises(UnknownKeyError):
        ring.verification_key("yet-another", T0)
    assert ring.loads == 3


def test_a_key_made_by_another_process_is_found_on_its_first_use(store_engine: Engine) -> None:
    clock = FakeClock()
    here = KeyRing(store_engine, settings(), ttl_seconds=60, clock=clock)
    elsewhere = KeyRing(store_engine, settings(), ttl_seconds=60, clock=clock)
    here.signing_key(T0)
    elsewhere.key_set(T0)
    new = here.rotate(T0)
    clock.value += elsewhere.miss_interval_seconds
    assert elsewhere.verification_key(new, T0).kid == new


def test_processes_racing_to_create_the_first_key_all_verify(tmp_path: Path) -> None:
    """Four processes (engines of their own on one database) ask for the first key at once:
    however many keys they create, every kid one of them signs with is in the key set."""
    with backend_engine("sqlite", tmp_path) as first:
        engines = [first, *(make_engine(str(first.url)) for _ in range(3))]
        barrier = threading.Barrier(len(engines))
        signed_with: list[str] = []

        def ask(engine: Engine) -> None:
            barrier.wait()
            signed_with.append(KeyRing(engine, settings()).signing_key(T0)[0])

        threads = [threading.Thread(target=ask, args=(engine,)) for engine in engines]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(signed_with) == len(engines)
        for engine in engines:
            assert set(signed_with) <= kids(KeyRing(engine, settings()).key_set(T0))
        for engine in engines[1:]:
            engine.dispose()


def test_two_unretired_keys_both_verify_and_the_newest_signs(store_engine: Engine) -> None:
    """What a lost race leaves behind: two unretired keys, created a moment apart."""
    a = KeyRing(store_engine, settings()).signing_key(T0)[0]
    later = T0 + timedelta(seconds=1)
    with session_scope(store_engine) as session:
        session.execute(update(OAuthSigningKey).values(created_at=later))
    b = KeyRing(store_engine, settings()).rotate(T0)  # retires a...
    with session_scope(store_engine) as session:  # ... which the race would not have done
        session.execute(update(OAuthSigningKey).values(retired_at=None))
    ring = KeyRing(store_engine, settings())
    assert kids(ring.key_set(T0)) == {a, b}
    assert ring.signing_key(T0)[0] == a  # created later


def test_keys_stored_under_another_secret_are_skipped_and_replaced(
    store_engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    """After DEALPULSE_SECRET_KEY changed: the old keys cannot be read, so their tokens are an
    unknown key (a 401, not a 500), and signing rotates to a key the new secret can read."""
    kid, _ = current_signing_key(store_engine, settings(), T0)
    other = KeyRing(store_engine, settings(secret=SECRET[::-1]))
    with pytest.raises(UnknownKeyError):
        other.verification_key(kid, T0)
    new_kid, _ = other.signing_key(T0)
    assert new_kid != kid
    assert kids(other.key_set(T0)) == {new_kid}
    assert f"signing key {kid} cannot be read (UndecryptableError)" in caplog.text
    assert SECRET[::-1] not in caplog.text


def test_a_row_whose_key_is_not_its_kid_is_not_loaded(store_engine: Engine) -> None:
    kid, _ = current_signing_key(store_engine, settings(), T0)
    other = rotate_signing_key(store_engine, settings(), T0)
    with session_scope(store_engine) as session:
        stolen = session.get(OAuthSigningKey, other)
        assert stolen is not None
        session.execute(
            update(OAuthSigningKey)
            .where(OAuthSigningKey.kid == kid)  # type: ignore[arg-type]
            .values(private_key=stolen.private_key)
        )
    ring = KeyRing(store_engine, settings())
    assert kids(ring.key_set(T0)) == {other}  # the row under the wrong kid verifies nothing
    with pytest.raises(UnknownKeyError):
        ring.verification_key(kid, T0)


def test_the_shared_ring_is_per_engine_and_per_secret(store_engine: Engine) -> None:
    ring = key_ring(store_engine, settings())
    assert key_ring(store_engine, settings()) is ring  # equal settings, another object
    assert key_ring(store_engine, settings(secret=SECRET + "!")) is not ring
    assert key_ring(store_engine, settings(grace=5)) is not ring


def test_the_private_jwk_imports_as_an_es256_signing_key(store_engine: Engine) -> None:
    _, key = current_signing_key(store_engine, settings(), T0)
    assert isinstance(key, ECKey)
    assert (key.alg, key.get("use")) == ("ES256", "sig")


def test_the_signing_key_rotates_once_it_is_old_enough(store_engine: Engine) -> None:
    config = settings()
    assert rotate_signing_key_if_due(store_engine, config, T0, 86_400) is None  # no key yet
    first, _ = current_signing_key(store_engine, config, T0)
    assert rotate_signing_key_if_due(store_engine, config, T0 + timedelta(hours=23), 86_400) is None
    later = T0 + timedelta(days=1)
    second = rotate_signing_key_if_due(store_engine, config, later, 86_400)
    assert second is not None
    assert second != first
    assert current_signing_key(store_engine, config, later)[0] == second
    assert kids(verification_keys(store_engine, config, later)) == {first, second}  # grace
