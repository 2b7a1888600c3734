"""devorg's JWT bearer flow over real HTTP, with hand-made assertions and with simple-salesforce."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceAuthenticationFailed

from salesforce.devorg_transport import DevorgSession
from tests.devorg.test_oauth_helpers import (
    JWT_BEARER,
    OAuthOrg,
    assertion,
    expected_signature,
    oauth_error,
    oauth_org,
)

__all__ = ["oauth_org"]

AUTH_FAILURE = (400, "invalid_grant", "authentication failure")


def _jwt_token(org: OAuthOrg, signed: str) -> tuple[int, dict[str, str]]:
    response = org.token({"grant_type": JWT_BEARER, "assertion": signed})
    return response.status_code, response.json()


@pytest.mark.parametrize(
    "audience",
    ["https://login.salesforce.com", "https://test.salesforce.com", "instance"],
)
def test_jwt_bearer_issues_a_token(oauth_org: OAuthOrg, audience: str) -> None:
    app, user = oauth_org.app(), oauth_org.user()
    aud = oauth_org.url if audience == "instance" else audience
    status, body = _jwt_token(
        oauth_org, assertion(app.private_key_pem, iss=app.client_id, sub=user.username, aud=aud)
    )
    assert status == 200, body
    assert body["id"].endswith(f"/{user.user_id}")
    assert body["instance_url"] == oauth_org.url
    assert body["token_type"] == "Bearer"
    assert "refresh_token" not in body
    assert body["signature"] == expected_signature(app.client_secret, body)
    assert oauth_org.limits(body["access_token"]).status_code == 200


def test_jwt_exp_may_be_a_string(oauth_org: OAuthOrg) -> None:
    # simple-salesforce (like Salesforce's own example) sends exp as a string of digits.
    app, user = oauth_org.app(), oauth_org.user()
    signed = assertion(
        app.private_key_pem, iss=app.client_id, sub=user.username, exp=f"{time.time() + 170:.0f}"
    )
    assert _jwt_token(oauth_org, signed)[0] == 200


def test_jwt_failures(oauth_org: OAuthOrg) -> None:
    app, user = oauth_org.app(), oauth_org.user()
    inactive = oauth_org.user(active=False)
    key = app.private_key_pem

    def refused(signed: str) -> tuple[int, str, str]:
        status, body = _jwt_token(oauth_org, signed)
        return status, body["error"], body["error_description"]

    expired = assertion(key, iss=app.client_id, sub=user.username, exp=time.time() - 600)
    assert refused(expired) == (400, "invalid_grant", "expired authorization code")
    too_long = assertion(key, iss=app.client_id, sub=user.username, exp=time.time() + 3600)
    assert refused(too_long) == (400, "invalid_grant", "invalid assertion")
    other_key = assertion(oauth_org.other_private_key_pem, iss=app.client_id, sub=user.username)
    assert refused(other_key) == (400, "invalid_grant", "invalid assertion")
    audience = assertion(key, iss=app.client_id, sub=user.username, aud="https://evil.example")
    assert refused(audience) == (400, "invalid_grant", "audience is invalid")
    unknown_user = assertion(key, iss=app.client_id, sub="nobody@devorg.test")
    assert refused(unknown_user) == AUTH_FAILURE
    inactive_user = assertion(key, iss=app.client_id, sub=inactive.username)
    assert refused(inactive_user) == AUTH_FAILURE
    for odd_exp in ("NaN", "soon", "1e999", True):
        odd = assertion(key, iss=app.client_id, sub=user.username, exp=odd_exp)
        assert refused(odd) == (400, "invalid_grant", "invalid assertion"), odd_exp
    unknown_app = assertion(key, iss="3MVG9nobody", sub=user.username)
    assert refused(unknown_app) == (400, "invalid_client_id", "client identifier invalid")


def test_jwt_checked_against_an_uploaded_certificate(oauth_org: OAuthOrg) -> None:
    # Salesforce's connected apps hold an X.509 certificate rather than a bare public key.
    user = oauth_org.user()
    app = oauth_org.app(public_key_pem=self_signed_certificate(oauth_org.private_key_pem))
    signed = assertion(app.private_key_pem, iss=app.client_id, sub=user.username)
    assert _jwt_token(oauth_org, signed)[0] == 200
    forged = assertion(oauth_org.other_private_key_pem, iss=app.client_id, sub=user.username)
    assert _jwt_token(oauth_org, forged)[1]["error_description"] == "invalid assertion"


def self_signed_certificate(private_key_pem: str) -> str:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = serialization.load_pem_private_key(private_key_pem.encode(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "devorg test")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


@pytest.mark.parametrize(
    "signed",
    [
        "",
        "not-a-jwt",
        "a.b.c",
        "eyJhbGciOiJub25lIn0.eyJpc3MiOiJ4In0.",
        "x" * 20_000,
    ],
)
def test_malformed_assertions(oauth_org: OAuthOrg, signed: str) -> None:
    response = oauth_org.token({"grant_type": JWT_BEARER, "assertion": signed})
    assert response.status_code == 400
    assert oauth_error(response)[1] in {"invalid_grant", "invalid_request", "invalid_client_id"}


def test_alg_none_and_hmac_are_refused(oauth_org: OAuthOrg) -> None:
    import base64
    import hashlib
    import hmac
    import json

    app, user = oauth_org.app(), oauth_org.user()

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    claims = b64(
        json.dumps(
            {"iss": app.client_id, "sub": user.username, "aud": "https://login.salesforce.com",
             "exp": int(time.time()) + 60}
        ).encode()
    )  # fmt: skip
    none_header = b64(b'{"alg":"none"}')
    unsigned = f"{none_header}.{claims}."
    assert oauth_error(oauth_org.token({"grant_type": JWT_BEARER, "assertion": unsigned})) == (
        400, "invalid_grant", "invalid assertion",
    )  # fmt: skip
    # HS256 keyed with the public key: the classic algorithm-confusion forgery.
    head = b64(b'{"alg":"HS256"}')
    mac = hmac.new(
        oauth_org.public_key_pem.encode(), f"{head}.{claims}".encode(), hashlib.sha256
    ).digest()
    forged = f"{head}.{claims}.{b64(mac)}"
    assert oauth_error(oauth_org.token({"grant_type": JWT_BEARER, "assertion": forged})) == (
        400, "invalid_grant", "invalid assertion",
    )  # fmt: skip


def test_simple_salesforce_jwt_login(oauth_org: OAuthOrg) -> None:
    app, user = oauth_org.app(), oauth_org.user()
    sf = Salesforce(
        username=user.username,
        consumer_key=app.client_id,
        privatekey=app.private_key_pem,
        session=DevorgSession(oauth_org.url),
    )
    assert "DailyApiRequests" in sf.limits()


def test_simple_salesforce_jwt_login_with_the_wrong_key(oauth_org: OAuthOrg) -> None:
    app, user = oauth_org.app(), oauth_org.user()
    with pytest.raises(SalesforceAuthenticationFailed) as failure:
        Salesforce(
            username=user.username,
            consumer_key=app.client_id,
            privatekey=oauth_org.other_private_key_pem,
            session=DevorgSession(oauth_org.url),
        )
    assert failure.value.code == "invalid_grant"
