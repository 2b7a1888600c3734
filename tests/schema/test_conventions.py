"""The conventions are checked when the schema is built: every root field declares its
permissions, and a mutation that does not follow the payload conventions is refused."""

from __future__ import annotations

from enum import Enum
from typing import Any

import pytest
import strawberry
from strawberry.permission import PermissionExtension

from auth.permissions import IsAdmin, IsAuthenticated
from schema.errors import Error
from schema.permissions import PayloadErrors, mutation
from schema.query import Query
from schema.schema import build_schema
from tests.api.conventions_schema import RequiresRulesScope


@pytest.mark.parametrize("root", ["Query", "Mutation"])
def test_every_root_field_of_the_api_declares_its_permissions(root: str) -> None:
    definition = build_schema().get_type_by_name(root)
    assert definition is not None
    for field in definition.fields:  # type: ignore[union-attr]
        extensions = [e for e in field.extensions if isinstance(e, PermissionExtension)]
        assert extensions, f"{root}.{field.name} declares no permission"
        # An admin mutation needs a principal too: IsAdmin asks for it.
        granted = {type(p) for e in extensions for p in e.permissions}
        assert granted & {IsAuthenticated, IsAdmin}, f"{root}.{field.name}"
        if root == "Mutation":  # refusals answered in the payload
            assert any(isinstance(e, PayloadErrors) for e in extensions), field.name


class GoodCode(Enum):
    FORBIDDEN = "forbidden"


class NoForbidden(Enum):
    INVALID = "invalid"


for codes in (GoodCode, NoForbidden):
    strawberry.enum(codes)


@strawberry.type
class GoodError(Error):
    code: GoodCode


@strawberry.type
class NoForbiddenError(Error):
    code: NoForbidden


@strawberry.type
class NotAnError:
    code: GoodCode
    message: str


@strawberry.type
class GoodPayload:
    done: bool | None = None
    errors: list[GoodError]


@strawberry.type
class WithoutDefault:
    done: bool
    errors: list[GoodError]


@strawberry.type
class NoForbiddenPayload:
    errors: list[NoForbiddenError]


@strawberry.type
class PlainErrorsPayload:
    errors: list[NotAnError]


def _schema_with(resolver: Any, *permissions: Any) -> strawberry.Schema:
    field = mutation("test", *permissions)(resolver)

    @strawberry.type
    class Mutation:
        probe = field

    return build_schema(query=Query, mutation=Mutation)


async def _good() -> GoodPayload:
    return GoodPayload(errors=[])


def test_a_conventional_mutation_builds() -> None:
    assert "probe: GoodPayload!" in _schema_with(_good, IsAdmin()).as_str()


async def _no_default() -> WithoutDefault:
    raise NotImplementedError


async def _no_forbidden() -> NoForbiddenPayload:
    raise NotImplementedError


async def _plain_errors() -> PlainErrorsPayload:
    raise NotImplementedError


async def _not_a_payload() -> GoodError:
    raise NotImplementedError


def _sync() -> GoodPayload:
    raise NotImplementedError


@pytest.mark.parametrize(
    ("resolver", "permissions", "reason"),
    [
        (_no_default, (), "every field but `errors` needs a default"),
        (_no_forbidden, (), "NoForbidden lacks ['FORBIDDEN']"),
        (_plain_errors, (), "NotAnError must implement the Error interface"),
        (_not_a_payload, (), "a mutation returns a payload type"),
        (_sync, (), "must be async"),
        (_good, (RequiresRulesScope(),), "GoodCode lacks ['INSUFFICIENT_SCOPE']"),
    ],
)
def test_an_unconventional_mutation_is_refused_at_build(
    resolver: Any, permissions: tuple[Any, ...], reason: str
) -> None:
    with pytest.raises(TypeError, match=reason.replace("[", r"\[").replace("]", r"\]")):
        _schema_with(resolver, *permissions)
