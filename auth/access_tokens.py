"""Access tokens: JWTs in the RFC 9068 profile, signed ES256 with the rotating key set of
auth.signing_keys.

Header {alg: ES256, typ: at+jwt, kid}; claims iss, aud, sub, client_id, scope (space-separated),
org (the Salesforce org id the token is bound to), iat, exp, jti. Verification reads no database
in the steady state (auth.signing_keys.KeyRing) and refuses, with an `AccessTokenError` whose
message is safe to show (never the token): anything but a well-formed ES256 at+jwt signed by a
key of the set, from our issuer for our audience, unexpired, issued no later than now (plus a
small leeway), living no longer than the configured maximum whatever its exp says, with every
claim present, a well-formed org id and only known scopes. Revocation is a hook
(`is_revoked(jti)`, checked last) until the jti deny-list exists.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from joserfc import jwt
from joserfc.errors import (
    BadSignatureError,
    JoseError,
    MissingAlgorithmError,
    UnsupportedAlgorithmError,
)
from joserfc.jwk import GuestProtocol, Key
from joserfc.jws import JWSRegistry
from sqlalchemy import Engine

from auth.credentials import ORG_ID
from auth.errors import AuthenticationError
from auth.scopes import SCOPE_NAMES
from auth.signing_keys import (
    ALGORITHM,
    KeySettings,
    RetiredKeyError,
    UnknownKeyError,
    current_signing_key,
    key_ring,
)

JWT_TYPE = "at+jwt"  # the `typ` header of RFC 9068
# RFC 9068 4: a resource server accepts "at+jwt" or its full media type, nothing else.
ACCEPTED_TYPES = frozenset({"at+jwt", "application/at+jwt"})
# Clock skew between processes tolerated on iat (a token "issued" a little in the future).
IAT_LEEWAY_SECONDS = 30
# A token longer than this is refused before any parsing (ours are about 600 characters).
MAX_TOKEN_LENGTH = 4096
_STRING_CLAIMS = ("iss", "sub", "client_id", "org", "jti")
# Built once: joserfc would otherwise build a registry per decode. Only ES256 is allowed, so
# `none`, HS256 signed with our public key and every other algorithm are refused up front.
_REGISTRY = JWSRegistry(algorithms=[ALGORITHM])


class TokenSettings(KeySettings, Protocol):
    @property
    def oauth_issuer(self) -> str: ...

    @property
    def oauth_audience(self) -> str: ...

    @property
    def access_token_ttl_seconds(self) -> int: ...


class AccessTokenError(AuthenticationError):
    """A refused access token. `reason` is a short stable code for logs and tests; the message
    is safe to show a client and never contains the token."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"invalid access token ({detail})")
        self.reason = reason


@dataclass(frozen=True)
class AccessTokenClaims:
    """The verified claims of an access token."""

    subject: str
    client_id: str
    org_id: str
    scopes: tuple[str, ...]
    issued_at: datetime
    expires_at: datetime
    jti: str


def _utc_now(now: datetime | None) -> datetime:
    moment = datetime.now(UTC) if now is None else now
    if moment.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    return moment


def issue_access_token(
    engine: Engine,
    settings: TokenSettings,
    *,
    subject: str,
    client_id: str,
    org_id: str,
    scopes: Sequence[str],
    now: datetime | None = None,
    ttl_seconds: int | None = None,
    jti: str | None = None,
) -> str:
    """A signed access token. Its lifetime is `ttl_seconds`, at most (and by default) the
    configured maximum; `jti` is random unless given (a caller that records the tokens it
    issues, auth.grants, chooses it). Bad arguments are a ValueError (a bug of the caller, not
    a client's)."""
    moment = _utc_now(now)
    maximum = settings.access_token_ttl_seconds
    ttl = maximum if ttl_seconds is None else min(ttl_seconds, maximum)
    if ttl <= 0:
        raise ValueError("an access token's lifetime must be positive")
    if not subject or not client_id:
        raise ValueError("an access token needs a subject and a client id")
    if not ORG_ID.fullmatch(org_id):
        raise ValueError("org_id must be a Salesforce org id")
    unknown = sorted(set(scopes) - SCOPE_NAMES)
    if unknown or len(set(scopes)) != len(scopes):
        raise ValueError(f"unknown or repeated scopes: {' '.join(unknown) or 'repeated'}")
    kid, key = current_signing_key(engine, settings, moment)
    issued_at = int(moment.timestamp())
    claims = {
        "iss": settings.oauth_issuer,
        "aud": settings.oauth_audience,
        "sub": subject,
        "client_id": client_id,
        "scope": " ".join(scopes),
        "org": org_id,
        "iat": issued_at,
        "exp": issued_at + ttl,
        "jti": jti or secrets.token_urlsafe(16),
    }
    header = {"alg": ALGORITHM, "typ": JWT_TYPE, "kid": kid}
    return jwt.encode(header, claims, key, registry=_REGISTRY)


