"""Access tokens: the happy path's claims, and every refusal, each with a token crafted with
joserfc directly (signed with our real key unless the point is another key or algorithm)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from joserfc import jws, jwt
from joserfc.jwk import ECKey, Key, OctKey, RSAKey
from pydantic import SecretStr
from sqlalchemy import Engine

from api.settings import Settings
from auth.access_tokens import (
    IAT_LEEWAY_SECONDS,
    AccessTokenClaims,
    AccessTokenError,
    issue_access_token,
    verify_access_token,
)
from auth.errors import AuthenticationError
from auth.signing_keys import current_signing_key, forget_key_ring, rotate_signing_key
from tests.store_backends import counting

# JWT handling does not depend on the database (the key set's storage is tested on both).
pytestmark = pytest.mark.sqlite_only

SECRET = "a-secret-key-long-enough-for-the-signing-keys"
ORG = "00D000000000001AAA"
USER = "005000000000001AAA"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LATER = T0 + timedelta(minutes=1)
TTL = 600


def settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": "sqlite://",
        "secret_key": SecretStr(SECRET),
        "oauth_issuer": "https://dealpulse.example.com",
        "oauth_audience": "dealpulse-api",
        "access_token_ttl_seconds": TTL,
        "signing_key_grace_seconds": 3600,
        **overrides,
    }
    return Settings(**values)


def issue(engine: Engine, **overrides: Any) -> str:
    arguments: dict[str, Any] = {
        "subject": USER,
        "client_id": "dp_partner",
        "org_id": ORG,
        "scopes": ["pipeline:read", "alerts:read"],
        "now": T0,
        **overrides,
    }
    return issue_access_token(engine, settings(), **arguments)


def verify(engine: Engine, token: str | None, now: datetime = LATER) -> AccessTokenClaims:
    return verify_access_token(engine, settings(), token, now=now)


def valid_claims() -> dict[str, Any]:
    iat = int(T0.timestamp())
    return {
        "iss": "https://dealpulse.example.com",
        "aud": "dealpulse-api",
        "sub": USER,
        "client_id": "dp_partner",
        "scope": "pipeline:read",
        "org": ORG,
        "iat": iat,
        "exp": iat + TTL,
        "jti": "a-token-id",
    }


def craft(
    engine: Engine,
    *,
    header: dict[str, Any] | None = None,
    claims: dict[str, Any] | None = None,
    drop: tuple[str, ...] = (),
    key: Key | None = None,
) -> str:
    """A token signed with our current key (or `key`), with its header and claims changed."""
    kid, signing = current_signing_key(engine, settings(), T0)
    full_header = {"alg": "ES256", "typ": "at+jwt", "kid": kid, **(header or {})}
    full_header = {name: value for name, value in full_header.items() if value is not None}
    body = {**valid_claims(), **(claims or {})}
    for name in drop:
        body.pop(name)
    return jwt.encode(full_header, body, key or signing, [full_header["alg"]], default_type=None)


def b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def refused(engine: Engine, token: str | None, now: datetime = LATER) -> AccessTokenError:
    with pytest.raises(AccessTokenError) as caught:
        verify(engine, token, now)
    error = caught.value
    assert isinstance(error, AuthenticationError)
    assert error.extensions == {"code": "UNAUTHENTICATED"}
    message = str(error)
    assert message.startswith("invalid access token (")
    for part in (token or "").split("."):
        if len(part) > 8:  # no segment of the token in the message
            assert part not in message
    return error


# -- the happy path -------------------------------------------------------------------------


def test_a_token_round_trips_to_its_claims(store_engine: Engine) -> None:
    token = issue(store_engine)
    claims = verify(store_engine, token)
    assert claims == AccessTokenClaims(
        subject=USER,
        client_id="dp_partner",
        org_id=ORG,
        scopes=("pipeline:read", "alerts:read"),
        issued_at=T0,
        expires_at=T0 + timedelta(seconds=TTL),
        jti=claims.jti,
    )
    assert len(claims.jti) >= 16


def test_the_token_has_the_rfc_9068_header_and_claims(store_engine: Engine) -> None:
    token = issue(store_engine, scopes=["admin"], org_id="00D000000000001")
    kid, _ = current_signing_key(store_engine, settings(), T0)
    header_part, claims_part, _ = token.split(".")
    header = json.loads(base64.urlsafe_b64decode(header_part + "=="))
    claims = json.loads(base64.urlsafe_b64decode(claims_part + "=="))
    assert header == {"alg": "ES256", "typ": "at+jwt", "kid": kid}
    iat = int(T0.timestamp())
    assert claims == {
        "iss": "https://dealpulse.example.com",
        "aud": "dealpulse-api",
        "sub": USER,
        "client_id": "dp_partner",
        "scope": "admin",
        "org": "00D000000000001",
        "iat": iat,
        "exp": iat + TTL,
        "jti": claims["jti"],
    }


def test_every_token_has_its_own_jti(store_engine: Engine) -> None:
    jtis = {verify(store_engine, issue(store_engine)).jti for _ in range(20)}
    assert len(jtis) == 20


def test_a_shorter_lifetime_is_kept_and_a_longer_one_capped(store_engine: Engine) -> None:
    short = verify(store_engine, issue(store_engine, ttl_seconds=120))
    assert short.expires_at - short.issued_at == timedelta(seconds=120)
    capped = verify(store_engine, issue(store_engine, ttl_seconds=10 * TTL))
    assert capped.expires_at - capped.issued_at == timedelta(seconds=TTL)


@pytest.mark.parametrize(
    "overrides",
    [
        {"ttl_seconds": 0},
        {"org_id": "001000000000001AAA"},
        {"org_id": "00D0000000000"},
        {"scopes": ["pipeline:read", "crm:everything"]},
        {"scopes": ["admin", "admin"]},
        {"subject": ""},
        {"client_id": ""},
        {"now": datetime(2026, 3, 2, 9, 0)},  # naive: refused
    ],
)
def test_bad_issuing_arguments_are_a_value_error(
    store_engine: Engine, overrides: dict[str, Any]
) -> None:
    with pytest.raises(ValueError):  # noqa: PT011  (each case has its own message)
        issue(store_engine, **overrides)


def test_a_token_with_no_scope_verifies_to_no_scopes(store_engine: Engine) -> None:
    assert verify(store_engine, issue(store_engine, scopes=[])).scopes == ()


def test_the_full_media_type_is_accepted_as_rfc_9068_says(store_engine: Engine) -> None:
    token = craft(store_engine, header={"typ": "application/at+jwt"})
    assert verify(store_engine, token).subject == USER


def test_an_audience_list_naming_ours_is_accepted(store_engine: Engine) -> None:
    token = craft(store_engine, claims={"aud": ["another-api", "dealpulse-api"]})
    assert verify(store_engine, token).subject == USER


def test_iat_within_the_leeway_is_accepted(store_engine: Engine) -> None:
    iat = int(LATER.timestamp()) + IAT_LEEWAY_SECONDS
    token = craft(store_engine, claims={"iat": iat, "exp": iat + TTL})
    assert verify(store_engine, token).issued_at > LATER


def test_a_token_of_a_rotated_key_verifies_within_the_grace(store_engine: Engine) -> None:
    token = issue(store_engine)
    rotate_signing_key(store_engine, settings(), T0)
    assert verify(store_engine, token).subject == USER
    fresh = issue(store_engine)
    assert fresh.split(".")[0] != token.split(".")[0]  # another kid in the header
    assert verify(store_engine, fresh).subject == USER


# -- refusals: the token itself ---------------------------------------------------------


@pytest.mark.parametrize("token", [None, ""])
def test_a_missing_token_is_refused(store_engine: Engine, token: str | None) -> None:
    assert refused(store_engine, token).reason == "missing"


@pytest.mark.parametrize(
    "token",
    ["not-a-jwt", "a.b", "a.b.c", "....", "a.b.c.d.e", "bnVsbA.e30.e30", "x" * 5000, "é.é.é"],
)
def test_a_malformed_token_is_refused(store_engine: Engine, token: str) -> None:
    assert refused(store_engine, token).reason == "malformed"


def test_a_payload_that_is_not_an_object_is_refused(store_engine: Engine) -> None:
    kid, key = current_signing_key(store_engine, settings(), T0)
    token = jws.serialize_compact({"alg": "ES256", "typ": "at+jwt", "kid": kid}, b"[1]", key)
    assert refused(store_engine, token).reason == "malformed"


def test_a_tampered_payload_is_refused(store_engine: Engine) -> None:
    header, _, signature = issue(store_engine).split(".")
    forged = b64({**valid_claims(), "org": "00D000000000002AAA", "scope": "admin"})
    assert refused(store_engine, f"{header}.{forged}.{signature}").reason == "signature"


def test_a_tampered_signature_is_refused(store_engine: Engine) -> None:
    header, claims, signature = issue(store_engine).split(".")
    flipped = ("B" if signature[10] == "A" else "A").join((signature[:10], signature[11:]))
    assert refused(store_engine, f"{header}.{claims}.{flipped}").reason == "signature"


def test_a_token_signed_by_another_key_under_our_kid_is_refused(store_engine: Engine) -> None:
    impostor = ECKey.generate_key("P-256")
    assert refused(store_engine, craft(store_engine, key=impostor)).reason == "signature"


def test_alg_none_is_refused(store_engine: Engine) -> None:
    kid, _ = current_signing_key(store_engine, settings(), T0)
    header = b64({"alg": "none", "typ": "at+jwt", "kid": kid})
    assert refused(store_engine, f"{header}.{b64(valid_claims())}.").reason == "algorithm"


def test_hs256_signed_with_our_public_key_is_refused(store_engine: Engine) -> None:
    """The algorithm-confusion attack: the public JWK used as an HMAC secret."""
    _, key = current_signing_key(store_engine, settings(), T0)
    public_as_secret = OctKey.import_key(json.dumps(key.as_dict(private=False)))
    token = craft(store_engine, header={"alg": "HS256"}, key=public_as_secret)
    assert refused(store_engine, token).reason == "algorithm"


@pytest.mark.parametrize(
    ("alg", "key"),
    [
        ("RS256", RSAKey.generate_key(2048)),
        ("ES384", ECKey.generate_key("P-384")),
    ],
)
def test_any_other_algorithm_is_refused(store_engine: Engine, alg: str, key: Key) -> None:
    assert refused(store_engine, craft(store_engine, header={"alg": alg}, key=key)).reason == (
        "algorithm"
    )


def test_a_header_without_alg_is_refused(store_engine: Engine) -> None:
    kid, _ = current_signing_key(store_engine, settings(), T0)
    header = b64({"typ": "at+jwt", "kid": kid})
    assert refused(store_engine, f"{header}.{b64(valid_claims())}.c2ln").reason == "algorithm"


@pytest.mark.parametrize("typ", ["JWT", "jwt", "at+jwe", "", None])
def test_a_typ_other_than_at_jwt_is_refused(store_engine: Engine, typ: str | None) -> None:
    # None drops the header: an untyped JWT (an ID token, say) is not an access token.
    assert refused(store_engine, craft(store_engine, header={"typ": typ})).reason == "type"


def test_an_unknown_kid_is_refused(store_engine: Engine) -> None:
    stranger = ECKey.generate_key("P-256", auto_kid=True)
    token = craft(store_engine, header={"kid": stranger.kid}, key=stranger)
    assert refused(store_engine, token).reason == "unknown_key"


def test_a_token_without_kid_is_refused(store_engine: Engine) -> None:
    _, key = current_signing_key(store_engine, settings(), T0)
    token = craft(store_engine, header={"kid": None}, key=key)  # our key, but no kid
    assert refused(store_engine, token).reason == "unknown_key"


def test_a_retired_key_past_its_grace_is_refused(store_engine: Engine) -> None:
    """Grace an hour, lifetime 10 minutes: a token signed just before a rotation is refused
    for its key after the grace, not for its age (long tokens would be refused for both)."""
    long_lived = settings(access_token_ttl_seconds=7200)
    token = issue_access_token(
        store_engine, long_lived, subject=USER, client_id="dp_partner", org_id=ORG,
        scopes=["pipeline:read"], now=T0,
    )  # fmt: skip
    rotate_signing_key(store_engine, long_lived, T0)
    assert verify_access_token(store_engine, long_lived, token, now=LATER).subject == USER
    past_grace = T0 + timedelta(seconds=3600)
    with pytest.raises(AccessTokenError) as cached:  # the ring still holds the old key
        verify_access_token(store_engine, long_lived, token, now=past_grace)
    assert cached.value.reason == "retired_key"
    forget_key_ring(store_engine)  # a process that loads the set afresh
    with pytest.raises(AccessTokenError) as fresh:
        verify_access_token(store_engine, long_lived, token, now=past_grace)
    assert fresh.value.reason == "unknown_key"


# -- refusals: the claims -------------------------------------------------------------------


def test_a_wrong_issuer_is_refused(store_engine: Engine) -> None:
    token = craft(store_engine, claims={"iss": "https://evil.example.com"})
    assert refused(store_engine, token).reason == "issuer"


@pytest.mark.parametrize("aud", ["another-api", ["another-api"], [], "dealpulse-api "])
def test_a_wrong_audience_is_refused(store_engine: Engine, aud: object) -> None:
    assert refused(store_engine, craft(store_engine, claims={"aud": aud})).reason == "audience"


def test_an_expired_token_is_refused(store_engine: Engine) -> None:
    token = issue(store_engine)
    assert verify(store_engine, token, T0 + timedelta(seconds=TTL - 1)).subject == USER
    assert refused(store_engine, token, T0 + timedelta(seconds=TTL)).reason == "expired"


def test_iat_in_the_future_beyond_the_leeway_is_refused(store_engine: Engine) -> None:
    iat = int(LATER.timestamp()) + IAT_LEEWAY_SECONDS + 1
    token = craft(store_engine, claims={"iat": iat, "exp": iat + TTL})
    assert refused(store_engine, token).reason == "issued_in_future"


def test_a_lifetime_over_the_maximum_is_refused_whatever_exp_says(store_engine: Engine) -> None:
    iat = int(T0.timestamp())
    token = craft(store_engine, claims={"exp": iat + TTL + 1})
    assert refused(store_engine, token).reason == "lifetime"
    # The maximum in force at verification counts, not the one at issuance.
    issued = issue(store_engine)
    shorter = settings(access_token_ttl_seconds=TTL // 2)
    with pytest.raises(AccessTokenError) as caught:
        verify_access_token(store_engine, shorter, issued, now=LATER)
    assert caught.value.reason == "lifetime"


@pytest.mark.parametrize(
    "name", ["iss", "aud", "sub", "client_id", "scope", "org", "iat", "exp", "jti"]
)
def test_a_missing_claim_is_refused(store_engine: Engine, name: str) -> None:
    error = refused(store_engine, craft(store_engine, drop=(name,)))
    assert error.reason == "missing_claim"
    assert str(error) == f"invalid access token (missing claim {name})"


@pytest.mark.parametrize(
    "claims",
    [
        {"sub": 5},
        {"sub": ""},
        {"client_id": None},
        {"jti": ["a"]},
        {"org": 1},
        {"iss": None},
        {"exp": "1772442600"},
        {"exp": True},
        {"iat": 1772442000.5},
    ],
)
def test_a_claim_of_the_wrong_type_is_refused(store_engine: Engine, claims: dict[str, Any]) -> None:
    assert refused(store_engine, craft(store_engine, claims=claims)).reason == "malformed_claim"


@pytest.mark.parametrize(
    "org",
    [
        "001000000000001AAA",  # an Account id
        "00d000000000001AAA",  # the key prefix is case-sensitive
        "00D00000000000",  # 14 characters
        "00D0000000000011",  # 16
        "00D000000000001AAAA",  # 19
        "00D00000000000!AAA",
        "00D000000000001AA\n",
    ],
)
def test_an_org_that_is_not_a_salesforce_org_id_is_refused(store_engine: Engine, org: str) -> None:
    assert refused(store_engine, craft(store_engine, claims={"org": org})).reason == "org"


@pytest.mark.parametrize(
    "scope",
    [
        "pipeline:read crm:everything",
        "pipeline:read  alerts:read",  # an empty scope between two spaces
        "admin admin",
        "Admin",
        ["pipeline:read"],
        " pipeline:read",
    ],
)
def test_unknown_or_malformed_scopes_are_refused(store_engine: Engine, scope: object) -> None:
    assert refused(store_engine, craft(store_engine, claims={"scope": scope})).reason == "scope"


# -- revocation hook ------------------------------------------------------------------------


def test_a_revoked_jti_is_refused_and_is_asked_last(store_engine: Engine) -> None:
    asked: list[str] = []

    def is_revoked(jti: str) -> bool:
        asked.append(jti)
        return jti == "a-token-id"

    revoked = craft(store_engine)
    with pytest.raises(AccessTokenError) as caught:
        verify_access_token(store_engine, settings(), revoked, now=LATER, is_revoked=is_revoked)
    assert caught.value.reason == "revoked"
    expired = craft(store_engine, claims={"exp": int(T0.timestamp()) + 1})
    with pytest.raises(AccessTokenError, match="expired"):
        verify_access_token(store_engine, settings(), expired, now=LATER, is_revoked=is_revoked)
    assert asked == ["a-token-id"]  # never asked about a token that fails otherwise
    other = craft(store_engine, claims={"jti": "another-id"})
    claims = verify_access_token(store_engine, settings(), other, now=LATER, is_revoked=is_revoked)
    assert claims.jti == "another-id"


# -- cost -------------------------------------------------------------------------------------


def test_verifying_many_tokens_reads_the_database_at_most_once(store_engine: Engine) -> None:
    tokens = [issue(store_engine, subject=f"005000000000{n:03d}AAA") for n in range(50)]
    foreign = [craft(store_engine, claims={"iss": f"https://x{n}"}) for n in range(100)]
    forget_key_ring(store_engine)  # as a freshly started API process
    with counting(store_engine) as statements:
        for _ in range(20):
            for token in tokens:
                verify(store_engine, token)
        for token in foreign:  # refusals read nothing either
            with pytest.raises(AccessTokenError):
                verify(store_engine, token)
    assert len(statements) == 1, statements
