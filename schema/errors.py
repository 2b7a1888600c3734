"""The error conventions of mutations (DESIGN.md "Mutations"), as building blocks.

A mutation module (one per mutation once there are many, as Saleor does) declares:

    class RenameDealErrorCode(Enum):             # one enum per mutation; FORBIDDEN always
        FORBIDDEN = "forbidden"
        INVALID_ID = "invalid_id"                # named like a ClientError's code: see below
        NAME_REQUIRED = "name_required"
    strawberry.enum(RenameDealErrorCode)

    @strawberry.type
    class RenameDealError(Error):                # or FormulaErrorBase, for line and column
        code: RenameDealErrorCode

    @strawberry.type
    class RenameDealPayload:
        deal: Opportunity | None = None          # the object: every field but errors has a default
        errors: list[RenameDealError]

and the field, with schema.permissions.mutation:

    @mutation("Rename a deal.", IsAdmin())
    async def rename_deal(self, info: Info, id: strawberry.ID, name: str) -> RenameDealPayload:
        ...  # return RenameDealPayload(errors=[RenameDealError(code=..., field="name", ...)])

The payload answers, as errors of its own type instead of top-level errors: a refused
permission (code FORBIDDEN, or the permission's own code such as INSUFFICIENT_SCOPE), a
PermissionRefused the resolver raises, and a resolvers.errors.ClientError the resolver raises
whose code is a member of the mutation's enum (with its `field`). Authentication failures and
bugs stay top-level errors. `PayloadShape` checks all this when the schema is built.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection
from enum import Enum
from typing import Any, TypedDict, cast

import strawberry
from strawberry.types.base import StrawberryList, get_object_definition
from strawberry.types.enum import StrawberryEnumDefinition

from rules.formula import FormulaError


@strawberry.interface(description="A problem that made a mutation do nothing.")
class Error:
    field: str | None = strawberry.field(
        default=None,
        description="The input at fault (an argument, or its path such as `input.name`); "
        "null when the request as a whole is refused.",
    )
    message: str = strawberry.field(description="What is wrong, for a person to read.")


@strawberry.type
class FormulaErrorBase(Error):
    """Base of the errors of mutations that take a formula: where in it the problem is."""

    line: int | None = strawberry.field(
        default=None, description="1-based line in the formula; null when it has no position."
    )
    column: int | None = strawberry.field(
        default=None, description="1-based column in the formula; null when it has no position."
    )


class FormulaProblem(TypedDict):
    message: str
    line: int | None
    column: int | None


def formula_problem(error: FormulaError) -> FormulaProblem:
    """The message and position of a FormulaError, for a FormulaErrorBase:
    `CheckError(code=..., field="formula", **formula_problem(error))`."""
    return {"message": error.message, "line": error.line or None, "column": error.column or None}


@dataclasses.dataclass(frozen=True)
class PayloadShape:
    """A mutation's payload type, its error type and its code enum, checked against the
    conventions above (TypeError, when the schema is built, if they do not hold)."""

    payload: type
    error: type
    codes: type[Enum]

    @classmethod
    def of(cls, payload: Any, *, required_codes: Collection[str]) -> PayloadShape:
        definition = get_object_definition(payload)
        fields = {f.python_name: f for f in definition.fields} if definition else {}
        errors = fields.get("errors")
        if definition is None or errors is None or not isinstance(errors.type, StrawberryList):
            raise TypeError(f"{payload!r}: a mutation returns a payload type with `errors: [...]`")
        error = errors.type.of_type
        if not isinstance(error, type):
            raise TypeError(f"{definition.name}.errors: a list of one <X>Error type")
        error_definition = get_object_definition(error, strict=True)
        if Error not in {interface.origin for interface in error_definition.interfaces}:
            raise TypeError(f"{error_definition.name} must implement the Error interface")
        code = next((f for f in error_definition.fields if f.python_name == "code"), None)
        if code is None or not isinstance(code.type, StrawberryEnumDefinition):
            raise TypeError(f"{error_definition.name} needs `code: <its mutation's ErrorCode>`")
        codes = cast("type[Enum]", code.type.wrapped_cls)
        missing = set(required_codes) - set(codes.__members__)
        if missing:
            raise TypeError(f"{codes.__name__} lacks {sorted(missing)}")
        shape = cls(payload, error, codes)
        try:
            shape.answer(next(iter(codes.__members__)), "")
        except TypeError as error_in_init:
            raise TypeError(
                f"{definition.name}: every field but `errors` needs a default ({error_in_init})"
            ) from None
        return shape

    def answer(self, code: str, message: str, field: str | None = None) -> Any | None:
        """The payload carrying one error of `code`, or None when the enum has no such code."""
        member = self.codes.__members__.get(code)
        if member is None:
            return None
        return self.payload(errors=[self.error(code=member, message=message, field=field)])
