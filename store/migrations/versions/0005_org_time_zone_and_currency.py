"""the org's time zone and currency: the mirrored Organization record

One row per org (`organization`), written by the org's next full sync pass: TimeZoneSidKey
(date conditions and facts count days in it) and DefaultCurrencyIsoCode (shown in `me`).
Orgs connected before this revision have no row until that pass; readers treat a missing row
as "not known yet" (UTC, no currency).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import store.types

revision: str = "0005"
# Rechained onto 0004 (exact money) at merge time; 0003 until then.
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "organization",
        sa.Column("org_id", sa.String(), nullable=False),
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=True),
        sa.Column("time_zone_sid_key", sa.String(), nullable=True),
        sa.Column("default_currency_iso_code", sa.String(), nullable=True),
        sa.Column("system_modstamp", store.types.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["org_id"], ["org.id"]),
        sa.PrimaryKeyConstraint("org_id"),
    )


def downgrade() -> None:
    op.drop_table("organization")
