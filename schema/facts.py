"""The derived facts as GraphQL fields of `Opportunity`: one field per exposed fact of
rules.fact_registry, in its order, named, typed and described there, so a new fact needs no
edit here. Each field is blank until the opportunity's facts are first computed."""

from __future__ import annotations

import strawberry
from strawberry.types.field import StrawberryField

from resolvers import facts as resolve
from resolvers.context import RequestContext
from rules.fact_registry import EXPOSED_FACTS, Fact
from store import models

Info = strawberry.Info[RequestContext, None]


def _fact_field(fact: Fact) -> StrawberryField:
    async def resolve_fact(root: strawberry.Parent[models.Opportunity], info: Info) -> object:
        return await resolve.fact(info.context, root, fact)

    field = strawberry.field(
        resolver=resolve_fact,
        name=fact.graphql_name,
        graphql_type=fact.python_type | None,
        description=fact.description,
    )
    assert isinstance(field, StrawberryField)  # typed as the resolver's return value
    return field


def opportunity_fact_fields() -> dict[str, StrawberryField]:
    """The fact fields by Python attribute name (`Fact.key`), for the body of `Opportunity`."""
    return {fact.key: _fact_field(fact) for fact in EXPOSED_FACTS}
