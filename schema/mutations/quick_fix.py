"""quickFix and quickFixMany: a rep corrects the fields its fix-alerts name, written to
Salesforce first (services.quick_fix says in which order, and how nothing is written twice or
over a newer change)."""

from __future__ import annotations

from datetime import datetime
from typing import cast

import strawberry
from strawberry.scalars import JSON

from auth.permissions import IsAuthenticated
from resolvers import quick_fix as resolve
from resolvers.quick_fix import FixInput
from rules.write_outcomes import RecordOutcome, WriteProblem
from schema.alerts import Alert
from schema.enums import AuditOutcome, QuickFixErrorCode
from schema.errors import Error
from schema.permissions import WRITES_OPPORTUNITIES, mutation
from schema.types import Info, Opportunity, described

SIGNED_IN = IsAuthenticated()


@strawberry.type(description="Why a field or a record was not written.")
class QuickFixError(Error):
    code: QuickFixErrorCode


def errors_at(prefix: str, problems: tuple[WriteProblem, ...]) -> list[QuickFixError]:
    """Each problem at its input path (`input.values.CloseDate`, `inputs.3.expectedLastModified`),
    the record's as a whole at `prefix` without its dot."""
    return [
        QuickFixError(
            field=f"{prefix}.{p.field}" if p.field else prefix, code=p.code, message=p.message
        )
        for p in problems
    ]


@strawberry.input(description="The fields to correct on one opportunity.")
class QuickFixInput:
    opportunity_id: strawberry.ID
    values: JSON = strawberry.field(
        description="Field API name -> new value: text as a string, money and numbers as a "
        "string (exact) or a number, dates as YYYY-MM-DD, date-times with an offset, "
        "checkboxes as true/false, null to clear."
    )
    expected_last_modified: datetime = strawberry.field(
        description="The opportunity's lastModifiedAt as the client read it: a record changed "
        "since is not written (CONFLICT)."
    )
    idempotency_key: str = strawberry.field(
        description="A key of the client's (a UUID, say), 1-100 of letters, digits and . _ : - "
        "A retry with the same key and input answers the first attempt's outcome and writes "
        "nothing; the same key with another input is IDEMPOTENCY_KEY_REUSED. Kept 24 hours."
    )

    def as_fix(self) -> FixInput:
        return FixInput(
            str(self.opportunity_id), self.values, self.expected_last_modified,
            self.idempotency_key,
        )  # fmt: skip


@strawberry.type(description="What a quick-fix did to one opportunity.")
class QuickFixResult:
    outcome_: strawberry.Private[RecordOutcome]
    errors: list[QuickFixError] = strawberry.field(
        description="Why it was not written (empty when it was), each at its field."
    )

    @strawberry.field
    def opportunity_id(self) -> strawberry.ID:
        return strawberry.ID(self.outcome_.opportunity_id)

    @described("Whether the values were written.")
    def ok(self) -> bool:
        return self.outcome_.ok

    @described("APPLIED, REFUSED (nothing written), CONFLICT (nothing written) or FAILED.")
    def outcome(self) -> AuditOutcome:
        return self.outcome_.kind

    @described(
        "On CONFLICT: the asked fields and LastModifiedDate as Salesforce holds them now "
        "(null when they could not be read)."
    )
    def current_values(self) -> JSON | None:
        return cast("JSON | None", self.outcome_.current_values)

    @described("True when this answers an earlier attempt with the same idempotency key.")
    def replayed(self) -> bool:
        return self.outcome_.replayed

    @described("The opportunity as it now stands, health and alerts re-evaluated.")
    async def opportunity(self, info: Info) -> Opportunity | None:
        return cast("Opportunity | None", await resolve.opportunity_of(info.context, self.outcome_))

    @described("The alerts the write resolved.")
    async def resolved_alerts(self, info: Info) -> list[Alert]:
        return cast("list[Alert]", await resolve.resolved_alerts(info.context, self.outcome_))


def result_of(prefix: str, outcome: RecordOutcome) -> QuickFixResult:
    return QuickFixResult(outcome_=outcome, errors=errors_at(prefix, outcome.problems))


@strawberry.type
class QuickFixPayload:
    errors: list[QuickFixError]
    outcome_: strawberry.Private[RecordOutcome | None] = None

    @described("The opportunity as it now stands, health and alerts re-evaluated.")
    async def opportunity(self, info: Info) -> Opportunity | None:
        if self.outcome_ is None:
            return None
        return cast("Opportunity | None", await resolve.opportunity_of(info.context, self.outcome_))

    @described("The alerts the write resolved.")
    async def resolved_alerts(self, info: Info) -> list[Alert]:
        if self.outcome_ is None:
            return []
        return cast("list[Alert]", await resolve.resolved_alerts(info.context, self.outcome_))

    @described("APPLIED, REFUSED, CONFLICT or FAILED; null when the call itself was refused.")
    def outcome(self) -> AuditOutcome | None:
        return None if self.outcome_ is None else self.outcome_.kind

    @described("On CONFLICT: the asked fields and LastModifiedDate as Salesforce holds them.")
    def current_values(self) -> JSON | None:
        return None if self.outcome_ is None else cast("JSON | None", self.outcome_.current_values)

    @described("True when this answers an earlier attempt with the same idempotency key.")
    def replayed(self) -> bool:
        return self.outcome_ is not None and self.outcome_.replayed

    @described(
        "The caller's own to-do items (opportunities with an open fix-alert) now; null for a "
        "client acting as no user."
    )
    async def remaining_todo_count(self, info: Info) -> int | None:
        if self.outcome_ is None:
            return None
        return await resolve.remaining_todo_count(info.context)


@strawberry.type
class QuickFixManyPayload:
    results: list[QuickFixResult] = strawberry.field(
        default_factory=list, description="One per input, in the inputs' order."
    )
    errors: list[QuickFixError] = strawberry.field(
        description="What refused the call as a whole (more than 200 inputs, say)."
    )

    @described(
        "The caller's own to-do items (opportunities with an open fix-alert) now; null for a "
        "client acting as no user."
    )
    async def remaining_todo_count(self, info: Info) -> int | None:
        if not self.results:
            return None
        return await resolve.remaining_todo_count(info.context)


@strawberry.type
class QuickFixMutations:
    @mutation(
        "Correct fields of an opportunity the caller may fix (its owner, a manager above the "
        "owner in the role hierarchy, an admin): checked against the describe, written to "
        "Salesforce only if the record did not change since `expectedLastModified`, then "
        "mirrored and evaluated at once. Nothing is written when any field is refused.",
        SIGNED_IN,
        WRITES_OPPORTUNITIES,
    )
    async def quick_fix(self, info: Info, input: QuickFixInput) -> QuickFixPayload:
        (outcome,) = await resolve.fix(info.context, [input.as_fix()])
        return QuickFixPayload(errors=errors_at("input", outcome.problems), outcome_=outcome)

    @mutation(
        "quickFix for up to 200 opportunities, each with its own outcome: written through "
        "Salesforce's Composite resource, 25 conditional updates a call (ceil(n/25) calls), "
        "then one call reads them all back.",
        SIGNED_IN,
        WRITES_OPPORTUNITIES,
    )
    async def quick_fix_many(self, info: Info, inputs: list[QuickFixInput]) -> QuickFixManyPayload:
        outcomes = await resolve.fix(info.context, [i.as_fix() for i in inputs])
        return QuickFixManyPayload(
            results=[result_of(f"inputs.{n}", o) for n, o in enumerate(outcomes)], errors=[]
        )
