"""the mirror, sync state and orgs

Revision ID: 0001
Revises:
Create Date: 2026-11-29 02:03:30.513182
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import store.types

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "org",
        sa.Column("id", sa.String(length=18), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("instance_url", sa.String(), nullable=False),
        sa.Column("api_version", sa.String(), nullable=False),
        sa.Column("auth_flow", sa.String(), nullable=False),
        sa.Column("client_id", sa.String(), nullable=False),
        sa.Column("username", sa.String(), nullable=True),
        sa.Column("private_key_file", sa.String(), nullable=True),
        sa.Column("is_devorg", sa.Boolean(), nullable=False),
        sa.Column("created_at", store.types.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "account",
        sa.Column("org_id", sa.String(), nullable=False),
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("industry", sa.String(), nullable=True),
        sa.Column("billing_country", sa.String(), nullable=True),
        sa.Column("number_of_employees", sa.Integer(), nullable=True),
        sa.Column("annual_revenue", sa.Float(), nullable=True),
        sa.Column("owner_id", sa.String(), nullable=True),
        sa.Column("system_modstamp", store.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("is_deleted", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["org.id"],
        ),
        sa.PrimaryKeyConstraint("org_id", "id"),
    )
    op.create_table(
        "activity",
        sa.Column("org_id", sa.String(), nullable=False),
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("what_id", sa.String(), nullable=True),
        sa.Column("subject", sa.String(), nullable=True),
        sa.Column("activity_date", sa.Date(), nullable=True),
        sa.Column("start_datetime", store.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("is_closed", sa.Boolean(), nullable=False),
        sa.Column("system_modstamp", store.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("is_deleted", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["org.id"],
        ),
        sa.PrimaryKeyConstraint("org_id", "id"),
    )
    with op.batch_alter_table("activity", schema=None) as batch_op:
        batch_op.create_index("ix_activity_what", ["org_id", "what_id"], unique=False)

    op.create_table(
        "derived_facts",
        sa.Column("org_id", sa.String(), nullable=False),
        sa.Column("opportunity_id", sa.String(), nullable=False),
        sa.Column("stage_entered_at", store.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("stage_number", sa.Integer(), nullable=True),
        sa.Column("close_date_push_count", sa.Integer(), nullable=False),
        sa.Column("amount_change_since_creation", sa.Float(), nullable=True),
        sa.Column("last_activity_date", sa.Date(), nullable=True),
        sa.Column("next_meeting_date", sa.Date(), nullable=True),
        sa.Column("computed_at", store.types.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["org.id"],
        ),
        sa.PrimaryKeyConstraint("org_id", "opportunity_id"),
    )
    with op.batch_alter_table("derived_facts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_derived_facts_stage_entered", ["org_id", "stage_entered_at"], unique=False
        )

    op.create_table(
        "field_catalog",
        sa.Column("org_id", sa.String(), nullable=False),
        sa.Column("sobject", sa.String(), nullable=False),
        sa.Column("describe", sa.JSON(), nullable=False),
        sa.Column("fetched_at", store.types.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["org.id"],
        ),
        sa.PrimaryKeyConstraint("org_id", "sobject"),
    )
    op.create_table(
        "opportunity",
        sa.Column("org_id", sa.String(), nullable=False),
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("account_id", sa.String(), nullable=True),
        sa.Column("owner_id", sa.String(), nullable=False),
        sa.Column("stage_name", sa.String(), nullable=False),
        sa.Column("amount", sa.Float(), nullable=True),
        sa.Column("close_date", sa.Date(), nullable=True),
        sa.Column("probability", sa.Float(), nullable=True),
        sa.Column("forecast_category_name", sa.String(), nullable=True),
        sa.Column("is_closed", sa.Boolean(), nullable=False),
        sa.Column("is_won", sa.Boolean(), nullable=False),
        sa.Column("type", sa.String(), nullable=True),
        sa.Column("lead_source", sa.String(), nullable=True),
        sa.Column("next_step", sa.String(), nullable=True),
        sa.Column("created_date", store.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("last_modified_date", store.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("system_modstamp", store.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("is_deleted", sa.Boolean(), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["org.id"],
        ),
        sa.PrimaryKeyConstraint("org_id", "id"),
    )
    with op.batch_alter_table("opportunity", schema=None) as batch_op:
        batch_op.create_index("ix_opportunity_org_amount", ["org_id", "amount"], unique=False)
        batch_op.create_index(
            "ix_opportunity_org_close_date", ["org_id", "close_date"], unique=False
        )
        batch_op.create_index(
            "ix_opportunity_org_modified", ["org_id", "last_modified_date"], unique=False
        )
        batch_op.create_index("ix_opportunity_org_owner", ["org_id", "owner_id"], unique=False)

    op.create_table(
        "opportunity_competitor",
        sa.Column("org_id", sa.String(), nullable=False),
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("opportunity_id", sa.String(), nullable=False),
        sa.Column("competitor_name", sa.String(), nullable=True),
        sa.Column("strengths", sa.String(), nullable=True),
        sa.Column("weaknesses", sa.String(), nullable=True),
        sa.Column("system_modstamp", store.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("is_deleted", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["org.id"],
        ),
        sa.PrimaryKeyConstraint("org_id", "id"),
    )
    with op.batch_alter_table("opportunity_competitor", schema=None) as batch_op:
        batch_op.create_index(
            "ix_opportunity_competitor_opp", ["org_id", "opportunity_id"], unique=False
        )

    op.create_table(
        "opportunity_field_history",
        sa.Column("org_id", sa.String(), nullable=False),
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("opportunity_id", sa.String(), nullable=False),
        sa.Column("field", sa.String(), nullable=False),
        sa.Column("old_value", sa.String(), nullable=True),
        sa.Column("new_value", sa.String(), nullable=True),
        sa.Column("created_date", store.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("is_deleted", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["org.id"],
        ),
        sa.PrimaryKeyConstraint("org_id", "id"),
    )
    with op.batch_alter_table("opportunity_field_history", schema=None) as batch_op:
        batch_op.create_index(
            "ix_opportunity_field_history_opp", ["org_id", "opportunity_id"], unique=False
        )

    op.create_table(
        "opportunity_history",
        sa.Column("org_id", sa.String(), nullable=False),
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("opportunity_id", sa.String(), nullable=False),
        sa.Column("stage_name", sa.String(), nullable=True),
        sa.Column("amount", sa.Float(), nullable=True),
        sa.Column("close_date", sa.Date(), nullable=True),
        sa.Column("probability", sa.Float(), nullable=True),
        sa.Column("created_date", store.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("system_modstamp", store.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("is_deleted", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["org.id"],
        ),
        sa.PrimaryKeyConstraint("org_id", "id"),
    )
    with op.batch_alter_table("opportunity_history", schema=None) as batch_op:
        batch_op.create_index(
            "ix_opportunity_history_opp", ["org_id", "opportunity_id"], unique=False
        )

    op.create_table(
        "opportunity_stage",
        sa.Column("org_id", sa.String(), nullable=False),
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("api_name", sa.String(), nullable=False),
        sa.Column("label", sa.String(), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("is_closed", sa.Boolean(), nullable=False),
        sa.Column("is_won", sa.Boolean(), nullable=False),
        sa.Column("default_probability", sa.Float(), nullable=True),
        sa.Column("forecast_category_name", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["org.id"],
        ),
        sa.PrimaryKeyConstraint("org_id", "id"),
    )
    op.create_table(
        "sf_user",
        sa.Column("org_id", sa.String(), nullable=False),
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("username", sa.String(), nullable=False),
        sa.Column("email", sa.String(), nullable=True),
        sa.Column("title", sa.String(), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("manager_id", sa.String(), nullable=True),
        sa.Column("user_role_id", sa.String(), nullable=True),
        sa.Column("profile_name", sa.String(), nullable=True),
        sa.Column("system_modstamp", store.types.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["org.id"],
        ),
        sa.PrimaryKeyConstraint("org_id", "id"),
    )
    op.create_table(
        "sync_state",
        sa.Column("org_id", sa.String(), nullable=False),
        sa.Column("sobject", sa.String(), nullable=False),
        sa.Column("watermark", store.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("last_success_at", store.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("last_attempt_at", store.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.Column("records_synced", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["org.id"],
        ),
        sa.PrimaryKeyConstraint("org_id", "sobject"),
    )
    op.create_table(
        "user_role",
        sa.Column("org_id", sa.String(), nullable=False),
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("parent_role_id", sa.String(), nullable=True),
        sa.Column("system_modstamp", store.types.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["org.id"],
        ),
        sa.PrimaryKeyConstraint("org_id", "id"),
    )


def downgrade() -> None:
    op.drop_table("user_role")
    op.drop_table("sync_state")
    op.drop_table("sf_user")
    op.drop_table("opportunity_stage")
    with op.batch_alter_table("opportunity_history", schema=None) as batch_op:
        batch_op.drop_index("ix_opportunity_history_opp")

    op.drop_table("opportunity_history")
    with op.batch_alter_table("opportunity_field_history", schema=None) as batch_op:
        batch_op.drop_index("ix_opportunity_field_history_opp")

    op.drop_table("opportunity_field_history")
    with op.batch_alter_table("opportunity_competitor", schema=None) as batch_op:
        batch_op.drop_index("ix_opportunity_competitor_opp")

    op.drop_table("opportunity_competitor")
    with op.batch_alter_table("opportunity", schema=None) as batch_op:
        batch_op.drop_index("ix_opportunity_org_owner")
        batch_op.drop_index("ix_opportunity_org_modified")
        batch_op.drop_index("ix_opportunity_org_close_date")
        batch_op.drop_index("ix_opportunity_org_amount")

    op.drop_table("opportunity")
    op.drop_table("field_catalog")
    with op.batch_alter_table("derived_facts", schema=None) as batch_op:
        batch_op.drop_index("ix_derived_facts_stage_entered")

    op.drop_table("derived_facts")
    with op.batch_alter_table("activity", schema=None) as batch_op:
        batch_op.drop_index("ix_activity_what")

    op.drop_table("activity")
    op.drop_table("account")
    op.drop_table("org")
