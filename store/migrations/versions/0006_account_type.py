"""account.type: the Account Type picklist, which rules read as Account.Type

Accounts already mirrored have no Type yet, and an incremental sync brings only the accounts
that change: the Account watermark is cleared, so the next pass fetches every account again
(one full query of the object) and fills it in.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SYNC_STATE = sa.table(
    "sync_state", sa.column("sobject", sa.String()), sa.column("watermark", sa.DateTime())
)


def upgrade() -> None:
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("type", sa.String(), nullable=True))
    op.execute(
        _SYNC_STATE.update().where(_SYNC_STATE.c.sobject == "Account").values(watermark=None)
    )


def downgrade() -> None:
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.drop_column("type")
