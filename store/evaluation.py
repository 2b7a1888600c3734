"""What rules evaluate over, read from the mirror: the open opportunities of one org, each with
its `fields`, its stored facts and the fields of its related records (rules.catalog's
RELATED_FIELDS), as `rules.evaluation_records.EvaluationSource`s.

One query per READ_CHUNK opportunities, however many related fields there are: the related
records are outer joins (account, owner, the owner's role), never a query per row. A related
field's column is its name in snake_case on the record's mirrored table (`Account.Industry` ->
account.industry, `Owner.Profile.Name` -> sf_user.profile_name: the profile is mirrored on the
user). Blocking: async callers use `run_in_threadpool`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine, and_, false, inspect, select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, SQLModel, col

from rules.catalog import RELATED_FIELDS, split_related
from rules.evaluation_records import EvaluationSource
from rules.fact_registry import STORED_FACTS
from rules.names import snake_case
from store.mirror import READ_CHUNK
from store.models import Account, DerivedFacts, Opportunity, SfUser, UserRole, fact_column
from store.tenancy import OrgScope

# Each relationship joined to reach a related field: its mirrored table and the join, in
# join order; each join matches the opportunity's org, which the OrgScope filters. (Owner.Profile
# is no join: the profile's name is mirrored on the user.)
_JOINS: dict[str, tuple[type[SQLModel], ColumnElement[bool]]] = {
    "Account": (Account, and_(
        col(Account.org_id) == col(Opportunity.org_id),
        col(Account.id) == col(Opportunity.account_id),
        col(Account.is_deleted) == false(),
    )),
    "Owner": (SfUser, and_(
        col(SfUser.org_id) == col(Opportunity.org_id),
        col(SfUser.id) == col(Opportunity.owner_id),
    )),
    "Owner.UserRole": (UserRole, and_(
        col(UserRole.org_id) == col(SfUser.org_id),
        col(UserRole.id) == col(SfUser.user_role_id),
    )),
}  # fmt: skip


def _related_column(name: str) -> Any:
    """The mirror column of a related field: the longest joined relationship it starts with,
    then the rest of its name in snake_case on that table."""
    relationship, field = split_related(name)
    while relationship not in _JOINS:
        relationship, _, parent = relationship.rpartition(".")
        field = f"{parent}.{field}"
        if not relationship:
            raise LookupError(f"{name}: no mirrored relationship reaches it")
    model = _JOINS[relationship][0]
    return inspect(model).columns[snake_case(field)]


_RELATED_COLUMNS: dict[str, Any] = {name: _related_column(name) for name in RELATED_FIELDS}


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
    related_names = list(_RELATED_COLUMNS)
    query = (
        select(
            col(Opportunity.id), col(Opportunity.fields), col(Opportunity.amount),
            col(Opportunity.created_date), col(DerivedFacts.opportunity_id),
            *(fact_column(fact) for fact in STORED_FACTS),
            *_RELATED_COLUMNS.values(),
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
    for model, on in _JOINS.values():
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
