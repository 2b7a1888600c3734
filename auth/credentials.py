"""What a verified bearer token says: the org, the Salesforce user it acts as, when it
expires and the scopes it asks for. Development tokens (auth.dev_tokens) and OAuth access
tokens of a user or a run-as client (auth.bearer) both give one; auth.principals resolves it
against the mirror."""

from __future__ import annotations

import re
from dataclasses import dataclass

# A Salesforce org id: key prefix 00D, 15 or 18 characters (what a token's `org` must be).
ORG_ID = re.compile(r"00D[A-Za-z0-9]{12}(?:[A-Za-z0-9]{3})?")


@dataclass(frozen=True)
class Credentials:
    org_id: str
    # A Salesforce user id (auth.principals checks it is active in the org); None for an OAuth
    # client that acts as no user (no run-as user): auth.principals.client_principal.
    user_id: str | None
    expires_at: int  # seconds since the epoch
    # The scopes the token asks for; None: every scope the user's profile allows
    # (auth.principals caps either by the profile).
    scopes: tuple[str, ...] | None = None
    client_id: str | None = None  # the OAuth client that got the token (None: a development token)
