"""The tables of dealpulse's OAuth 2 authorization server (issue 10): the registered clients,
the key set that signs access tokens and the deny list of revoked access tokens.

Exceptions to "org_id leads every primary key", on purpose: a client id is unique across the
deployment (the token endpoint learns the org from the client, not the other way round; the
client's `org_id` is a column), the signing keys belong to the deployment's one issuer, not to
an org, and a token id (jti, 128 random bits) is unique across the deployment and is all a
request's check knows before it trusts the token's org. Repositories: auth.clients (clients),
auth.signing_keys (keys), auth.revocation (revoked tokens).
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from store.models import json_field, utc_field


class OAuthClient(SQLModel, table=True):
    """A program allowed to ask for tokens: a partner or BI tool (client credentials,
    optionally acting as a run-as Salesforce user) or a browser client (authorization code with
    PKCE; public when it has no secret). The secret is kept only as its hash."""

    __tablename__ = "oauth_client"
    client_id: str = Field(primary_key=True)
    org_id: str = Field(foreign_key="org.id", index=True)
    name: str
    secret_hash: str | None = None  # None: a public client (PKCE, no secret)
    scopes: list[str] = json_field(list)  # the most it may be granted
    run_as_user_id: str | None = None  # the Salesforce user it acts as, if any
    redirect_uris: list[str] = json_field(list)  # matched exactly
    created_at: datetime = utc_field(nullable=False)
    revoked_at: datetime | None = utc_field()


class OAuthSigningKey(SQLModel, table=True):
    """One key of the access tokens' key set (its `kid`). The newest unretired key signs; a
    retired one still verifies the tokens it signed until its grace period ends. The private
    key is stored encrypted with a key derived from the settings' secret."""

    __tablename__ = "oauth_signing_key"
    kid: str = Field(primary_key=True)
    algorithm: str  # a JWS algorithm: "ES256"
    private_key: str  # the private JWK's JSON, encrypted (Fernet)
    created_at: datetime = utc_field(nullable=False)
    retired_at: datetime | None = utc_field()


class OAuthRevokedToken(SQLModel, table=True):
    """An access token revoked before its expiry (RFC 7009), by its `jti`. Access tokens are
    self-contained JWTs, so this deny list is what stops one at once; a row is useless once
    the token has expired anyway (`expires_at`, its `exp`) and may be purged then."""

    __tablename__ = "oauth_revoked_token"
    jti: str = Field(primary_key=True)
    client_id: str = Field(foreign_key="oauth_client.client_id")
    org_id: str = Field(foreign_key="org.id")
    expires_at: datetime = utc_field(nullable=False, index=True)  # the purge's range
    revoked_at: datetime = utc_field(nullable=False)
