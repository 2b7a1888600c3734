"""The Salesforce refresh tokens dealpulse holds for users who logged in through it (to act
as them in Salesforce), encrypted at rest (auth.at_rest, Purpose.SALESFORCE_REFRESH_TOKENS,
a key derived from settings.secret_key). Only this module sees one in clear; nothing logs it.

Blocking (synchronous sessions): async callers use `run_in_threadpool`.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine

from auth.at_rest import Purpose, SecretSettings, decrypt, encrypt
from store.engine import session_scope
from store.mirror import upsert
from store.oauth_grant_models import SalesforceUserToken
from store.tenancy import OrgScope

_PURPOSE = Purpose.SALESFORCE_REFRESH_TOKENS


def keep_salesforce_refresh_token(
    engine: Engine,
    settings: SecretSettings,
    *,
    org_id: str,
    user_id: str,
    refresh_token: str,
    now: datetime | None = None,
) -> None:
    """Store the user's Salesforce refresh token, encrypted, replacing the one before (an
    upsert: two logins of the same user at once both land, the later one kept)."""
    encrypted = encrypt(settings, refresh_token, purpose=_PURPOSE)
    row = {
        "org_id": org_id, "user_id": user_id, "encrypted_refresh_token": encrypted,
        "updated_at": now or datetime.now(UTC),
    }  # fmt: skip
    with session_scope(engine) as session:
        upsert(session, SalesforceUserToken, [row])


def salesforce_refresh_token(
    engine: Engine, settings: SecretSettings, *, org_id: str, user_id: str
) -> str | None:
    """The user's Salesforce refresh token in clear, or None if dealpulse holds none
    (auth.at_rest.UndecryptableError if it was encrypted under another secret key)."""
    with session_scope(engine) as session:
        row = OrgScope(org_id).get(session, SalesforceUserToken, user_id)
        encrypted = None if row is None else row.encrypted_refresh_token
    return None if encrypted is None else decrypt(settings, encrypted, purpose=_PURPOSE)
