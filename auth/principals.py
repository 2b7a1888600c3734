"""The principal of a request: a verified token resolved against the mirrored users."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from auth.dev_tokens import DevPrincipal
from auth.errors import AuthenticationError
from auth.visibility import AccessLevel, access_level, roles_below
from store import queries
from store.queries import Visibility


@dataclass(frozen=True)
class Principal:
    org_id: str
    user_id: str
    access: AccessLevel
    visibility: Visibility


def resolve_principal(engine: Engine, token: DevPrincipal) -> Principal:
    """Look the token's user up in the mirror (blocking: run it in a thread from async code).

    An unknown or inactive user, or a user of another org, is refused like a bad token
    (AuthenticationError).
    """
    users = queries.users_by_ids(engine, token.org_id, [token.user_id])
    user = users.get(token.user_id)
    if user is None or not user.is_active:
        raise AuthenticationError("unknown or inactive user for this org")
    below = roles_below(queries.role_parents(engine, token.org_id), user.user_role_id)
    subordinates = queries.user_ids_in_roles(engine, token.org_id, below) - {user.id}
    access = access_level(user.profile_name, subordinates)
    owners = None if access is AccessLevel.ADMIN else frozenset({user.id, *subordinates})
    return Principal(
        org_id=token.org_id,
        user_id=user.id,
        access=access,
        visibility=Visibility(org_id=token.org_id, owner_ids=owners),
    )
