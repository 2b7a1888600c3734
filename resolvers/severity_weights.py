"""Reading and setting the org's severity weights (setting: admins, the mutation declares
it). A change with problems (rules.severity_weights) saves nothing; a saved one is evaluated
at once over every open opportunity, since each one's health penalty may change."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool

from resolvers.context import RequestContext
from rules.health import severity_weights as weights_over_defaults
from rules.process import Severity
from rules.severity_weights import (
    WeightProblem,
    changed_weights,
    check_severity_weights,
    is_default,
)
from store import alerts


@dataclass(frozen=True)
class SeverityWeightView:
    severity: Severity
    weight: int
    is_default: bool


@dataclass(frozen=True)
class WeightsOutcome:
    weights: list[SeverityWeightView] | None  # None: nothing was saved
    problems: list[WeightProblem]


def _current(context: RequestContext, org_id: str) -> dict[Severity, int]:
    stored = alerts.evaluation_settings(context.engine, org_id).severity_weights
    return weights_over_defaults(stored)


def _views(weights: dict[Severity, int]) -> list[SeverityWeightView]:
    return [SeverityWeightView(s, weights[s], is_default(s, weights[s])) for s in Severity]


async def severity_weights(context: RequestContext) -> list[SeverityWeightView]:
    """Every severity, LOW to CRITICAL, with the org's weight (its default if unset)."""
    principal = await context.principal()
    return _views(await run_in_threadpool(_current, context, principal.org_id))


async def set_severity_weights(
    context: RequestContext, given: Sequence[tuple[Severity, int]]
) -> WeightsOutcome:
    principal = await context.principal()
    org_id = principal.org_id
    problems = check_severity_weights(given)
    if problems:
        return WeightsOutcome(None, problems)
    current = await run_in_threadpool(_current, context, org_id)
    stored = changed_weights(current, given)
    saved = await run_in_threadpool(alerts.set_severity_weights, context.engine, org_id, stored)
    # No rule is evaluated (no condition reads a weight); every open deal's health is.
    await context.evaluate_after_write(f"a severity weight change (org {org_id})", rule_ids=())
    return WeightsOutcome(_views(weights_over_defaults(saved.severity_weights)), [])