def verify_access_token(
    engine: Engine,
    settings: TokenSettings,
    token: str | None,
    *,
    now: datetime | None = None,
    is_revoked: Callable[[str], bool] | None = None,
) -> AccessTokenClaims:
    """The claims of a valid access token, or AccessTokenError (see the module docstring).
    `is_revoked(jti)` is the revocation hook, asked only about otherwise valid tokens."""
    if not token:
        raise AccessTokenError("missing", "send 'Authorization: Bearer <token>'")
    if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH or token.count(".") != 2:
        raise AccessTokenError("malformed", "malformed")
    moment = _utc_now(now)
    ring = key_ring(engine, settings)

    def resolve_key(obj: GuestProtocol) -> Key:
        # Called by joserfc after it checked the algorithm, before it checks the signature.
        header = obj.headers()
        typ = header.get("typ")
        if not isinstance(typ, str) or typ.lower() not in ACCEPTED_TYPES:
            raise AccessTokenError("type", "not an access token (typ must be at+jwt)")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise AccessTokenError("unknown_key", "unknown or retired signing key")
        try:
            return ring.verification_key(kid, moment)
        except UnknownKeyError:
            raise AccessTokenError("unknown_key", "unknown or retired signing key") from None
        except RetiredKeyError:
            raise AccessTokenError("retired_key", "unknown or retired signing key") from None

    try:
        decoded = jwt.decode(token, resolve_key, registry=_REGISTRY)
    except (UnsupportedAlgorithmError, MissingAlgorithmError):
        raise AccessTokenError("algorithm", "only ES256 is accepted") from None
    except BadSignatureError:
        raise AccessTokenError("signature", "bad signature") from None
    except JoseError:
        raise AccessTokenError("malformed", "malformed") from None
    except (ValueError, TypeError, KeyError):
        # What joserfc lets through on garbage (bad base64, a header that is not an object).
        raise AccessTokenError("malformed", "malformed") from None
    claims = _checked_claims(decoded.claims, settings, moment)
    if is_revoked is not None and is_revoked(claims.jti):
        raise AccessTokenError("revoked", "revoked")
    return claims


def _checked_claims(
    claims: dict[str, Any], settings: TokenSettings, now: datetime
) -> AccessTokenClaims:
    for name in (*_STRING_CLAIMS, "aud", "scope", "iat", "exp"):
        if name not in claims:
            raise AccessTokenError("missing_claim", f"missing claim {name}")
    for name in _STRING_CLAIMS:
        if not isinstance(claims[name], str) or not claims[name]:
            raise AccessTokenError("malformed_claim", f"claim {name} must be a non-empty string")
    if claims["iss"] != settings.oauth_issuer:
        raise AccessTokenError("issuer", "wrong issuer")
    audience = claims["aud"]
    audiences = audience if isinstance(audience, list) else [audience]
    if settings.oauth_audience not in audiences:
        raise AccessTokenError("audience", "wrong audience")
    issued_at, expires_at = claims["iat"], claims["exp"]
    for name, value in (("iat", issued_at), ("exp", expires_at)):
        # NumericDate as we issue it: an int (a bool is an int to Python, not to JSON).
        if not isinstance(value, int) or isinstance(value, bool):
            raise AccessTokenError("malformed_claim", f"claim {name} must be a whole number")
    instant = now.timestamp()
    if instant >= expires_at:
        raise AccessTokenError("expired", "expired")
    if issued_at > instant + IAT_LEEWAY_SECONDS:
        raise AccessTokenError("issued_in_future", "issued in the future")
    if expires_at - issued_at > settings.access_token_ttl_seconds:
        raise AccessTokenError("lifetime", "lives longer than the maximum")
    if not ORG_ID.fullmatch(claims["org"]):
        raise AccessTokenError("org", "org is not a Salesforce org id")
    return AccessTokenClaims(
        subject=claims["sub"],
        client_id=claims["client_id"],
        org_id=claims["org"],
        scopes=_scopes(claims["scope"]),
        issued_at=datetime.fromtimestamp(issued_at, UTC),
        expires_at=datetime.fromtimestamp(expires_at, UTC),
        jti=claims["jti"],
    )


def _scopes(value: object) -> tuple[str, ...]:
    if not isinstance(value, str):
        raise AccessTokenError("scope", "scope must be a space-separated string")
    scopes = tuple(value.split(" ")) if value else ()
    if any(scope not in SCOPE_NAMES for scope in scopes) or len(set(scopes)) != len(scopes):
        raise AccessTokenError("scope", "unknown or repeated scope")
    return scopes
