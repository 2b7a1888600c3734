"""Signed development tokens: an HS256 JWT naming an org and a Salesforce user.

Accepted only where they are switched on (`dealpulse serve --dev`, DEALPULSE_DEV_TOKENS; never
with DEALPULSE_ENVIRONMENT=production: auth.bearer checks); the tests use them. They may name
fewer scopes (`scope` claim). The key is `settings.secret_key`; only HS256 is
accepted (a token with `alg: none` or any other algorithm is refused), and every failure is a
`DevTokenError` (an `auth.errors.AuthenticationError`), whose message is safe to show a client.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Protocol

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OctKey
from pydantic import SecretStr

from auth.credentials import ORG_ID, Credentials
from auth.errors import AuthenticationError

ALGORITHM = "HS256"
ISSUER = "dealpulse-dev"
# HS256 wants a key at least as long as the hash; shorter keys are refused, not warned about.
MIN_KEY_LENGTH = 32


# A token's `exp` may be this much later than its lifetime allows (clocks of issuer and server).
CLOCK_SKEW_SECONDS = 60


class TokenSettings(Protocol):
    @property
    def secret_key(self) -> SecretStr: ...

    @property
    def dev_token_ttl_seconds(self) -> int: ...


class DevTokenError(AuthenticationError):
    """A missing, malformed, forged or expired token. The message never contains the token."""


def _key(settings: TokenSettings) -> OctKey:
    secret = settings.secret_key.get_secret_value()
    if len(secret) < MIN_KEY_LENGTH:
        raise DevTokenError(
            f"development tokens need a secret key of at least {MIN_KEY_LENGTH} characters"
        )
    return OctKey.import_key(secret)


def issue_dev_token(
    settings: TokenSettings,
    org_id: str,
    user_id: str,
    *,
    ttl_seconds: int | None = None,
    scopes: Sequence[str] | None = None,
) -> str:
    now = int(time.time())
    ttl = settings.dev_token_ttl_seconds if ttl_seconds is None else ttl_seconds
    claims: dict[str, object] = {
        "iss": ISSUER, "org": org_id, "sub": user_id, "iat": now, "exp": now + ttl,
    }  # fmt: skip
    if scopes is not None:
        claims["scope"] = " ".join(scopes)
    return jwt.encode({"alg": ALGORITHM, "typ": "JWT"}, claims, _key(settings), [ALGORITHM])


def verify_dev_token(settings: TokenSettings, token: str | None) -> Credentials:
    if not token:
        raise DevTokenError("authentication required: send 'Authorization: Bearer <token>'")
    key = _key(settings)
    try:
        decoded = jwt.decode(token, key, algorithms=[ALGORITHM])
        registry = jwt.JWTClaimsRegistry(
            iss={"essential": True, "value": ISSUER},
            sub={"essential": True},
            org={"essential": True},
            exp={"essential": True},
        )
        registry.validate(decoded.claims)
    except JoseError as error:
        raise DevTokenError(f"invalid token ({error.error})") from None
    except (ValueError, TypeError):
        raise DevTokenError("invalid token (malformed)") from None
    claims = decoded.claims
    org_id, user_id, expires = claims["org"], claims["sub"], claims["exp"]
    if not isinstance(org_id, str) or not isinstance(user_id, str) or not isinstance(expires, int):
        raise DevTokenError("invalid token (claims of the wrong type)")
    if not ORG_ID.fullmatch(org_id):
        raise DevTokenError("invalid token (its org is not a Salesforce org id)")  # not quoted
    if expires > time.time() + settings.dev_token_ttl_seconds + CLOCK_SKEW_SECONDS:
        # The most a token may live holds whatever `exp` says.
        raise DevTokenError("invalid token (it would live longer than a development token may)")
    scope = claims.get("scope")
    if scope is not None and not isinstance(scope, str):
        raise DevTokenError("invalid token (claims of the wrong type)")
    scopes = None if scope is None else tuple(scope.split())
    return Credentials(org_id=org_id, user_id=user_id, expires_at=expires, scopes=scopes)


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, or None."""
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()
