"""account.type: the Account Type picklist, which rules read as Account.Type

Accounts already mirrored have no Type yet, and an incremental sync brings only the accounts
that change: the Account watermark goes back to 2000-01-01, so the next pass fetches every
account again (deleted ones included) and fills it in.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from store.types import UtcDateTime

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SYNC_STATE = sa.table(
    "sync_state", sa.column("sobject", sa.String()), sa.column("watermark", UtcDateTime())
)
# An old watermark, not none: the next pass re-reads every account through the incremental
# path, whose queryAll also brings the accounts deleted meanwhile (a cleared watermark would
# take the first-load path, which reads live rows only and misses those deletions).
_REREAD_FROM = datetime(2000, 1, 1, tzinfo=UTC)


def upgrade() -> None:
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("type", sa.String(), nullable=True))
    op.execute(
        _SYNC_STATE.update()
        .where(_SYNC_STATE.c.sobject == "Account")
        .values(watermark=_REREAD_FROM)
    )


def downgrade() -> None:
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.drop_column("type")
