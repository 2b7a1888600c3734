"""checkIn: a rep notes what happened on a deal (a completed Task in Salesforce, in the mirror
at once), optionally with a new next step and next meeting date (services.check_in)."""

from __future__ import annotations

from datetime import date, datetime
from typing import cast

import strawberry

from auth.permissions import IsAuthenticated
from resolvers import quick_fix as resolve
from resolvers.quick_fix import CheckInInput as CheckInData
from rules.write_outcomes import RecordOutcome
from schema.alerts import Alert
from schema.enums import AuditOutcome
from schema.mutations.quick_fix import QuickFixError, errors_at
from schema.permissions import WRITES_ALERTS, mutation
from schema.types import Info, Opportunity, described

SIGNED_IN = IsAuthenticated()


@strawberry.input(description="A check-in on one opportunity.")
class CheckInInput:
    opportunity_id: strawberry.ID
    note: str = strawberry.field(
        description="What happened (at most 32,000 characters): the Task's Description; its "
        "first line makes the Subject, after 'Check-in: '."
    )
    next_step: str | None = strawberry.field(
        default=None, description="A new NextStep for the opportunity (a quick-fix)."
    )
    next_meeting_date: date | None = strawberry.field(
        default=None,
        description="A new next meeting date (the Next_Meeting_Date__c field; a quick-fix).",
    )
    idempotency_key: str = strawberry.field(
        description="As quickFix's: a retry with the same key writes nothing again."
    )
    expected_last_modified: datetime | None = strawberry.field(
        default=None,
        description="For the field updates: the lastModifiedAt the client read (default: the "
        "one dealpulse's mirror holds).",
    )


@strawberry.type
class CheckInPayload:
    errors: list[QuickFixError]
    outcome_: strawberry.Private[RecordOutcome | None] = None

    @described("The Salesforce id of the Task the check-in created; null when none was.")
    def task_id(self) -> strawberry.ID | None:
        task = None if self.outcome_ is None else self.outcome_.task_id
        return None if task is None else strawberry.ID(task)

    @described("APPLIED, REFUSED, CONFLICT or FAILED; null when the call itself was refused.")
    def outcome(self) -> AuditOutcome | None:
        return None if self.outcome_ is None else self.outcome_.kind

    @described("The opportunity as it now stands, health and alerts re-evaluated.")
    async def opportunity(self, info: Info) -> Opportunity | None:
        if self.outcome_ is None:
            return None
        return cast("Opportunity | None", await resolve.opportunity_of(info.context, self.outcome_))

    @described("The alerts the check-in resolved (an activity alert, say).")
    async def resolved_alerts(self, info: Info) -> list[Alert]:
        if self.outcome_ is None:
            return []
        return cast("list[Alert]", await resolve.resolved_alerts(info.context, self.outcome_))


@strawberry.type
class CheckInMutation:
    @mutation(
        "Check in on an opportunity the caller may fix: a completed Task in Salesforce "
        "(mirrored at once, so it counts as activity now), and the optional field updates "
        "through quickFix's checks; a refused update writes no Task either.",
        SIGNED_IN,
        WRITES_ALERTS,
    )
    async def check_in(self, info: Info, input: CheckInInput) -> CheckInPayload:
        data = CheckInData(
            str(input.opportunity_id), input.note, input.next_step, input.next_meeting_date,
            input.idempotency_key, input.expected_last_modified,
        )  # fmt: skip
        outcome = await resolve.check_in(info.context, data)
        return CheckInPayload(errors=errors_at("input", outcome.problems), outcome_=outcome)
