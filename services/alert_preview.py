"""What a rule would do now, before it is saved: `previewAlertRule`.

A preview evaluates one condition over the open opportunities the caller can see with the
evaluation pass's own code (services.evaluation_formulas: the bulk path, TODAY() and the
day-count facts in the org's time zone, messages put together from their merge fields' bulk
values), so its counts and messages are what saving the rule would open now. Nothing is
written. Blocking: async callers use `run_in_threadpool`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine

from rules.catalog import RELATIONSHIPS, rule_catalog
from rules.evaluation_records import EvaluationSource, evaluation_frame
from rules.fact_registry import Moment
from rules.process import AlertKind, Severity
from services.evaluation_formulas import Unevaluable, evaluate_formulas
from store import queries
from store.evaluation import load_evaluation_sources
from store.evaluation_state import RuleState
from store.queries import Visibility

OPPORTUNITY = "Opportunity"
PREVIEW = "preview"  # the id the previewed rule has in its pass
SAMPLE_SIZE = 10
NO_AMOUNT = Decimal("0.00")


@dataclass(frozen=True)
class RuleContext:
    """What a rule is checked against: the org's formula catalog (describe fields, related
    fields, facts) and its cached Opportunity describe (for fix fields)."""

    catalog: dict[str, str]
    opportunity_describe: Mapping[str, Any]


def rule_context(engine: Engine, org_id: str) -> RuleContext:
    """The org's RuleContext from its cached describes (one query); an org whose describe
    was never fetched has only the related fields and facts to name."""
    sobjects = [OPPORTUNITY, *sorted(set(RELATIONSHIPS.values()))]
    describes = queries.field_catalogs(engine, org_id, sobjects)
    opportunity = describes.pop(OPPORTUNITY, {"fields": []})
    return RuleContext(rule_catalog(opportunity, describes), opportunity)


@dataclass(frozen=True)
class PreviewMatch:
    opportunity_id: str
    amount: Decimal | None
    message: str | None  # None when no message was given to render


@dataclass(frozen=True)
class RulePreview:
    match_count: int
    amount: Decimal  # the total amount of the matches (blank amounts count 0)
    sample: list[PreviewMatch]  # up to SAMPLE_SIZE, largest amount first


def _visible(sources: list[EvaluationSource], visibility: Visibility) -> list[EvaluationSource]:
    owners = visibility.owner_ids
    if owners is None:
        return sources
    # Owner.Id is the owner joined on Opportunity.owner_id, the column Visibility filters on
    # (a visible owner is always a mirrored user).
    return [source for source in sources if source.related.get("Owner.Id") in owners]


def _amount(source: EvaluationSource) -> Decimal | None:
    amount = source.fields.get("Amount")
    return amount if isinstance(amount, Decimal) else None


def preview_rule(
    engine: Engine,
    visibility: Visibility,
    catalog: Mapping[str, str],
    condition: str,
    message: str | None,
    *,
    now: datetime,
    zone: tzinfo,
) -> RulePreview:
    """Where `condition` holds now among the open opportunities `visibility` may see, with
    `message` rendered for a sample. Both must compile against `catalog`, the org's
    (rules.definitions.check_rule found no problem with them)."""
    sources = _visible(load_evaluation_sources(engine, visibility.org_id), visibility)
    frame = evaluation_frame(sources, catalog, Moment(now, zone))
    rule = RuleState(
        id=PREVIEW, version=1, condition_version=1, name=PREVIEW, kind=AlertKind.INFORMATIVE,
        severity=Severity.LOW, condition=condition, message=message or "", hold_seconds=0,
    )  # fmt: skip
    outcome = evaluate_formulas([rule], {}, catalog, frame, now, zone).rules[PREVIEW]
    if isinstance(outcome, Unevaluable):  # it compiled: the engine failed on it
        raise RuntimeError(f"preview of a valid condition failed: {outcome}")
    rows = outcome.condition.true_rows()
    total = sum((_amount(sources[row]) or NO_AMOUNT for row in rows), NO_AMOUNT)
    largest_first = sorted(
        rows, key=lambda row: (-(_amount(sources[row]) or NO_AMOUNT), sources[row].opportunity_id)
    )
    sample = [
        PreviewMatch(
            opportunity_id=sources[row].opportunity_id,
            amount=_amount(sources[row]),
            message=None if message is None else outcome.render(row),
        )
        for row in largest_first[:SAMPLE_SIZE]
    ]
    return RulePreview(match_count=len(rows), amount=total, sample=sample)
