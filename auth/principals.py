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


class NoUser(AuthenticationError):
    """A client that acts as no Salesforce user asked for what only a user can do. Its
    scopes (never `admin`: CLIENT_SCOPES) keep it from every such mutation, so this is a
    guard."""


@dataclass(frozen=True)
class Principal:
    org_id: str
    user_id: str | None  # None: an OAuth client acting as no user (access CLIENT)
    access: AccessLevel
    visibility: Visibility
    # The org's Organization.TimeZoneSidKey and DefaultCurrencyIsoCode as mirrored (None until
    # the org's first full sync pass mirrors them).
    time_zone: str | None = None
    currency: str | None = None
    # What the token lets it do (auth.scopes), never more than its profile allows.
    scopes: frozenset[str] = frozenset()
    # The OAuth client the token was issued to; None for a development token.
    client_id: str | None = None

    @property
    def acting_user_id(self) -> str:
        """The Salesforce user the principal acts as (whose to-do list by default, who
        administers); NoUser for a client that acts as none."""
        if self.user_id is None:
            raise NoUser("a client acting as no Salesforce user cannot do this")
        return self.user_id

    @property
    def actor_id(self) -> str:
        """Who the store records as having acted (audit entries, idempotency keys, who
        snoozed, dismissed or completed): the user, or the client's id (`dp_...`) for a
        client acting as no user."""
        actor = self.user_id or self.client_id
        if actor is None:
            raise NoUser("a principal acting as no user must be a client")
        return actor

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
    that the user's profile allows (profile_scopes). A client acting as no user is a CLIENT
    principal (client_principal).
    """
    if token.user_id is None:
        return client_principal(engine, token)
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
        client_id=token.client_id,
    )


# What a client acting as no user may be granted: reading, and the writes of a rep (they go
# through the org's integration connection, the audit naming the client). Not `admin`: rules,
# milestones and clients are changed by an administrator, a person the audit can name.
CLIENT_SCOPES = frozenset(scope.value for scope in ALL_SCOPES) - {Scope.ADMIN.value}


def client_principal(engine: Engine, token: Credentials) -> Principal:
    """The principal of an OAuth client acting as no user: the whole org, with its token's
    scopes but `admin` (CLIENT_SCOPES). One statement (the org's time zone and currency)."""
    time_zone, currency = queries.org_settings(engine, token.org_id)
    asked = CLIENT_SCOPES if token.scopes is None else frozenset(token.scopes)
    return Principal(
        org_id=token.org_id,
        user_id=None,
        access=AccessLevel.CLIENT,
        visibility=Visibility(org_id=token.org_id, owner_ids=None),
        time_zone=time_zone,
        currency=currency,
        scopes=asked & CLIENT_SCOPES,
        client_id=token.client_id,
    )


def profile_scopes(access: AccessLevel) -> frozenset[str]:
    """The most a user's token may carry: every scope, `admin` only for administrators."""
    everything = frozenset(scope.value for scope in ALL_SCOPES)
    return everything if access is AccessLevel.ADMIN else everything - {Scope.ADMIN.value}
