from __future__ import annotations

import base64
import json

import pytest
from pydantic import SecretStr

from api.settings import Settings
from auth.dev_tokens import DevTokenError, bearer_token, issue_dev_token, verify_dev_token

SECRET = "a-development-secret-key-long-enough-for-hs256"


def settings(secret: str = SECRET) -> Settings:
    return Settings(database_url="sqlite://", secret_key=SecretStr(secret))


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def test_a_token_round_trips_to_its_org_and_user() -> None:
    token = issue_dev_token(settings(), "00D000000000001AAA", "005000000000001AAA")
    principal = verify_dev_token(settings(), token)
    assert (principal.org_id, principal.user_id) == ("00D000000000001AAA", "005000000000001AAA")


@pytest.mark.parametrize("token", [None, "", "not-a-jwt", "a.b.c", "...."])
def test_missing_or_malformed_tokens_are_refused(token: str | None) -> None:
    with pytest.raises(DevTokenError) as refused:
        verify_dev_token(settings(), token)
    assert refused.value.extensions == {"code": "UNAUTHENTICATED"}


def test_a_token_signed_with_another_key_is_refused() -> None:
    forged = issue_dev_token(settings(SECRET[::-1]), "00D000000000001AAA", "005000000000001AAA")
    with pytest.raises(DevTokenError, match="invalid token"):
        verify_dev_token(settings(), forged)


def test_an_expired_token_is_refused() -> None:
    token = issue_dev_token(settings(), "00D000000000001AAA", "005x", ttl_seconds=-10)
    with pytest.raises(DevTokenError, match="invalid token"):
        verify_dev_token(settings(), token)


@pytest.mark.parametrize("org", ["not-an-org", "00D000000000001AAA\n", "001000000000001AAA"])
def test_an_org_claim_that_is_no_org_id_is_refused_and_not_quoted(org: str) -> None:
    token = issue_dev_token(settings(), org, "005000000000001AAA")
    with pytest.raises(DevTokenError, match="not a Salesforce org id") as refused:
        verify_dev_token(settings(), token)
    assert org.strip() not in str(refused.value)


def test_a_token_longer_lived_than_allowed_is_refused_whatever_its_exp() -> None:
    lifetime = settings().dev_token_ttl_seconds
    longest = issue_dev_token(settings(), "00D000000000001AAA", "005000000000001AAA",
                              ttl_seconds=lifetime)  # fmt: skip
    absurd = issue_dev_token(settings(), "00D000000000001AAA", "005000000000001AAA",
                             ttl_seconds=lifetime + 3600)  # fmt: skip
    assert verify_dev_token(settings(), longest).org_id == "00D000000000001AAA"
    with pytest.raises(DevTokenError, match="longer than"):
        verify_dev_token(settings(), absurd)


def test_alg_none_is_refused() -> None:
    header = _b64({"alg": "none", "typ": "JWT"})
    claims = _b64({"iss": "dealpulse-dev", "org": "00D1", "sub": "0051", "exp": 2**31})
    with pytest.raises(DevTokenError):
        verify_dev_token(settings(), f"{header}.{claims}.")


def test_a_tampered_payload_is_refused() -> None:
    token = issue_dev_token(settings(), "00D000000000001AAA", "005000000000001AAA")
    header, _, signature = token.split(".")
    other = _b64({"iss": "dealpulse-dev", "org": "00D000000000002AAA", "sub": "005", "exp": 2**31})
    with pytest.raises(DevTokenError):
        verify_dev_token(settings(), f"{header}.{other}.{signature}")


def test_a_short_secret_key_disables_dev_tokens() -> None:
    with pytest.raises(DevTokenError, match="secret key"):
        issue_dev_token(settings("short"), "00D1", "0051")


def test_error_messages_never_echo_the_token() -> None:
    token = issue_dev_token(settings(SECRET[::-1]), "00D000000000001AAA", "005000000000001AAA")
    with pytest.raises(DevTokenError) as refused:
        verify_dev_token(settings(), token)
    assert token not in str(refused.value)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Bearer abc", "abc"),
        ("bearer  abc ", "abc"),
        ("Basic abc", None),
        ("Bearer", None),
        (None, None),
        ("", None),
    ],
)
def test_bearer_token(header: str | None, expected: str | None) -> None:
    assert bearer_token(header) == expected
