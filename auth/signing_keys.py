"""The key set that signs access tokens (repository over store.oauth_models.OAuthSigningKey).

ES256 keys on P-256; a key's `kid` is its RFC 7638 thumbprint. The newest unretired key signs.
Rotation retires every other key (retired_at = now); a retired key still verifies the tokens it
signed for `settings.signing_key_grace_seconds`, then stops. Private keys are stored as JWK JSON
encrypted at rest (auth.at_rest, purpose SIGNING_KEYS).

Verification must cost well under a millisecond, so it never reads the database per request:
a `KeyRing` per engine keeps the decrypted keys in memory. It reloads after `ttl_seconds` (so
a rotation made by another process is seen), and when a token names a kid it does not know, at
most once every `miss_interval_seconds` (so a flood of random kids cannot hammer the
database). Consequence: in another process a retired key can keep verifying for up to
`ttl_seconds` past its grace period, and a new key may be refused for up to
`miss_interval_seconds` after a reload; both are seconds, against a grace of a day by default.

Signing reads the newest unretired kid from the database each time (one short SELECT per
token issued, off the hot path), so a token is never signed with a key rotated away elsewhere.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol

from joserfc.jwk import ECKey, KeySet
from sqlalchemy import Engine, or_, update
from sqlmodel import Session, col, select

from auth.at_rest import AtRestError, Purpose, SecretSettings, decrypt, encrypt
from store.engine import session_scope
from store.oauth_models import OAuthSigningKey

logger = logging.getLogger(__name__)
ALGORITHM = "ES256"
CURVE = "P-256"
# The members of a public JWK that dealpulse publishes: never "d" (the private part).
_PUBLIC_MEMBERS = ("kid", "kty", "crv", "x", "y")


class KeySettings(SecretSettings, Protocol):
    @property
    def signing_key_grace_seconds(self) -> int: ...


class SigningKeyError(LookupError):
    """No key to verify with. The message names neither the token nor any key material."""


class UnknownKeyError(SigningKeyError):
    """The kid names no key of the set (never ours, or retired long ago)."""


class RetiredKeyError(SigningKeyError):
    """The kid names a key retired longer ago than the grace period."""


@dataclass(frozen=True)
class _Entry:
    private: ECKey
    public: ECKey
    created_at: datetime
    retired_at: datetime | None

    def verifies_at(self, now: datetime, grace: timedelta) -> bool:
        return self.retired_at is None or now < self.retired_at + grace


def _new_key() -> ECKey:
    key = ECKey.generate_key(CURVE, parameters={"use": "sig", "alg": ALGORITHM})
    key.ensure_kid()  # the RFC 7638 thumbprint
    return key


def _public(key: ECKey) -> ECKey:
    return ECKey.import_key(key.as_dict(private=False))


class KeyRing:
    """The decrypted key set of one engine's database, in memory (see the module docstring).
    Thread-safe: reloads happen under a lock and replace the entries at once."""

    def __init__(
        self,
        engine: Engine,
        settings: KeySettings,
        *,
        ttl_seconds: float = 30.0,
        miss_interval_seconds: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.ttl_seconds = ttl_seconds
        self.miss_interval_seconds = miss_interval_seconds
        self._clock = clock
        self._grace = timedelta(seconds=settings.signing_key_grace_seconds)
        self._entries: dict[str, _Entry] = {}
        # Kids of stored keys this ring cannot read (encrypted under another secret key, or a
        # row not matching its kid): skipped, never a 500; one that would sign is rotated away.
        self._unreadable: set[str] = set()
        self._loaded_at: float | None = None
        self._lock = threading.Lock()
        self.loads = 0  # how many times it read the database (for tests and the bench)

    # -- reading ---------------------------------------------------------------------------

    def verification_key(self, kid: str, now: datetime) -> ECKey:
        """The public key `kid` names, if it may verify at `now`; else UnknownKeyError or
        RetiredKeyError."""
        self._reload_if_stale(now)
        entry = self._entries.get(kid)
        seen = self.loads
        if entry is None and self._may_reload_for_miss():
            self._reload(now, seen)
            entry = self._entries.get(kid)
        if entry is None:
            raise UnknownKeyError("unknown signing key")
        if not entry.verifies_at(now, self._grace):
            raise RetiredKeyError("signing key retired")
        return entry.public

    def key_set(self, now: datetime) -> KeySet:
        """Every key that may verify at `now` (public parts only): unretired ones first, then
        newest first (the order signing_key picks in)."""
        self._reload_if_stale(now)
        entries = [e for e in self._entries.values() if e.verifies_at(now, self._grace)]
        entries.sort(
            key=lambda e: (e.retired_at is None, e.created_at, e.public.kid or ""), reverse=True
        )
        return KeySet([e.public for e in entries])

    def signing_key(self, now: datetime) -> tuple[str, ECKey]:
        """The newest unretired key (the first one is created if there is none)."""
        for _attempt in range(3):
            kid = self._newest_unretired_kid()
            if kid is None:
                self._insert(_new_key(), now)
                # Re-read rather than use the key just made: when two processes race to create
                # the first key, both then sign with the same newest one (and both verify).
                continue
            seen = self.loads
            entry = self._entries.get(kid)
            if entry is None:
                self._reload(now, seen)
                entry = self._entries.get(kid)
            if entry is not None:
                return kid, entry.private
            if kid in self._unreadable:
                self.rotate(now)  # a key nobody here can sign with: a readable one replaces it
                continue
            # Retired between the two reads (a rotation elsewhere): take its successor.
        raise SigningKeyError("no signing key could be read: the key set keeps changing")

    # -- writing ---------------------------------------------------------------------------

    def rotate(self, now: datetime) -> str:
        """A new key signs from `now`; every other unretired key is retired at `now`."""
        key = _new_key()
        with session_scope(self.engine) as session:
            session.execute(
                update(OAuthSigningKey)
                .where(col(OAuthSigningKey.retired_at).is_(None))
                .values(retired_at=now)
            )
            session.add(self._row(key, now))
        self.invalidate()
        assert key.kid is not None
        return key.kid

    def invalidate(self) -> None:
        """Forget when the set was loaded: the next use reads the database again."""
        with self._lock:
            self._loaded_at = None

    # -- internals -------------------------------------------------------------------------

    def _row(self, key: ECKey, now: datetime) -> OAuthSigningKey:
        assert key.kid is not None
        private_json = json.dumps(key.as_dict(private=True))
        return OAuthSigningKey(
            kid=key.kid,
            algorithm=ALGORITHM,
            private_key=encrypt(self.settings, private_json, purpose=Purpose.SIGNING_KEYS),
            created_at=now,
        )

    def _insert(self, key: ECKey, now: datetime) -> None:
        with session_scope(self.engine) as session:
            session.add(self._row(key, now))
        self.invalidate()

    def _newest_unretired_kid(self) -> str | None:
        with Session(self.engine) as session:
            return session.exec(
                select(OAuthSigningKey.kid)
                .where(col(OAuthSigningKey.retired_at).is_(None))
                .where(OAuthSigningKey.algorithm == ALGORITHM)
                .order_by(col(OAuthSigningKey.created_at).desc(), col(OAuthSigningKey.kid).desc())
                .limit(1)
            ).first()

    def _may_reload_for_miss(self) -> bool:
        loaded_at = self._loaded_at
        return loaded_at is None or self._clock() - loaded_at >= self.miss_interval_seconds

    def _reload_if_stale(self, now: datetime) -> None:
        seen, loaded_at = self.loads, self._loaded_at
        if loaded_at is None or self._clock() - loaded_at >= self.ttl_seconds:
            self._reload(now, seen)

    def _reload(self, now: datetime, seen: int) -> None:
        """Read the set again, unless another thread did since the caller looked (`seen`:
        `loads` then): the requests that find the set stale at once read it once, not each."""
        cutoff = now - self._grace
        with self._lock:
            if self.loads != seen:
                return
            with Session(self.engine) as session:
                rows = session.exec(
                    select(OAuthSigningKey)
                    .where(OAuthSigningKey.algorithm == ALGORITHM)
                    .where(
                        or_(
                            col(OAuthSigningKey.retired_at).is_(None),
                            col(OAuthSigningKey.retired_at) > cutoff,
                        )
                    )
                ).all()
            entries: dict[str, _Entry] = {}
            for row in rows:
                known = self._entries.get(row.kid)
                # Decrypting and importing a key is the costly part: only new kids pay it.
                if known is not None:
                    entries[row.kid] = replace(known, retired_at=row.retired_at)
                    continue
                try:
                    entries[row.kid] = self._decrypted(row)
                except (SigningKeyError, AtRestError, ValueError) as error:
                    if row.kid not in self._unreadable:
                        logger.warning(
                            "signing key %s cannot be read (%s): skipped",
                            row.kid, type(error).__name__,
                        )  # fmt: skip
                    self._unreadable.add(row.kid)
            self._entries = entries
            self._loaded_at = self._clock()
            self.loads += 1

    def _decrypted(self, row: OAuthSigningKey) -> _Entry:
        private_json = decrypt(self.settings, row.private_key, purpose=Purpose.SIGNING_KEYS)
        private = ECKey.import_key(json.loads(private_json))
        if private.kid != row.kid:
            # A row whose key is not the one its kid names (edited by hand, or copied between
            # rows) would verify tokens under the wrong kid: refuse to load it.
            raise SigningKeyError("a stored signing key does not match its kid")
        return _Entry(private, _public(private), row.created_at, row.retired_at)


# One ring per engine: per-process memory, dropped with the engine.
_RINGS: weakref.WeakKeyDictionary[Engine, KeyRing] = weakref.WeakKeyDictionary()
_RINGS_LOCK = threading.Lock()


def key_ring(engine: Engine, settings: KeySettings) -> KeyRing:
    """The shared KeyRing of `engine` (a new one when the secret or the grace changed)."""
    with _RINGS_LOCK:
        ring = _RINGS.get(engine)
        if ring is None or not _same_keys_settings(ring.settings, settings):
            ring = _RINGS[engine] = KeyRing(engine, settings)
        return ring


def forget_key_ring(engine: Engine) -> None:
    """Drop `engine`'s ring: the next use loads the key set afresh. For when the key table was
    changed behind the ring's back (tests empty the tables between tests)."""
    with _RINGS_LOCK:
        _RINGS.pop(engine, None)


