"""The visibility model of DESIGN.md, in simplified Salesforce form (pure functions).

- admin (profile "System Administrator"): every opportunity of the org;
- manager (anyone whose role has roles below it that hold users): their own and those of every
  user in a role below theirs, at any depth of the role hierarchy;
- rep: their own opportunities.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum

ADMIN_PROFILE = "System Administrator"


class AccessLevel(Enum):
    REP = "rep"
    MANAGER = "manager"
    ADMIN = "admin"
    # An OAuth client acting as no Salesforce user: the whole org, as its scopes allow (never
    # admin: auth.principals.CLIENT_SCOPES).
    CLIENT = "client"


def roles_below(parents: Mapping[str, str | None], role_id: str | None) -> set[str]:
    """Every role under `role_id` (children, grandchildren, ...); cycles are tolerated."""
    if role_id is None:
        return set()
    children: dict[str, list[str]] = {}
    for child, parent in parents.items():
        if parent is not None:
            children.setdefault(parent, []).append(child)
    found: set[str] = set()
    pending = list(children.get(role_id, ()))
    while pending:
        role = pending.pop()
        if role in found or role == role_id:
            continue
        found.add(role)
        pending.extend(children.get(role, ()))
    return found


def access_level(profile_name: str | None, subordinate_user_ids: set[str]) -> AccessLevel:
    if profile_name == ADMIN_PROFILE:
        return AccessLevel.ADMIN
    if subordinate_user_ids:
        return AccessLevel.MANAGER
    return AccessLevel.REP
