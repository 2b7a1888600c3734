"""OAuth 2: the registered clients and the access tokens' signing keys (store.oauth_models).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 02:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from store.types import UtcDateTime

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "oauth_client",
        sa.Column("client_id", sa.String(), nullable=False),
        sa.Column("org_id", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("secret_hash", sa.String(), nullable=True),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("run_as_user_id", sa.String(), nullable=True),
        sa.Column("redirect_uris", sa.JSON(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("revoked_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["org_id"], ["org.id"]),
        sa.PrimaryKeyConstraint("client_id"),
    )
    with op.batch_alter_table("oauth_client", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_oauth_client_org_id"), ["org_id"], unique=False)

    op.create_table(
        "oauth_signing_key",
        sa.Column("kid", sa.String(), nullable=False),
        sa.Column("algorithm", sa.String(), nullable=False),
        sa.Column("private_key", sa.String(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("retired_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("kid"),
    )


def downgrade() -> None:
    op.drop_table("oauth_signing_key")
    with op.batch_alter_table("oauth_client", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_oauth_client_org_id"))
    op.drop_table("oauth_client")
