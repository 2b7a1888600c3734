"""Root composition: the schema, its protective extensions, and the SDL export."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    DisableIntrospection,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from auth.errors import AuthenticationError
from resolvers.context import RequestContext
from resolvers.errors import ClientError
from schema.mutation import Mutation
from schema.query import Query
from schema.query_cost import CostRules, QueryCostLimit
from schema.scalars import SCALAR_MAP
from schema.subscription import Subscription
from schema.text_guard import RefuseUnstorableText

SDL_PATH = Path(__file__).with_name("schema.graphql")
MASKED_MESSAGE = "Unexpected error."
logger = logging.getLogger("dealpulse.graphql")


@dataclass(frozen=True)
class SchemaLimits:
    max_depth: int = 10
    max_aliases: int = 30
    max_tokens: int = 2000
    max_cost: int = 100_000  # schema.query_cost
    default_page_size: int = 50
    max_page_size: int = 200
    introspection: bool = True  # off: `__schema` and `__type` fail validation


def is_expected(error: GraphQLError) -> bool:
    """Errors meant for the client: GraphQL's own (syntax, validation, limits, variables) and
    our typed errors. Anything else that escaped a resolver is a bug.

    graphql-core wraps some of its own errors (a variable that a scalar refuses to coerce,
    such as a JSON `NaN` for a Float) around another GraphQLError: those are the client's too.
    """
    original = error.original_error
    expected = ClientError | AuthenticationError | GraphQLError
    return original is None or isinstance(original, expected)


class MaskUnexpectedErrors(MaskErrors):
    """Masks bugs to "Unexpected error." with the request id, and logs them with the trace."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=lambda error: not is_expected(error))

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        context = self.execution_context.context
        request_id = context.request_id if isinstance(context, RequestContext) else None
        logger.error(
            "unexpected error in %s (request %s)",
            ".".join(map(str, error.path or [])) or "operation",
            request_id,
            exc_info=error.original_error,
        )
        masked = super().anonymise_error(error)
        masked.extensions = {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id}
        return masked


class Schema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Client errors are not logged (they are the client's); bugs are logged with their
        trace and request id by MaskUnexpectedErrors."""


def build_schema(
    limits: SchemaLimits | None = None, *, query: type = Query, mutation: type | None = Mutation
) -> strawberry.Schema:
    """The API's schema with its protective extensions. `query` and `mutation` are the root
    types (tests serve mutations that exist only in tests through the real app)."""
    limits = limits or SchemaLimits()
    extensions: list[type[SchemaExtension] | Callable[[], SchemaExtension]] = [
        lambda: QueryDepthLimiter(max_depth=limits.max_depth),
        lambda: MaxAliasesLimiter(max_alias_count=limits.max_aliases),
        lambda: MaxTokensLimiter(max_token_count=limits.max_tokens),
        lambda: QueryCostLimit(
            CostRules(limits.max_cost, limits.default_page_size, limits.max_page_size)
        ),
        RefuseUnstorableText,
        MaskUnexpectedErrors,
    ]
    if not limits.introspection:
        extensions.append(DisableIntrospection)
    return Schema(
        query=query,
        mutation=mutation,
        subscription=Subscription,
        extensions=extensions,
        config=StrawberryConfig(scalar_map=SCALAR_MAP),
    )


def export_sdl() -> str:
    """The schema in SDL, as committed in schema/schema.graphql."""
    return build_schema().as_str() + "\n"
