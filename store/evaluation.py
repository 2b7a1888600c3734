"""What rules evaluate over, read from the mirror: the open opportunities of one org, each with
its `fields`, its stored facts and the fields of its related records (rules.catalog's
RELATED_FIELDS), as `rules.evaluation_records.EvaluationSource`s.

One query per READ_CHUNK opportunities, however many related fields there are: the related
records are outer joins (account, owner, the owner's role), never a query per row. A related
field's column is its name in snake_case on the record's mirrored table (`Account.Industry` ->
account.industry, `Owner.Profile.Name` -> sf_user.profile_name: the profile is mirrored on the
user). Blocking: async callers use `run_in_threadpool`.

The evaluation pass reads through `load_evaluation_frame` (store.evaluation_frame): the same
values straight into a bulk frame, much faster; these sources stay the reference it is tested
against, and what single-record paths read.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Engine, and_, false, select
from sqlmodel import Session, col

from rules.evaluation_records import EvaluationSource
from rules.fact_registry import STORED_FACTS
from store.evaluation_frame import EvaluationFrame, load_evaluation_frame
from store.mirror import READ_CHUNK
from store.models import DerivedFacts, Opportunity, fact_column
from store.related_columns import JOINS, RELATED_COLUMNS
from store.tenancy import OrgScope

__all__ = ["EvaluationFrame", "load_evaluation_frame", "load_evaluation_sources"]


def load_evaluation_sources(
    engine: Engine, org_id: str, opportunity_ids: Sequence[str] | None = None
) -> list[EvaluationSource]:
    """The open (not closed, not deleted) opportunities of `org_id`, all of them or those of
    `opportunity_ids`, ordered by id: one query per READ_CHUNK ids (one in all for None)."""
    if opportunity_ids is None:
        return _load(engine, org_id, None)
    unique = list(dict.fromkeys(opportunity_ids))
    sources: list[EvaluationSource] = []
    for start in range(0, len(unique), READ_CHUNK):
        sources += _load(engine, org_id, unique[start : start + READ_CHUNK])
    return sorted(sources, key=lambda s: s.opportunity_id)


def _load(engine: Engine, org_id: str, ids: list[str] | None) -> list[EvaluationSource]:
    fact_keys = [fact.key for fact in STORED_FACTS]
    related_names = list(RELATED_COLUMNS)
    query = (
        select(
            col(Opportunity.id), col(Opportunity.fields), col(Opportunity.amount),
            col(Opportunity.created_date), col(DerivedFacts.opportunity_id),
            *(fact_column(fact) for fact in STORED_FACTS),
            *RELATED_COLUMNS.values(),
        )
        .select_from(Opportunity)
        .outerjoin(DerivedFacts, and_(
            col(DerivedFacts.org_id) == col(Opportunity.org_id),
            col(DerivedFacts.opportunity_id) == col(Opportunity.id),
        ))
        .where(
            OrgScope(org_id).owns(Opportunity),
            col(Opportunity.is_deleted) == false(),
            col(Opportunity.is_closed) == false(),
        )
        .order_by(col(Opportunity.id))
    )  # fmt: skip
    for model, on in JOINS.values():
        query = query.outerjoin(model, on)
    if ids is not None:
        query = query.where(col(Opportunity.id).in_(ids))
    sources: list[EvaluationSource] = []
    with Session(engine) as session:
        for row in session.execute(query):
            opportunity_id, fields, amount, created_date, facts_row, *rest = row
            stored = dict(zip(fact_keys, rest[: len(fact_keys)], strict=True))
            related = dict(zip(related_names, rest[len(fact_keys) :], strict=True))
            sources.append(
                EvaluationSource(
                    opportunity_id=opportunity_id,
                    # Amount from its exact column: `fields` holds the REST API's JSON number
                    fields={**fields, "Amount": amount} if "Amount" in fields else fields,
                    created_date=created_date,
                    stored_facts={} if facts_row is None else stored,
                    related=related,
                )
            )
    return sources
