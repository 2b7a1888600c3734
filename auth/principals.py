"""The principal of a request: a verified token resolved against the mirrored users."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo
from functools import cached_property

from sqlalchemy import Engine

from auth.credentials import Credentials
from auth.errors import AuthenticationError
from auth.scopes import ALL_SCOPES, Scope
from auth.visibility import AccessLevel, access_level, roles_below
from rules.time_zones import org_time_zone
from store import queries
from store.queries import Visibility


@dataclass(frozen=True)
class Principal:
    org_id: str
    user_id: str
    access: AccessLevel
    visibility: Visibility
    # The org's Organization.TimeZoneSidKey and DefaultCurrencyIsoCode as mirrored (None until
    # the org's first full sync pass mirrors them).
    time_zone: str | None = None
    currency: str | None = None
    # What the token lets it do (auth.scopes), never more than its profile allows.
    scopes: frozenset[str] = frozenset()

    @cached_property
    def zone(self) -> tzinfo:
        """The zone dates are counted in: the org's, UTC while its key is unknown."""
        return org_time_zone(self.time_zone)


def resolve_principal(engine: Engine, token: Credentials) -> Principal:
    """Look the token's user up in the mirror (blocking: run it in a thread from async code).
    Three statements: the user with its org's time zone and currency, the role tree, the users
    in the roles below.

    An unknown or inactive user, or a user of another org, is refused like a bad token
    (AuthenticationError). Its scopes are those the token asks for (all when it names none)
    that the user's profile allows (profile_scopes).
    """
    found = queries.user_in_org(engine, token.org_id, token.user_id)
    if found is None or not found.user.is_active:
        raise AuthenticationError("unknown or inactive user for this org")
    user = found.user
    below = roles_below(queries.role_parents(engine, token.org_id), user.user_role_id)
    subordinates = queries.user_ids_in_roles(engine, token.org_id, below) - {user.id}
    access = access_level(user.profile_name, subordinates)
    owners = None if access is AccessLevel.ADMIN else frozenset({user.id, *subordinates})
    allowed = profile_scopes(access)
    asked = allowed if token.scopes is None else frozenset(token.scopes)
    return Principal(
        org_id=token.org_id,
        user_id=user.id,
        access=access,
        visibility=Visibility(org_id=token.org_id, owner_ids=owners),
        time_zone=found.time_zone,
        currency=found.currency,
        scopes=asked & allowed,
    )


def profile_scopes(access: AccessLevel) -> frozenset[str]:
    """The most a user's token may carry: every scope, `admin` only for administrators."""
    everything = frozenset(scope.value for scope in ALL_SCOPES)
    return everything if access is AccessLevel.ADMIN else everything - {Scope.ADMIN.value}
