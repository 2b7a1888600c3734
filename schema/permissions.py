"""Declaring who may call a root field: `@query(...)` and `@mutation(...)` with permission
classes from auth.permissions.

On a query a refused permission is a top-level error (`extensions.code` FORBIDDEN, or the
permission's code and extensions); on a mutation it is an error in the payload (see
schema.errors). The permissions are not printed in the SDL (no schema directives): the README
says who may call what.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import strawberry
from strawberry.extensions.field_extension import AsyncExtensionResolver
from strawberry.permission import BasePermission, PermissionExtension
from strawberry.types import Info
from strawberry.types.field import StrawberryField

from auth.permissions import FORBIDDEN, HasScope, PermissionRefused
from auth.scopes import Scope
from resolvers.errors import ClientError
from schema.errors import PayloadShape

Decorator = Callable[[Callable[..., Any]], StrawberryField]

# The scopes root fields declare (issue 10): after IsAuthenticated / IsAdmin, so a rep asking
# for an admin mutation is FORBIDDEN whatever its token carries.
READS_PIPELINE = HasScope(Scope.PIPELINE_READ)
READS_ALERTS = HasScope(Scope.ALERTS_READ)
WRITES_ALERTS = HasScope(Scope.ALERTS_WRITE)
WRITES_OPPORTUNITIES = HasScope(Scope.OPPORTUNITIES_WRITE)
ADMINISTERS = HasScope(Scope.ADMIN)


def query(description: str, *permissions: BasePermission) -> Decorator:
    """A root query field that runs only when every permission grants it."""
    extension = PermissionExtension(permissions=list(permissions), use_directives=False)
    return lambda resolver: strawberry.field(
        resolver, description=description, extensions=[extension]
    )


def mutation(description: str, *permissions: BasePermission) -> Decorator:
    """A mutation (async, returning its <X>Payload) that runs only when every permission
    grants it, and answers refusals and client errors in its payload."""
    extension = PayloadErrors(list(permissions))
    return lambda resolver: strawberry.mutation(
        resolver, description=description, extensions=[extension]
    )


class PayloadErrors(PermissionExtension):
    """A mutation's permissions, with its refusals answered as payload errors: a refused
    permission, a PermissionRefused or a ClientError (whose code the mutation's enum has)
    raised by the resolver. Anything else (AuthenticationError, bugs) stays a top-level
    error."""

    def __init__(self, permissions: list[BasePermission]) -> None:
        super().__init__(permissions=permissions, use_directives=False)
        self._shape: PayloadShape | None = None

    def apply(self, field: StrawberryField) -> None:
        super().apply(field)
        if not field.is_async:
            raise TypeError(f"mutation {field.python_name}: its resolver must be async")
        refusals = {FORBIDDEN} | {
            str(p.error_extensions["code"])
            for p in self.permissions
            if p.error_extensions and "code" in p.error_extensions
        }
        self._shape = PayloadShape.of(field.type, required_codes=refusals)

    async def resolve_async(
        self, next_: AsyncExtensionResolver, source: Any, info: Info, **kwargs: Any
    ) -> Any:
        assert self._shape is not None  # apply() ran when the schema was built
        try:
            return await super().resolve_async(next_, source, info, **kwargs)
        except PermissionRefused as refused:
            answer = self._shape.answer(refused.code, refused.message)
            if answer is None:
                raise
            return answer
        except ClientError as error:
            answer = self._shape.answer(error.code, str(error), error.field)
            if answer is None:
                raise
            return answer
