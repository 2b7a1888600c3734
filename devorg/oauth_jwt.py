"""The JWT bearer flow's assertion check, as Salesforce does it (RFC 7523).

The assertion is an RS256 JWT signed with the key whose certificate (or public key) was uploaded
to the connected app. Claims: `iss` = the consumer key, `sub` = the username (`prn` is the older
name and wins if both are present, as Salesforce documents), `aud` = https://login.salesforce.com,
https://test.salesforce.com or the org's own URL, `exp` = seconds since the epoch, at most three
minutes ahead (Salesforce's rule; simple-salesforce sends exactly now + 3 minutes, as a string).
"""

from __future__ import annotations

import base64
import json
import math
import time
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey

from devorg.oauth_common import OAuthError, unknown_client

# Leeway for clock differences between the client and devorg, on both ends of the window.
CLOCK_SKEW_SECONDS = 30
MAX_LIFETIME_SECONDS = 180
STANDARD_AUDIENCES = ("https://login.salesforce.com", "https://test.salesforce.com")


@dataclass(frozen=True)
class Assertion:
    client_id: str
    username: str


def invalid_assertion() -> OAuthError:
    return OAuthError("invalid_grant", "invalid assertion")


def _load_public_key(pem: str) -> RSAKey:
    data = pem.strip().encode()
    if b"BEGIN CERTIFICATE" in data:
        public = x509.load_pem_x509_certificate(data).public_key()
        if not isinstance(public, rsa.RSAPublicKey):
            raise invalid_assertion()
        return RSAKey.import_key(public)
    return RSAKey.import_key(data)


def peek_issuer(assertion: str) -> str:
    """The `iss` claim, read before the signature is checked: it names the connected app, and so
    the key to check the signature with. Nothing else is trusted before verification."""
    parts = assertion.split(".")
    if len(parts) != 3:
        raise invalid_assertion()
    try:
        payload = parts[1] + "=" * (-len(parts[1]) % 4)
        claims = json.loads(base64.urlsafe_b64decode(payload.encode("ascii")))
    except (ValueError, UnicodeError) as exc:
        raise invalid_assertion() from exc
    issuer = claims.get("iss") if isinstance(claims, dict) else None
    if not isinstance(issuer, str) or not issuer:
        raise invalid_assertion()
    return issuer


def _numeric(value: Any) -> float | None:
    """A NumericDate; Salesforce's own example (and simple-salesforce) send it as a string."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except (ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def verify_assertion(
    assertion: str, public_key_pem: str | None, client_id: str, instance_url: str
) -> Assertion:
    """Check signature and claims; raise Salesforce's invalid_grant errors on any failure."""
    if not public_key_pem:
        # The connected app has no certificate: Salesforce cannot check the signature.
        raise invalid_assertion()
    try:
        key = _load_public_key(public_key_pem)
        token = jwt.decode(assertion, key, algorithms=["RS256"])
    except (JoseError, ValueError, TypeError) as exc:
        raise invalid_assertion() from exc
    claims = token.claims
    if claims.get("iss") != client_id:
        raise unknown_client()
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    allowed = {*STANDARD_AUDIENCES, instance_url.rstrip("/")}
    if not any(isinstance(a, str) and a.rstrip("/") in allowed for a in audiences):
        raise OAuthError("invalid_grant", "audience is invalid")
    expires = _numeric(claims.get("exp"))
    now = time.time()
    if expires is None:
        raise invalid_assertion()
    if expires + CLOCK_SKEW_SECONDS <= now:
        raise OAuthError("invalid_grant", "expired authorization code")
    if expires > now + MAX_LIFETIME_SECONDS + CLOCK_SKEW_SECONDS:
        raise invalid_assertion()
    subject = claims.get("prn", claims.get("sub"))
    if not isinstance(subject, str) or not subject:
        raise invalid_assertion()
    return Assertion(client_id=client_id, username=subject)
