"""The tables of the authorization code flow and its refresh tokens (issue 10), beside
store.oauth_models: one authorization (a "family") per user login through a client, the
authorization code it started with, the refresh tokens rotated from it and the access tokens
issued from it (so that revoking the family can put their jtis on the deny list), and the
Salesforce refresh token dealpulse holds for each user who logged in.

Codes and refresh tokens are kept only as SHA-256 hashes (they are 256-bit random values, so a
slow KDF would add nothing); the Salesforce refresh token only encrypted (auth.at_rest,
Purpose.SALESFORCE_REFRESH_TOKENS). Repository: auth.grants (and auth.salesforce_tokens).
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from store.models import json_field, utc_field


class OAuthAuthorization(SQLModel, table=True):
    """One user's consent to one client, from a login: every code, refresh token and access
    token issued from it shares its id, and revoking it (a reused code or refresh token)
    stops them all."""

    __tablename__ = "oauth_authorization"
    id: str = Field(primary_key=True)
    client_id: str = Field(foreign_key="oauth_client.client_id", index=True)
    org_id: str = Field(foreign_key="org.id")
    user_id: str  # the Salesforce user (a mirrored SfUser of org_id)
    scopes: list[str] = json_field(list)  # granted: asked, the client's and the profile's
    created_at: datetime = utc_field(nullable=False)
    revoked_at: datetime | None = utc_field()


class OAuthAuthorizationCode(SQLModel, table=True):
    """An authorization code, single-use and short-lived, with the PKCE challenge (S256) and
    the exact redirect URI its token request must repeat."""

    __tablename__ = "oauth_authorization_code"
    code_hash: str = Field(primary_key=True)
    authorization_id: str = Field(foreign_key="oauth_authorization.id", index=True)
    redirect_uri: str
    code_challenge: str  # S256, the only method accepted
    expires_at: datetime = utc_field(nullable=False)
    used_at: datetime | None = utc_field()


class OAuthRefreshToken(SQLModel, table=True):
    """A refresh token of an authorization. Each use rotates it (`rotated_at` set, a new one
    issued); presenting a rotated one again revokes the whole authorization."""

    __tablename__ = "oauth_refresh_token"
    token_hash: str = Field(primary_key=True)
    authorization_id: str = Field(foreign_key="oauth_authorization.id", index=True)
    created_at: datetime = utc_field(nullable=False)
    expires_at: datetime = utc_field(nullable=False)
    rotated_at: datetime | None = utc_field()


class OAuthIssuedAccessToken(SQLModel, table=True):
    """An access token issued from an authorization, by jti: what revoking the authorization
    puts on the deny list. A row is useless once the token has expired (`expires_at`)."""

    __tablename__ = "oauth_issued_access_token"
    jti: str = Field(primary_key=True)
    authorization_id: str = Field(foreign_key="oauth_authorization.id", index=True)
    expires_at: datetime = utc_field(nullable=False)


class SalesforceUserToken(SQLModel, table=True):
    """The Salesforce refresh token of a user who logged in through dealpulse (to act as that
    user in Salesforce), encrypted; the newest login's replaces the one before."""

    __tablename__ = "salesforce_user_token"
    org_id: str = Field(primary_key=True, foreign_key="org.id")
    user_id: str = Field(primary_key=True)
    encrypted_refresh_token: str  # Fernet, Purpose.SALESFORCE_REFRESH_TOKENS
    updated_at: datetime = utc_field(nullable=False)
