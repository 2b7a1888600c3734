from __future__ import annotations

import pytest
from pydantic import SecretStr

from api.settings import Settings
from auth.at_rest import (
    MIN_SECRET_LENGTH,
    Purpose,
    UndecryptableError,
    WeakSecretError,
    decrypt,
    encrypt,
)

SECRET = "a-secret-key-long-enough-for-encryption-at-rest"
PRIVATE_JWK = '{"kty":"EC","crv":"P-256","d":"c2VjcmV0LXBhcnQ"}'


def settings(secret: str = SECRET) -> Settings:
    return Settings(database_url="sqlite://", secret_key=SecretStr(secret))


def test_a_value_round_trips_and_is_not_stored_in_clear() -> None:
    token = encrypt(settings(), PRIVATE_JWK, purpose=Purpose.SIGNING_KEYS)
    assert "c2VjcmV0LXBhcnQ" not in token
    assert SECRET not in token
    assert token.isascii()
    assert decrypt(settings(), token, purpose=Purpose.SIGNING_KEYS) == PRIVATE_JWK


def test_encrypting_twice_gives_different_tokens() -> None:
    first = encrypt(settings(), "text", purpose=Purpose.SIGNING_KEYS)
    second = encrypt(settings(), "text", purpose=Purpose.SIGNING_KEYS)
    assert first != second


def test_non_ascii_text_round_trips() -> None:
    token = encrypt(settings(), "Zoë's token ✓", purpose=Purpose.SALESFORCE_REFRESH_TOKENS)
    assert decrypt(settings(), token, purpose=Purpose.SALESFORCE_REFRESH_TOKENS) == (
        "Zoë's token ✓"
    )


@pytest.mark.parametrize("secret", ["", "x" * (MIN_SECRET_LENGTH - 1)])
def test_a_short_secret_is_refused_for_both_directions(secret: str) -> None:
    with pytest.raises(WeakSecretError, match="at least 32 characters") as refused:
        encrypt(settings(secret), "text", purpose=Purpose.SIGNING_KEYS)
    if secret:
        assert secret not in str(refused.value)
    with pytest.raises(WeakSecretError):
        decrypt(settings(secret), "anything", purpose=Purpose.SIGNING_KEYS)


def test_a_secret_of_exactly_the_minimum_length_is_accepted() -> None:
    exact = settings("y" * MIN_SECRET_LENGTH)
    token = encrypt(exact, "text", purpose=Purpose.SIGNING_KEYS)
    assert decrypt(exact, token, purpose=Purpose.SIGNING_KEYS) == "text"


def test_another_secret_key_cannot_decrypt() -> None:
    token = encrypt(settings(), PRIVATE_JWK, purpose=Purpose.SIGNING_KEYS)
    other = settings(SECRET[::-1])
    with pytest.raises(UndecryptableError) as refused:
        decrypt(other, token, purpose=Purpose.SIGNING_KEYS)
    message = str(refused.value)
    assert "signing_keys" in message
    for secret_part in (SECRET, SECRET[::-1], token, PRIVATE_JWK):
        assert secret_part not in message


def test_a_value_encrypted_for_one_purpose_does_not_decrypt_as_another() -> None:
    token = encrypt(settings(), "refresh-token", purpose=Purpose.SALESFORCE_REFRESH_TOKENS)
    with pytest.raises(UndecryptableError):
        decrypt(settings(), token, purpose=Purpose.SIGNING_KEYS)


@pytest.mark.parametrize("mangle", ["flip", "truncate", "garbage", "non_ascii"])
def test_a_tampered_or_foreign_token_is_a_typed_error(mangle: str) -> None:
    token = encrypt(settings(), "text", purpose=Purpose.SIGNING_KEYS)
    bad = {
        "flip": token[:-5] + ("A" if token[-5] != "A" else "B") + token[-4:],
        "truncate": token[:20],
        "garbage": "not a fernet token",
        "non_ascii": "gAAAAAé",
    }[mangle]
    with pytest.raises(UndecryptableError):
        decrypt(settings(), bad, purpose=Purpose.SIGNING_KEYS)
