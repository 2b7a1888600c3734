"""OAuth 2: the authorization code flow's authorizations, codes, refresh tokens, the access
tokens issued from them, and the users' Salesforce refresh tokens
(store.oauth_grant_models).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 06:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from store.types import UtcDateTime

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CHILDREN = ("oauth_authorization_code", "oauth_refresh_token", "oauth_issued_access_token")


def upgrade() -> None:
    op.create_table(
        "oauth_authorization",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("client_id", sa.String(), nullable=False),
        sa.Column("org_id", sa.String(), nullable=False),
        sa.Column("user_id", sa.String(), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("revoked_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["client_id"], ["oauth_client.client_id"]),
        sa.ForeignKeyConstraint(["org_id"], ["org.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("oauth_authorization", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_oauth_authorization_client_id"), ["client_id"], unique=False
        )
    op.create_table(
        "oauth_authorization_code",
        sa.Column("code_hash", sa.String(), nullable=False),
        sa.Column("authorization_id", sa.String(), nullable=False),
        sa.Column("redirect_uri", sa.String(), nullable=False),
        sa.Column("code_challenge", sa.String(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.Column("used_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["authorization_id"], ["oauth_authorization.id"]),
        sa.PrimaryKeyConstraint("code_hash"),
    )
    op.create_table(
        "oauth_refresh_token",
        sa.Column("token_hash", sa.String(), nullable=False),
        sa.Column("authorization_id", sa.String(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.Column("rotated_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["authorization_id"], ["oauth_authorization.id"]),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    op.create_table(
        "oauth_issued_access_token",
        sa.Column("jti", sa.String(), nullable=False),
        sa.Column("authorization_id", sa.String(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["authorization_id"], ["oauth_authorization.id"]),
        sa.PrimaryKeyConstraint("jti"),
    )
    for table in _CHILDREN:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(
                batch_op.f(f"ix_{table}_authorization_id"), ["authorization_id"], unique=False
            )
    op.create_table(
        "salesforce_user_token",
        sa.Column("org_id", sa.String(), nullable=False),
        sa.Column("user_id", sa.String(), nullable=False),
        sa.Column("encrypted_refresh_token", sa.String(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["org.id"]),
        sa.PrimaryKeyConstraint("org_id", "user_id"),
    )


def downgrade() -> None:
    op.drop_table("salesforce_user_token")
    for table in _CHILDREN:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{table}_authorization_id"))
        op.drop_table(table)
    with op.batch_alter_table("oauth_authorization", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_oauth_authorization_client_id"))
    op.drop_table("oauth_authorization")
