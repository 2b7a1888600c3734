"""Permission classes: who may call a field or mutation, declared on it (DESIGN.md
"Permissions are declared"), never checked ad hoc inside resolvers.

- `IsAuthenticated`: the request has a principal (a verified token whose user is active in its
  org). Refused with the request's AuthenticationError: a top-level UNAUTHENTICATED error, on
  queries and mutations alike.
- `IsAdmin`: the principal administers the org (the System Administrator profile; admin
  fields and mutations also declare `HasScope(admin)` after it). Refused with
  `PermissionRefused` (`extensions.code` FORBIDDEN): a top-level error on a query, a payload
  error `code: FORBIDDEN` on a mutation (see schema.mutations).

- `HasScope(scope)`: the principal's token carries the scope (auth.scopes; a user's token never
  carries more than its profile allows). Refused with `PermissionRefused` whose
  `extensions.code` is INSUFFICIENT_SCOPE and `extensions.scope` names the scope: a top-level
  error on a query, a payload error `code: INSUFFICIENT_SCOPE` on a mutation. Every root field
  declares one (a test says so), but `me`.

Which records a principal may act on (a rep its own opportunities, a manager those below it in
the role hierarchy, an admin the whole org) is auth.visibility's: the repositories apply it to
every read.
"""

from __future__ import annotations

from typing import Any, Protocol

from strawberry.exceptions import StrawberryGraphQLError
from strawberry.permission import BasePermission
from strawberry.types import Info

from auth.principals import Principal
from auth.scopes import Scope
from auth.visibility import AccessLevel

FORBIDDEN = "FORBIDDEN"
INSUFFICIENT_SCOPE = "INSUFFICIENT_SCOPE"


class PrincipalContext(Protocol):
    """What a permission needs of the request context (resolvers.context.RequestContext)."""

    async def principal(self) -> Principal:
        """The request's principal; raises AuthenticationError when it has none."""
        ...


class PermissionRefused(StrawberryGraphQLError):
    """The principal is known but may not do this. `extensions.code` says why (FORBIDDEN, later
    INSUFFICIENT_SCOPE); the message is safe to show the client. Resolvers raise it too, for a
    refusal that depends on the record (a mutation answers it in its payload)."""

    def __init__(self, message: str, *, code: str = FORBIDDEN, **extensions: Any) -> None:
        super().__init__(message, extensions={"code": code, **extensions})

    @property
    def code(self) -> str:
        return str((self.extensions or {}).get("code", FORBIDDEN))


async def _principal(info: Info[Any, Any]) -> Principal:
    context: PrincipalContext = info.context
    return await context.principal()


class IsAuthenticated(BasePermission):
    """The request has a principal. The check raises the request's AuthenticationError (its
    message says whether the token or the user is at fault) rather than answering False."""

    async def has_permission(self, source: Any, info: Info[Any, Any], **kwargs: Any) -> bool:
        await _principal(info)
        return True


class IsAdmin(BasePermission):
    """The principal administers the org (System Administrator profile)."""

    message = "only an administrator of the org (System Administrator profile) may do this"
    error_class = PermissionRefused  # its extensions carry code FORBIDDEN

    async def has_permission(self, source: Any, info: Info[Any, Any], **kwargs: Any) -> bool:
        return (await _principal(info)).access is AccessLevel.ADMIN


class HasScope(BasePermission):
    """The principal's token carries `scope`."""

    error_class = PermissionRefused

    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.refused = f"this needs the scope {scope.value!r}, which the token does not carry"
        self.message = self.refused
        self.error_extensions = {"code": INSUFFICIENT_SCOPE, "scope": scope.value}

    async def has_permission(self, source: Any, info: Info[Any, Any], **kwargs: Any) -> bool:
        return self.scope.value in (await _principal(info)).scopes

    def refusal(self) -> PermissionRefused:
        """The error this permission raises, for a resolver whose need of the scope depends on
        its input (checkIn's field updates need opportunities:write)."""
        return PermissionRefused(self.refused, code=INSUFFICIENT_SCOPE, scope=self.scope.value)
