"""Writing alert rules (admins: the mutations declare it) and previewing one.

A draft is checked in full by rules.definitions.check_rule against the org's catalog and
Opportunity describe before anything is written: a draft with problems changes nothing and
its problems are the payload's errors, each at its input path (`input.condition`...). After a
save the rule is evaluated over the org's open opportunities (its alerts open, re-render or
resolve as RULE_CHANGED at once, not at the next clock tick).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool

from resolvers.context import RequestContext
from resolvers.errors import ClientError
from resolvers.ids import opaque_id
from rules.definitions import (
    AlertRuleErrorCode,
    Problem,
    RuleDraft,
    check_rule,
)
from rules.process import AlertKind, Severity
from services.alert_preview import RulePreview, preview_rule
from services.org_catalog import org_catalog
from store import alert_rules
from store.process_models import AlertRule

RULE_PREFIX = "rule"
# Before the org's first sync: no field is known, so no fix field can be checked as valid.
NO_DESCRIBE: dict[str, Any] = {"fields": []}


class RuleNotFound(ClientError):
    code = "NOT_FOUND"


class RuleRetired(ClientError):
    code = "RETIRED"


@dataclass(frozen=True)
class RuleProblem:
    """A problem of the input, at its path in the request (`input.fixFields`)."""

    field: str | None
    code: AlertRuleErrorCode
    message: str
    line: int | None = None
    column: int | None = None


@dataclass(frozen=True)
class SaveOutcome:
    rule: AlertRule | None
    problems: list[RuleProblem]


@dataclass(frozen=True)
class PreviewOutcome:
    preview: RulePreview | None
    problems: list[RuleProblem]


def input_problems(problems: Iterable[Problem[AlertRuleErrorCode]]) -> list[RuleProblem]:
    return [
        RuleProblem(
            field=f"input.{p.field}",
            code=p.code,
            message=p.message,
            line=p.line or None,
            column=p.column or None,
        )
        for p in problems
    ]


def draft_of(row: AlertRule) -> RuleDraft:
    return RuleDraft(
        name=row.name,
        kind=AlertKind[row.kind],
        severity=Severity[row.severity],
        condition=row.condition,
        message=row.message,
        recommendation=row.recommendation,
        fix_fields=tuple(row.fix_fields),
        hold_seconds=row.hold_seconds,
    )


def stored_values(draft: RuleDraft, active: bool) -> dict[str, Any]:
    """A draft as the store's column values (enums by name)."""
    return {
        "name": draft.name,
        "kind": draft.kind.name,
        "severity": draft.severity.name,
        "condition": draft.condition,
        "message": draft.message,
        "recommendation": draft.recommendation,
        "fix_fields": list(draft.fix_fields),
        "hold_seconds": draft.hold_seconds,
        "active": active,
    }


async def _problems(context: RequestContext, org_id: str, draft: RuleDraft) -> list[RuleProblem]:
    found = await run_in_threadpool(org_catalog, context.engine, org_id)
    describe = found.opportunity_describe or NO_DESCRIBE
    return input_problems(check_rule(draft, found.catalog, describe))


async def evaluate_rules(context: RequestContext, rule_ids: list[str]) -> None:
    """The rules' alerts brought up to date now, over every open opportunity (under the org's
    pass lock); the save stands whatever happens there."""
    await context.evaluate_after_write(f"saving rules {rule_ids}", rule_ids=rule_ids)


async def _reread(context: RequestContext, org_id: str, rule_id: str) -> AlertRule | None:
    found = await run_in_threadpool(alert_rules.rules_by_ids, context.engine, org_id, [rule_id])
    return found.get(rule_id)


async def create_alert_rule(context: RequestContext, draft: RuleDraft, active: bool) -> SaveOutcome:
    principal = await context.principal()
    org_id = principal.org_id
    problems = await _problems(context, org_id, draft)
    if problems:
        return SaveOutcome(None, problems)
    row = await run_in_threadpool(
        alert_rules.create_rule, context.engine, org_id, stored_values(draft, active),
        principal.acting_user_id, context.now,
    )  # fmt: skip
    await evaluate_rules(context, [row.id])
    return SaveOutcome(await _reread(context, org_id, row.id) or row, [])


async def _live_rule(context: RequestContext, org_id: str, rule_id: str) -> AlertRule:
    """The org's rule that `rule_id` names, not retired (else a payload error on `id`)."""
    normalized = opaque_id(rule_id, prefix=RULE_PREFIX)
    row = await _reread(context, org_id, normalized)
    if row is None:
        raise RuleNotFound("id: no alert rule with this id", field="id")
    if row.retired_at is not None:
        raise RuleRetired("id: this alert rule is retired and can no longer change", field="id")
    return row


async def update_alert_rule(
    context: RequestContext, rule_id: str, changes: dict[str, Any], active: bool | None
) -> SaveOutcome:
    """`changes`: RuleDraft fields to change (the others keep their current value)."""
    principal = await context.principal()
    org_id = principal.org_id
    current = await _live_rule(context, org_id, rule_id)
    before = draft_of(current)
    draft = dataclasses.replace(before, **changes)
    now_active = current.active if active is None else active
    if draft == before and now_active == current.active:
        return SaveOutcome(current, [])  # nothing to change: no new version
    problems = await _problems(context, org_id, draft)
    if problems:
        return SaveOutcome(None, problems)
    row = await run_in_threadpool(
        alert_rules.update_rule, context.engine, org_id, current.id,
        stored_values(draft, now_active), principal.acting_user_id, context.now,
    )  # fmt: skip
    if row is None:  # retired meanwhile
        raise RuleRetired("id: this alert rule is retired and can no longer change", field="id")
    await evaluate_rules(context, [row.id])
    return SaveOutcome(await _reread(context, org_id, row.id) or row, [])


async def retire_alert_rule(context: RequestContext, rule_id: str) -> SaveOutcome:
    principal = await context.principal()
    org_id = principal.org_id
    current = await _live_rule(context, org_id, rule_id)
    row = await run_in_threadpool(
        alert_rules.retire_rule, context.engine, org_id, current.id, principal.acting_user_id,
        context.now,
    )  # fmt: skip
    if row is None:  # retired meanwhile (rules are never deleted), by another request
        raise RuleRetired("id: this alert rule is retired and can no longer change", field="id")
    await evaluate_rules(context, [row.id])
    return SaveOutcome(await _reread(context, org_id, row.id) or row, [])


async def preview_alert_rule(
    context: RequestContext, condition: str, message: str | None
) -> PreviewOutcome:
    """What the condition would fire on now, with the typed problems saving would give for
    the condition and message (the other fields of a rule are not part of a preview)."""
    principal = await context.principal()
    found = await run_in_threadpool(org_catalog, context.engine, principal.org_id)
    draft = RuleDraft(
        name="preview", kind=AlertKind.INFORMATIVE, severity=Severity.LOW,
        condition=condition, message="-" if message is None else message,
    )  # fmt: skip
    checked = check_rule(draft, found.catalog, found.opportunity_describe or NO_DESCRIBE)
    fields = {"condition"} | ({"message"} if message is not None else set())
    problems = input_problems(p for p in checked if p.field in fields)
    if problems:
        return PreviewOutcome(None, problems)
    preview = await run_in_threadpool(
        lambda: preview_rule(
            context.engine, principal.visibility, found.catalog, condition, message,
            now=context.now, zone=principal.zone,
        )
    )  # fmt: skip
    return PreviewOutcome(preview, [])
