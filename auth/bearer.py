"""A bearer token verified, whichever kind it is: an OAuth access token (an RFC 9068 JWT,
header `typ` at+jwt, auth.access_tokens) or a development token (auth.dev_tokens).

An access token must be neither revoked nor held by a revoked client (auth.revocation: one
statement per request). It acts as a Salesforce user (a user's own token, a run-as client's:
`sub` is the user's id) or as no user (a client without a run-as user: `sub` is the client's
id), which auth.principals makes a CLIENT principal.

Blocking (the revocation check reads the database; the key ring may): async callers run it
in a worker thread.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Protocol

from sqlalchemy import Engine

from auth.access_tokens import ACCEPTED_TYPES, TokenSettings
from auth.credentials import Credentials
from auth.dev_tokens import TokenSettings as DevTokenSettings
from auth.dev_tokens import verify_dev_token
from auth.errors import AuthenticationError
from auth.revocation import verify_unrevoked_access_token

# A Salesforce user id: key prefix 005, 15 or 18 characters.
_USER_ID = re.compile(r"005[A-Za-z0-9]{12}(?:[A-Za-z0-9]{3})?")
_MAX_HEADER = 1024  # a JWS header of ours is about 100 characters


class BearerSettings(TokenSettings, DevTokenSettings, Protocol):
    """What verifying either kind of token needs of the settings (api.settings.Settings)."""

    @property
    def dev_tokens(self) -> bool:
        """Whether development tokens are accepted (off unless switched on)."""
        ...


def _is_access_token(token: str) -> bool:
    """Whether the token's JOSE header says at+jwt (read without verifying: only to choose
    the verifier, which checks everything again)."""
    header = token.split(".", 1)[0]
    if not header or len(header) > _MAX_HEADER:
        return False
    try:
        decoded = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))
    except ValueError:  # binascii.Error and JSONDecodeError are ValueErrors
        return False
    typ = decoded.get("typ") if isinstance(decoded, dict) else None
    return isinstance(typ, str) and typ.lower() in ACCEPTED_TYPES


def verify_bearer(engine: Engine, settings: BearerSettings, token: str | None) -> Credentials:
    """The credentials of `token`, or AuthenticationError (its message safe to show)."""
    if token is None or not _is_access_token(token):
        if token is not None and not settings.dev_tokens:
            raise AuthenticationError(
                "invalid token: not an OAuth access token (development tokens are off; "
                "`dealpulse serve --dev` turns them on outside production)"
            )
        return verify_dev_token(settings, token)
    claims = verify_unrevoked_access_token(engine, settings, token)
    if _USER_ID.fullmatch(claims.subject):
        user_id: str | None = claims.subject
    elif claims.subject == claims.client_id:
        user_id = None
    else:
        raise AuthenticationError("invalid access token (its subject is no user and no client)")
    return Credentials(
        org_id=claims.org_id,
        user_id=user_id,
        expires_at=int(claims.expires_at.timestamp()),
        scopes=claims.scopes,
        client_id=claims.client_id,
    )
