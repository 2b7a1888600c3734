"""The org's severity weights: the points an open or snoozed alert takes off health."""

from __future__ import annotations

from typing import cast

import strawberry

from auth.permissions import IsAuthenticated
from resolvers import severity_weights as resolve
from rules.process import DEFAULT_SEVERITY_WEIGHTS
from schema.enums import Severity
from schema.permissions import READS_PIPELINE, query
from schema.types import Info

DEFAULTS = ", ".join(f"{s.name} {points}" for s, points in DEFAULT_SEVERITY_WEIGHTS.items())


@strawberry.type(
    description="The health points an open or snoozed alert of a severity takes off "
    f"(defaults: {DEFAULTS})."
)
class SeverityWeight:
    severity: Severity
    weight: int = strawberry.field(description="Points, 0-100.")
    is_default: bool = strawberry.field(
        description="True when the weight is the documented default (the org has not "
        "changed it, or set it back)."
    )


@strawberry.type
class SeverityWeightQueries:
    """The severity weight query field, a part of the root Query type (schema.query)."""

    @query(
        "The org's severity weights, one per severity from LOW to CRITICAL: they lower "
        "every open opportunity's health (see Health.score).",
        IsAuthenticated(),
        READS_PIPELINE,
    )
    async def severity_weights(self, info: Info) -> list[SeverityWeight]:
        return cast("list[SeverityWeight]", await resolve.severity_weights(info.context))