def _same_keys_settings(a: KeySettings, b: KeySettings) -> bool:
    return (
        a.signing_key_grace_seconds == b.signing_key_grace_seconds
        and a.secret_key.get_secret_value() == b.secret_key.get_secret_value()
    )


def current_signing_key(engine: Engine, settings: KeySettings, now: datetime) -> tuple[str, ECKey]:
    """(kid, private key) of the key that signs now; the first key is created if needed."""
    return key_ring(engine, settings).signing_key(now)


def rotate_signing_key(engine: Engine, settings: KeySettings, now: datetime) -> str:
    """The kid of a new signing key; the previous keys are retired at `now` and keep verifying
    for the grace period."""
    return key_ring(engine, settings).rotate(now)


def verification_keys(engine: Engine, settings: KeySettings, now: datetime) -> KeySet:
    """Every key that verifies at `now`: the unretired ones and the retired ones within their
    grace period (public parts only)."""
    return key_ring(engine, settings).key_set(now)


def jwks(engine: Engine, settings: KeySettings, now: datetime) -> dict[str, list[dict[str, str]]]:
    """The public JWK Set served at /oauth/jwks: never a private member."""
    keys: list[dict[str, str]] = []
    for key in verification_keys(engine, settings, now):
        public = key.as_dict(private=False)
        member = {name: str(public[name]) for name in _PUBLIC_MEMBERS}
        keys.append({**member, "use": "sig", "alg": ALGORITHM})
    return {"keys": keys}


def rotate_signing_key_if_due(
    engine: Engine, settings: KeySettings, now: datetime, max_age_seconds: int
) -> str | None:
    """Rotate (rotate_signing_key) when the key that signs is `max_age_seconds` old or more:
    the kid of the new key, or None (not due, or no key yet: the first is made when the first
    token is issued)."""
    with Session(engine) as session:
        newest = session.exec(
            select(OAuthSigningKey.created_at)
            .where(col(OAuthSigningKey.retired_at).is_(None))
            .where(OAuthSigningKey.algorithm == ALGORITHM)
            .order_by(col(OAuthSigningKey.created_at).desc())
            .limit(1)
        ).first()
    if newest is None or now - newest < timedelta(seconds=max_age_seconds):
        return None
    return rotate_signing_key(engine, settings, now)
