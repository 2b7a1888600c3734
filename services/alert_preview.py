"""What a rule would do now, before it is saved: `previewAlertRule`.

A preview evaluates one condition over the open opportunities the caller can see, on the
bulk path (the evaluation pass's), with TODAY() and the day-count facts in the org's time
zone, and renders the message of a sample of the matches. Nothing is written. Blocking:
async callers use `run_in_threadpool`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine

from rules.catalog import RELATIONSHIPS, rule_catalog
from rules.evaluation_records import EvaluationSource, evaluation_frame, evaluation_record
from rules.fact_registry import Moment
from rules.formula import CompiledFormula
from rules.formula.bulk import evaluate_bulk_many
from rules.formula.templates import CompiledTemplate
from store import queries
from store.evaluation import load_evaluation_sources
from store.queries import Visibility

OPPORTUNITY = "Opportunity"
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
    condition: CompiledFormula,
    template: CompiledTemplate | None,
    *,
    now: datetime,
    zone: tzinfo,
) -> RulePreview:
    """Where `condition` (compiled against `catalog`, the org's) holds now among the open
    opportunities `visibility` may see."""
    sources = _visible(load_evaluation_sources(engine, visibility.org_id), visibility)
    moment = Moment(now, zone)
    frame = evaluation_frame(sources, catalog, moment)
    [result] = evaluate_bulk_many([condition], frame, now, tz=zone)
    matches = [source for source, value in zip(sources, result.values, strict=True) if value]
    total = sum((_amount(source) or NO_AMOUNT for source in matches), NO_AMOUNT)
    largest_first = sorted(matches, key=lambda s: (-(_amount(s) or NO_AMOUNT), s.opportunity_id))
    sample = [
        PreviewMatch(
            opportunity_id=source.opportunity_id,
            amount=_amount(source),
            message=None
            if template is None
            else template.render(evaluation_record(source, moment), now),
        )
        for source in largest_first[:SAMPLE_SIZE]
    ]
    return RulePreview(match_count=len(matches), amount=total, sample=sample)
