"""The sales process: milestones and their completions, alert rules and their versions, alerts
and their lifecycle events, stored health, per-org evaluation settings (store.process_models).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 07:25:55.052848
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from store.types import UtcDateTime

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "alert",
        sa.Column("org_id", sa.String(), nullable=False),
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("rule_id", sa.String(), nullable=False),
        sa.Column("rule_version", sa.Integer(), nullable=False),
        sa.Column("opportunity_id", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("message", sa.String(), nullable=False),
        sa.Column("matched_since", UtcDateTime(), nullable=False),
        sa.Column("opened_at", UtcDateTime(), nullable=True),
        sa.Column("snoozed_until", UtcDateTime(), nullable=True),
        sa.Column("snooze_reason", sa.String(), nullable=True),
        sa.Column("snoozed_by_id", sa.String(), nullable=True),
        sa.Column("dismissed_at", UtcDateTime(), nullable=True),
        sa.Column("dismiss_reason", sa.String(), nullable=True),
        sa.Column("dismissed_by_id", sa.String(), nullable=True),
        sa.Column("resolved_at", UtcDateTime(), nullable=True),
        sa.Column("resolution", sa.String(), nullable=True),
        sa.Column("updated_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["org.id"],
        ),
        sa.PrimaryKeyConstraint("org_id", "id"),
    )
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.create_index("ix_alert_org_opp", ["org_id", "opportunity_id"], unique=False)
        batch_op.create_index("ix_alert_org_rule", ["org_id", "rule_id"], unique=False)
        batch_op.create_index("ix_alert_org_status", ["org_id", "status"], unique=False)
        batch_op.create_index(
            "uq_alert_live",
            ["org_id", "rule_id", "opportunity_id"],
            unique=True,
            sqlite_where=sa.text("status != 'RESOLVED'"),
            postgresql_where=sa.text("status != 'RESOLVED'"),
        )

    op.create_table(
        "alert_event",
        sa.Column("org_id", sa.String(), nullable=False),
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("alert_id", sa.String(), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("detail", sa.String(), nullable=True),
        sa.Column("by_id", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["org.id"],
        ),
        sa.PrimaryKeyConstraint("org_id", "id"),
    )
    with op.batch_alter_table("alert_event", schema=None) as batch_op:
        batch_op.create_index("ix_alert_event_alert", ["org_id", "alert_id"], unique=False)

    op.create_table(
        "alert_rule",
        sa.Column("org_id", sa.String(), nullable=False),
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("severity", sa.String(), nullable=False),
        sa.Column("condition", sa.String(), nullable=False),
        sa.Column("message", sa.String(), nullable=False),
        sa.Column("recommendation", sa.String(), nullable=True),
        sa.Column("fix_fields", sa.JSON(), nullable=False),
        sa.Column("hold_seconds", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("origin", sa.String(), nullable=False),
        sa.Column("author_id", sa.String(), nullable=True),
        sa.Column("source_id", sa.String(), nullable=True),
        sa.Column("source_digest", sa.String(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=True),
        sa.Column("updated_at", UtcDateTime(), nullable=True),
        sa.Column("retired_at", UtcDateTime(), nullable=True),
        sa.Column("last_evaluated_at", UtcDateTime(), nullable=True),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.Column("error_count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["org.id"],
        ),
        sa.PrimaryKeyConstraint("org_id", "id"),
        sa.UniqueConstraint("org_id", "source_id", name="uq_alert_rule_source"),
    )
    op.create_table(
        "alert_rule_version",
        sa.Column("org_id", sa.String(), nullable=False),
        sa.Column("rule_id", sa.String(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("severity", sa.String(), nullable=False),
        sa.Column("condition", sa.String(), nullable=False),
        sa.Column("message", sa.String(), nullable=False),
        sa.Column("recommendation", sa.String(), nullable=True),
        sa.Column("fix_fields", sa.JSON(), nullable=False),
        sa.Column("hold_seconds", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.String(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["org.id"],
        ),
        sa.PrimaryKeyConstraint("org_id", "rule_id", "version"),
    )
    op.create_table(
        "evaluation_settings",
        sa.Column("org_id", sa.String(), nullable=False),
        sa.Column("severity_weights", sa.JSON(), nullable=False),
        sa.Column("last_evaluated_at", UtcDateTime(), nullable=True),
        sa.Column("last_local_date", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["org.id"],
        ),
        sa.PrimaryKeyConstraint("org_id"),
    )
    op.create_table(
        "milestone",
        sa.Column("org_id", sa.String(), nullable=False),
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("description", sa.String(), nullable=True),
        sa.Column("stage_name", sa.String(), nullable=True),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("completion", sa.String(), nullable=False),
        sa.Column("formula", sa.String(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=True),
        sa.Column("updated_at", UtcDateTime(), nullable=True),
        sa.Column("retired_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["org.id"],
        ),
        sa.PrimaryKeyConstraint("org_id", "id"),
    )
    op.create_table(
        "milestone_completion",
        sa.Column("org_id", sa.String(), nullable=False),
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("milestone_id", sa.String(), nullable=False),
        sa.Column("opportunity_id", sa.String(), nullable=False),
        sa.Column("how", sa.String(), nullable=False),
        sa.Column("completed_at", UtcDateTime(), nullable=False),
        sa.Column("completed_by_id", sa.String(), nullable=True),
        sa.Column("note", sa.String(), nullable=True),
        sa.Column("uncompleted_at", UtcDateTime(), nullable=True),
        sa.Column("uncompleted_by_id", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["org.id"],
        ),
        sa.PrimaryKeyConstraint("org_id", "id"),
    )
    with op.batch_alter_table("milestone_completion", schema=None) as batch_op:
        batch_op.create_index(
            "ix_milestone_completion_milestone", ["org_id", "milestone_id"], unique=False
        )
        batch_op.create_index(
            "ix_milestone_completion_opp", ["org_id", "opportunity_id"], unique=False
        )

    op.create_table(
        "opportunity_health",
        sa.Column("org_id", sa.String(), nullable=False),
        sa.Column("opportunity_id", sa.String(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("penalty", sa.Integer(), nullable=False),
        sa.Column("breakdown", sa.JSON(), nullable=False),
        sa.Column("computed_at", UtcDateTime(), nullable=False),
        sa.Column("closed_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["org.id"],
        ),
        sa.PrimaryKeyConstraint("org_id", "opportunity_id"),
    )


def downgrade() -> None:
    op.drop_table("opportunity_health")
    with op.batch_alter_table("milestone_completion", schema=None) as batch_op:
        batch_op.drop_index("ix_milestone_completion_opp")
        batch_op.drop_index("ix_milestone_completion_milestone")

    op.drop_table("milestone_completion")
    op.drop_table("milestone")
    op.drop_table("evaluation_settings")
    op.drop_table("alert_rule_version")
    op.drop_table("alert_rule")
    with op.batch_alter_table("alert_event", schema=None) as batch_op:
        batch_op.drop_index("ix_alert_event_alert")

    op.drop_table("alert_event")
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_alert_live",
            sqlite_where=sa.text("status != 'RESOLVED'"),
            postgresql_where=sa.text("status != 'RESOLVED'"),
        )
        batch_op.drop_index("ix_alert_org_status")
        batch_op.drop_index("ix_alert_org_rule")
        batch_op.drop_index("ix_alert_org_opp")

    op.drop_table("alert")
