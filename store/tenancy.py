"""Tenancy in one place: the org filter of every statement on an org's table.

Every table but `org` belongs to one org through its `org_id` column. Repository code never
writes that filter itself: it builds its statements from an `OrgScope` (as netbox's
`restrict()` builds its querysets), which is the one place that writes `org_id = :org`:

    scope = OrgScope(org_id)
    scope.select(SfUser).where(col(SfUser.id).in_(ids))        # rows of the org
    select(UserRole.id, UserRole.parent_role_id).where(scope.owns(UserRole))   # columns
    scope.update(Opportunity).where(...).values(...)            # and UPDATE / DELETE
    scope.get(session, SyncState, sobject)                      # by the rest of the key
    scope.stamp(rows)                                           # rows to insert

tests/store/test_tenancy.py calls every repository function with two orgs that share record
ids and checks that each answers only its own org's rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Delete, Table, Update, delete, update
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, SQLModel, select
from sqlmodel.sql.expression import SelectOfScalar

Row = TypeVar("Row", bound=SQLModel)


def table_of(model: type[SQLModel]) -> Table:
    table = model.__table__  # type: ignore[attr-defined]
    assert isinstance(table, Table)
    return table


@dataclass(frozen=True)
class OrgScope:
    """One org's rows."""

    org_id: str

    def owns(self, model: type[SQLModel]) -> ColumnElement[bool]:
        """The condition "this row of `model` belongs to the org" (for WHERE and ON)."""
        return table_of(model).c.org_id == self.org_id

    def select(self, model: type[Row]) -> SelectOfScalar[Row]:
        return select(model).where(self.owns(model))

    def update(self, model: type[SQLModel]) -> Update:
        return update(table_of(model)).where(self.owns(model))

    def delete(self, model: type[SQLModel]) -> Delete:
        return delete(table_of(model)).where(self.owns(model))

    def get(self, session: Session, model: type[Row], *key: str) -> Row | None:
        """The row whose primary key is (org_id, *key), or None."""
        return session.get(model, (self.org_id, *key))

    def stamp(self, rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """`rows` as this org's rows (their org_id set to it, whatever they said)."""
        return [{**row, "org_id": self.org_id} for row in rows]
