"""How the mirror reaches the related fields formulas read (rules.catalog's RELATED_FIELDS):
the joins from an opportunity to its account, owner and the owner's role, and each related
field's column. A related field's column is its name in snake_case on the record's mirrored
table (`Account.Industry` -> account.industry, `Owner.Profile.Name` -> sf_user.profile_name:
the profile is mirrored on the user).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, false, inspect
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import SQLModel, col

from rules.catalog import RELATED_FIELDS, split_related
from rules.names import snake_case
from store.models import Account, Opportunity, SfUser, UserRole

# Each relationship joined to reach a related field: its mirrored table and the join, in
# join order; each join matches the opportunity's org, which the OrgScope filters. (Owner.Profile
# is no join: the profile's name is mirrored on the user.)
JOINS: dict[str, tuple[type[SQLModel], ColumnElement[bool]]] = {
    "Account": (Account, and_(
        col(Account.org_id) == col(Opportunity.org_id),
        col(Account.id) == col(Opportunity.account_id),
        col(Account.is_deleted) == false(),
    )),
    "Owner": (SfUser, and_(
        col(SfUser.org_id) == col(Opportunity.org_id),
        col(SfUser.id) == col(Opportunity.owner_id),
    )),
    "Owner.UserRole": (UserRole, and_(
        col(UserRole.org_id) == col(SfUser.org_id),
        col(UserRole.id) == col(SfUser.user_role_id),
    )),
}  # fmt: skip


def related_column(name: str) -> Any:
    """The mirror column of a related field: the longest joined relationship it starts with,
    then the rest of its name in snake_case on that table."""
    relationship, field = split_related(name)
    while relationship not in JOINS:
        relationship, _, parent = relationship.rpartition(".")
        field = f"{parent}.{field}"
        if not relationship:
            raise LookupError(f"{name}: no mirrored relationship reaches it")
    model = JOINS[relationship][0]
    return inspect(model).columns[snake_case(field)]


RELATED_COLUMNS: dict[str, Any] = {name: related_column(name) for name in RELATED_FIELDS}
