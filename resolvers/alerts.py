"""Reading alert rules and the relations of a rule or an alert (all through DataLoaders):
an alert's rule, the rule version it follows, its opportunity (null when the caller may not
see it), a rule's author and its health."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from starlette.concurrency import run_in_threadpool

from resolvers.context import RequestContext
from resolvers.loaders import loader_call
from store import alert_rules
from store.models import Opportunity, SfUser
from store.process_models import Alert, AlertRule, AlertRuleVersion


@dataclass(frozen=True)
class RuleHealthView:
    open_alerts: int
    pipeline_amount: Decimal
    last_evaluated_at: datetime | None
    last_error: str | None
    error_count: int


async def alert_rules_of_org(context: RequestContext, include_retired: bool) -> list[AlertRule]:
    principal = await context.principal()
    return await run_in_threadpool(
        alert_rules.list_rules, context.engine, principal.org_id, include_retired
    )


async def rule(context: RequestContext, alert: Alert) -> AlertRule:
    found = await (await context.loaders()).alert_rules.load(alert.rule_id)
    assert found is not None  # rules are retired, never deleted
    return found


async def version(context: RequestContext, alert: Alert) -> AlertRuleVersion:
    found = await (await context.loaders()).rule_versions.load((alert.rule_id, alert.rule_version))
    assert found is not None  # every version an alert points at is kept
    return found


async def opportunity(context: RequestContext, alert: Alert) -> Opportunity | None:
    return await (await context.loaders()).opportunities.load(alert.opportunity_id)


async def author(context: RequestContext, rule_row: AlertRule) -> SfUser | None:
    return await loader_call((await context.loaders()).users, rule_row.author_id)


async def rule_health(context: RequestContext, rule_row: AlertRule) -> RuleHealthView:
    figures = await (await context.loaders()).rule_health.load(rule_row.id)
    return RuleHealthView(
        open_alerts=figures.open_alerts,
        pipeline_amount=figures.pipeline_amount,
        last_evaluated_at=rule_row.last_evaluated_at,
        last_error=rule_row.last_error,
        error_count=rule_row.error_count,
    )
