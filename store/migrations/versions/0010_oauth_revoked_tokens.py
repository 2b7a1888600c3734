"""OAuth 2: the deny list of revoked access tokens (store.oauth_models.OAuthRevokedToken).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 04:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from store.types import UtcDateTime

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "oauth_revoked_token",
        sa.Column("jti", sa.String(), nullable=False),
        sa.Column("client_id", sa.String(), nullable=False),
        sa.Column("org_id", sa.String(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.Column("revoked_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["oauth_client.client_id"]),
        sa.ForeignKeyConstraint(["org_id"], ["org.id"]),
        sa.PrimaryKeyConstraint("jti"),
    )
    with op.batch_alter_table("oauth_revoked_token", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_oauth_revoked_token_expires_at"), ["expires_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("oauth_revoked_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_oauth_revoked_token_expires_at"))
    op.drop_table("oauth_revoked_token")
