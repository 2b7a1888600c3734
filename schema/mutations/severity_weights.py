"""setSeverityWeights: admins change the health points an open alert takes off, by
severity. Answers `{severityWeights, errors}` (schema.errors); SeverityWeightError's code is
rules.severity_weights.SeverityWeightErrorCode itself."""

from __future__ import annotations

from typing import Annotated, cast

import strawberry

from auth.permissions import IsAdmin
from resolvers import severity_weights as write
from rules.severity_weights import MAX_SEVERITY_WEIGHT
from schema.enums import Severity, SeverityWeightErrorCode
from schema.errors import Error
from schema.permissions import ADMINISTERS, mutation
from schema.severity_weights import SeverityWeight
from schema.types import Info


@strawberry.type(description="Why a change of the severity weights saved nothing.")
class SeverityWeightError(Error):
    code: SeverityWeightErrorCode


@strawberry.type
class SetSeverityWeightsPayload:
    severity_weights: list[SeverityWeight] | None = strawberry.field(
        default=None, description="Every severity's weight as saved, LOW to CRITICAL."
    )
    errors: list[SeverityWeightError]


@strawberry.input(description="A severity's new weight.")
class SeverityWeightInput:
    severity: Severity
    weight: int = strawberry.field(description=f"Points, 0-{MAX_SEVERITY_WEIGHT}.")


WeightList = Annotated[
    list[SeverityWeightInput],
    strawberry.argument(description="Each severity at most once; those left out keep theirs."),
]


@strawberry.type
class SeverityWeightMutations:
    """The severity weight mutation, a part of the root Mutation type (schema.mutation)."""

    @mutation(
        "Change the org's severity weights (admins); every open opportunity's health is "
        "re-evaluated with them. A weight equal to the default follows the default.",
        IsAdmin(),
        ADMINISTERS,
    )
    async def set_severity_weights(
        self, info: Info, input: WeightList
    ) -> SetSeverityWeightsPayload:
        given = [(entry.severity, entry.weight) for entry in input]
        outcome = await write.set_severity_weights(info.context, given)
        return SetSeverityWeightsPayload(
            severity_weights=cast("list[SeverityWeight] | None", outcome.weights),
            errors=[
                SeverityWeightError(field=p.field, code=p.code, message=p.message)
                for p in outcome.problems
            ],
        )
