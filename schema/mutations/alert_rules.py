"""createAlertRule, updateAlertRule, retireAlertRule (admins only) and their payload, whose
errors are AlertRuleError: the code (rules.definitions.AlertRuleErrorCode), the input at
fault and, for the condition and the message template, the line and column."""

from __future__ import annotations

from typing import cast

import strawberry

from auth.permissions import IsAdmin
from resolvers import alert_rules as resolve
from resolvers.alert_rules import RuleProblem, SaveOutcome
from schema.alert_inputs import CreateAlertRuleInput, UpdateAlertRuleInput
from schema.alerts import AlertRule
from schema.enums import AlertRuleErrorCode
from schema.errors import FormulaErrorBase
from schema.permissions import ADMINISTERS, mutation
from schema.types import Info

ADMIN = IsAdmin()


@strawberry.type(description="Why an alert rule was not saved (or previewed).")
class AlertRuleError(FormulaErrorBase):
    code: AlertRuleErrorCode


def rule_errors(problems: list[RuleProblem]) -> list[AlertRuleError]:
    return [
        AlertRuleError(code=p.code, field=p.field, message=p.message, line=p.line, column=p.column)
        for p in problems
    ]


@strawberry.type
class AlertRulePayload:
    alert_rule: AlertRule | None = strawberry.field(
        default=None, description="The rule as saved; null when nothing was saved."
    )
    errors: list[AlertRuleError]


def _payload(outcome: SaveOutcome) -> AlertRulePayload:
    return AlertRulePayload(
        alert_rule=cast("AlertRule | None", outcome.rule), errors=rule_errors(outcome.problems)
    )


@strawberry.type
class AlertRuleMutations:
    @mutation("Create an alert rule (admins). Its alerts open at once.", ADMIN, ADMINISTERS)
    async def create_alert_rule(self, info: Info, input: CreateAlertRuleInput) -> AlertRulePayload:
        draft = input.to_draft()
        return _payload(await resolve.create_alert_rule(info.context, draft, input.active))

    @mutation("Edit an alert rule (admins): a new version under the same id.", ADMIN, ADMINISTERS)
    async def update_alert_rule(
        self, info: Info, id: strawberry.ID, input: UpdateAlertRuleInput
    ) -> AlertRulePayload:
        outcome = await resolve.update_alert_rule(
            info.context, str(id), input.changes(), input.active
        )
        return _payload(outcome)

    @mutation(
        "Retire an alert rule (admins): its alerts resolve as RULE_RETIRED; it and its "
        "history are kept.",
        ADMIN,
        ADMINISTERS,
    )
    async def retire_alert_rule(self, info: Info, id: strawberry.ID) -> AlertRulePayload:
        return _payload(await resolve.retire_alert_rule(info.context, str(id)))
