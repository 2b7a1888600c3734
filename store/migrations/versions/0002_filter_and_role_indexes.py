"""indexes for the stage and account filters and the principal's role lookup

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 02:43:19.305083
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_opportunity_org_stage", "opportunity", ["org_id", "stage_name"])
    op.create_index("ix_opportunity_org_account", "opportunity", ["org_id", "account_id"])
    op.create_index("ix_sf_user_org_role", "sf_user", ["org_id", "user_role_id"])


def downgrade() -> None:
    op.drop_index("ix_sf_user_org_role", table_name="sf_user")
    op.drop_index("ix_opportunity_org_account", table_name="opportunity")
    op.drop_index("ix_opportunity_org_stage", table_name="opportunity")
