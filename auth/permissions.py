"""Permission classes: who may call a field or mutation, declared on it (DESIGN.md
"Permissions are declared"), never checked ad hoc inside resolvers.

- `IsAuthenticated`: the request has a principal (a verified token whose user is active in its
  org). Refused with the request's AuthenticationError: a top-level UNAUTHENTICATED error, on
  queries and mutations alike.
- `IsAdmin`: the principal administers the org (the System Administrator profile; later also
  the `admin` OAuth scope). Refused with `PermissionRefused` (`extensions.code` FORBIDDEN): a
  top-level error on a query, a payload error `code: FORBIDDEN` on a mutation (see
  schema.mutations).

There is no scope permission yet: there are no scopes before OAuth. When they come, a
`HasScope(scope)` refuses with INSUFFICIENT_SCOPE and `extensions.scope`, and mutations answer
it as their `INSUFFICIENT_SCOPE` code, through the same PermissionRefused.

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
from auth.visibility import AccessLevel

FORBIDDEN = "FORBIDDEN"


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
