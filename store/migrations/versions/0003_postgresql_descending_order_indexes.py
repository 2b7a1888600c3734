"""PostgreSQL only: indexes for the descending listing orders (NULLS LAST)

`store.queries._order_by` sorts `<column> DESC NULLS LAST, id DESC`. On PostgreSQL a backward
scan of the ascending `(org_id, <column>)` indexes gives NULLS FIRST, so these orders (the
default one among them) sorted the whole org. SQLite rejects NULLS LAST in an index and needs
none: NULLs sort low there, so its backward scans already put them last.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 14:10:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# index name → sorted column
_DESCENDING = {
    "ix_opportunity_org_close_date_desc": "close_date",
    "ix_opportunity_org_amount_desc": "amount",
    "ix_opportunity_org_modified_desc": "last_modified_date",
}


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    if not _postgresql():
        return
    for name, column in _DESCENDING.items():
        op.create_index(
            name,
            "opportunity",
            ["org_id", sa.column(column).desc().nulls_last(), sa.column("id").desc()],
        )


def downgrade() -> None:
    if not _postgresql():
        return
    for name in _DESCENDING:
        op.drop_index(name, table_name="opportunity")
