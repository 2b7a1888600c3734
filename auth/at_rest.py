"""Encryption at rest of the secrets dealpulse must keep (the signing keys' private JWKs; the
Salesforce refresh tokens it will hold for users).

Fernet (AES-128-CBC + HMAC-SHA256, with a timestamp) under a key derived from
`settings.secret_key` with HKDF-SHA256. Each purpose has its own HKDF `info` label, so a value
encrypted for one purpose never decrypts as another (a refresh token pasted into the signing
key table is refused, not used). Changing the secret key makes every stored value undecryptable:
there is no re-encryption yet (a MultiFernet over old and new secrets would be the way).
"""

from __future__ import annotations

import base64
from enum import Enum
from typing import Protocol

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pydantic import SecretStr

# The secret is the only input key material: shorter would weaken every derived key.
MIN_SECRET_LENGTH = 32


class Purpose(Enum):
    """What a value is encrypted for: the HKDF `info` label of its key (never change a label:
    the values already stored under it would no longer decrypt)."""

    SIGNING_KEYS = b"dealpulse signing keys"
    SALESFORCE_REFRESH_TOKENS = b"dealpulse salesforce refresh tokens"


class SecretSettings(Protocol):
    @property
    def secret_key(self) -> SecretStr: ...


class AtRestError(Exception):
    """Encryption at rest failed. The message is safe to log: never a secret or a value."""


class WeakSecretError(AtRestError):
    """The settings' secret key is missing or too short to derive encryption keys from."""


class UndecryptableError(AtRestError):
    """A stored value does not decrypt: tampered, not ours, another purpose's, or encrypted
    under another secret key."""


def _fernet(settings: SecretSettings, purpose: Purpose) -> Fernet:
    secret = settings.secret_key.get_secret_value()
    if len(secret) < MIN_SECRET_LENGTH:
        raise WeakSecretError(
            f"encryption at rest needs a secret key of at least {MIN_SECRET_LENGTH} characters"
        )
    # No salt: the secret is already high-entropy key material (RFC 5869 3.1 allows it), and a
    # salt would have to be stored beside every value for no gain.
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.value).derive(
        secret.encode()
    )
    return Fernet(base64.urlsafe_b64encode(derived))


def encrypt(settings: SecretSettings, text: str, *, purpose: Purpose) -> str:
    """`text` encrypted for `purpose`: an url-safe ASCII token to store."""
    return _fernet(settings, purpose).encrypt(text.encode()).decode("ascii")


def decrypt(settings: SecretSettings, token: str, *, purpose: Purpose) -> str:
    """The text `encrypt` was given, or UndecryptableError."""
    fernet = _fernet(settings, purpose)
    try:
        return fernet.decrypt(token.encode()).decode()
    except (InvalidToken, UnicodeError):
        raise UndecryptableError(
            f"a stored value ({purpose.name.lower()}) does not decrypt with this secret key"
        ) from None
