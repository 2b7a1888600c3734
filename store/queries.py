"""The read side of the store: every SELECT the API runs lives here.

Every function takes the org id first and builds its statements through store.tenancy's
OrgScope, so nothing crosses orgs and no statement writes the org filter by hand. Opportunity
reads also take the visible owner ids (`None` = the whole org, for admins), computed once per
request by the caller. Functions are synchronous: async callers run them in a thread.
Batched loads take a sequence of keys and make one query per call (one per DataLoader batch).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, TypeVar

from sqlalchemy import Engine, and_, exists, false, func, or_, true
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from rules.fact_registry import STAGE_ENTERED_AT
from store.mirror import ORG_PASS
from store.models import (
    Account,
    DerivedFacts,
    FieldCatalog,
    Opportunity,
    OpportunityCompetitor,
    OpportunityHistory,
    OpportunityStage,
    Org,
    Organization,
    SfUser,
    SyncState,
    UserRole,
    fact_column,
)
from store.tenancy import OrgScope


@dataclass(frozen=True)
class Visibility:
    """What one principal may read: one org, and the owners whose opportunities are visible."""

    org_id: str
    owner_ids: frozenset[str] | None  # None: every opportunity of the org (admin)

    @property
    def scope(self) -> OrgScope:
        return OrgScope(self.org_id)


@dataclass(frozen=True)
class OpportunityFilter:
    owner_ids: tuple[str, ...] | None = None
    stage_names: tuple[str, ...] | None = None
    is_closed: bool | None = None
    is_won: bool | None = None
    close_date_from: date | None = None
    close_date_to: date | None = None
    # At the amount column's scale (resolvers round a client's bound inward).
    amount_min: Decimal | None = None
    amount_max: Decimal | None = None
    account_ids: tuple[str, ...] | None = None
    competitor: str | None = None


class SortField(Enum):
    AMOUNT = "amount"
    CLOSE_DATE = "close_date"
    DAYS_IN_STAGE = "days_in_stage"
    LAST_MODIFIED = "last_modified"


class SortDirection(Enum):
    ASC = "asc"
    DESC = "desc"

    @property
    def descending(self) -> bool:
        return self is SortDirection.DESC


@dataclass(frozen=True)
class Ordering:
    field: SortField = SortField.LAST_MODIFIED
    descending: bool = True

    @classmethod
    def by(cls, field: SortField, direction: SortDirection) -> Ordering:
        return cls(field, direction.descending)

    @property
    def direction(self) -> SortDirection:
        return SortDirection.DESC if self.descending else SortDirection.ASC


@dataclass(frozen=True)
class OpportunityPage:
    rows: list[Opportunity]
    has_next: bool


def _visible(visibility: Visibility) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = [
        visibility.scope.owns(Opportunity),
        col(Opportunity.is_deleted) == false(),
    ]
    if visibility.owner_ids is not None:
        clauses.append(col(Opportunity.owner_id).in_(sorted(visibility.owner_ids)))
    return clauses


def _filtered(visibility: Visibility, where: OpportunityFilter) -> list[ColumnElement[bool]]:
    clauses = _visible(visibility)
    if where.owner_ids is not None:
        clauses.append(col(Opportunity.owner_id).in_(where.owner_ids))
    if where.stage_names is not None:
        clauses.append(col(Opportunity.stage_name).in_(where.stage_names))
    if where.is_closed is not None:
        clauses.append(col(Opportunity.is_closed) == (true() if where.is_closed else false()))
    if where.is_won is not None:
        clauses.append(col(Opportunity.is_won) == (true() if where.is_won else false()))
    if where.close_date_from is not None:
        clauses.append(col(Opportunity.close_date) >= where.close_date_from)
    if where.close_date_to is not None:
        clauses.append(col(Opportunity.close_date) <= where.close_date_to)
    if where.amount_min is not None:
        clauses.append(col(Opportunity.amount) >= where.amount_min)
    if where.amount_max is not None:
        clauses.append(col(Opportunity.amount) <= where.amount_max)
    if where.account_ids is not None:
        clauses.append(col(Opportunity.account_id).in_(where.account_ids))
    if where.competitor is not None:
        named = exists().where(
            visibility.scope.owns(OpportunityCompetitor),
            col(OpportunityCompetitor.opportunity_id) == col(Opportunity.id),
            col(OpportunityCompetitor.is_deleted) == false(),
            col(OpportunityCompetitor.competitor_name) == where.competitor,
        )
        primary = Opportunity.__table__.c.fields["Competitor__c"].as_string()  # type: ignore[attr-defined]
        clauses.append(or_(named, primary == where.competitor))
    return clauses


def _order_by(ordering: Ordering) -> list[Any]:
    # daysInStage grows as stage_entered_at gets older: descending days = ascending date.
    column: Any = {
        SortField.AMOUNT: col(Opportunity.amount),
        SortField.CLOSE_DATE: col(Opportunity.close_date),
        SortField.LAST_MODIFIED: col(Opportunity.last_modified_date),
        SortField.DAYS_IN_STAGE: fact_column(STAGE_ENTERED_AT),
    }[ordering.field]
    descending = ordering.descending
    if ordering.field is SortField.DAYS_IN_STAGE:
        descending = not descending
    key = column.desc() if descending else column.asc()
    tiebreak = col(Opportunity.id).desc() if ordering.descending else col(Opportunity.id).asc()
    # NULLS LAST on both backends (SQLite and PostgreSQL disagree on the default).
    return [key.nulls_last(), tiebreak]


def list_opportunities(
    engine: Engine,
    visibility: Visibility,
    where: OpportunityFilter,
    ordering: Ordering,
    *,
    limit: int,
    offset: int,
) -> OpportunityPage:
    """One page (one query), fetching one row more than asked to know if there is a next."""
    query = select(Opportunity).where(*_filtered(visibility, where))
    if ordering.field is SortField.DAYS_IN_STAGE:
        query = query.outerjoin(
            DerivedFacts,
            and_(
                visibility.scope.owns(DerivedFacts),
                col(DerivedFacts.opportunity_id) == col(Opportunity.id),
            ),
        )
    query = query.order_by(*_order_by(ordering)).offset(offset).limit(limit + 1)
    with Session(engine) as session:
        rows = list(session.exec(query).all())
    return OpportunityPage(rows=rows[:limit], has_next=len(rows) > limit)


def count_opportunities(engine: Engine, visibility: Visibility, where: OpportunityFilter) -> int:
    query = select(func.count()).select_from(Opportunity).where(*_filtered(visibility, where))
    with Session(engine) as session:
        return int(session.exec(query).one())


def opportunities_by_ids(
    engine: Engine, visibility: Visibility, ids: Collection[str]
) -> dict[str, Opportunity]:
    query = select(Opportunity).where(*_visible(visibility), col(Opportunity.id).in_(list(ids)))
    with Session(engine) as session:
        return {row.id: row for row in session.exec(query).all()}


# A mirrored record keyed by (org_id, id).
Record = TypeVar("Record", Account, SfUser, UserRole)


def _by_ids(
    engine: Engine, model: type[Record], org_id: str, ids: Collection[str]
) -> dict[str, Record]:
    query = OrgScope(org_id).select(model).where(col(model.id).in_(list(ids)))
    with Session(engine) as session:
        return {row.id: row for row in session.exec(query).all()}


def accounts_by_ids(engine: Engine, org_id: str, ids: Collection[str]) -> dict[str, Account]:
    return _by_ids(engine, Account, org_id, ids)


def users_by_ids(engine: Engine, org_id: str, ids: Collection[str]) -> dict[str, SfUser]:
    return _by_ids(engine, SfUser, org_id, ids)


@dataclass(frozen=True)
class UserInOrg:
    """A user and the settings of its org every request needs, read together."""

    user: SfUser
    time_zone: str | None  # Organization.TimeZoneSidKey; None until the org's next full pass
    currency: str | None  # Organization.DefaultCurrencyIsoCode; likewise


def user_in_org(engine: Engine, org_id: str, user_id: str) -> UserInOrg | None:
    """The user and its org's time zone and currency, in one statement (the principal's)."""
    scope = OrgScope(org_id)
    query = (
        select(SfUser, Organization.time_zone_sid_key, Organization.default_currency_iso_code)
        .outerjoin(Organization, scope.owns(Organization))
        .where(scope.owns(SfUser), col(SfUser.id) == user_id)
    )
    with Session(engine) as session:
        found = session.exec(query).first()
    return None if found is None else UserInOrg(*found)


def org_settings(engine: Engine, org_id: str) -> tuple[str | None, str | None]:
    """The org's time zone and currency as mirrored (None each until its next full pass): the
    principal of a client that acts as no user reads them without a user."""
    query = select(Organization.time_zone_sid_key, Organization.default_currency_iso_code)
    with Session(engine) as session:
        found = session.exec(query.where(OrgScope(org_id).owns(Organization))).first()
    return (None, None) if found is None else (found[0], found[1])


def roles_by_ids(engine: Engine, org_id: str, ids: Collection[str]) -> dict[str, UserRole]:
    return _by_ids(engine, UserRole, org_id, ids)


def role_parents(engine: Engine, org_id: str) -> dict[str, str | None]:
    """The org's role hierarchy: role id → parent role id (one query, small table)."""
    query = select(UserRole.id, UserRole.parent_role_id).where(OrgScope(org_id).owns(UserRole))
    with Session(engine) as session:
        return dict(session.exec(query).all())


def user_ids_in_roles(engine: Engine, org_id: str, role_ids: Collection[str]) -> set[str]:
    if not role_ids:
        return set()
    query = select(SfUser.id).where(
        OrgScope(org_id).owns(SfUser), col(SfUser.user_role_id).in_(sorted(role_ids))
    )
    with Session(engine) as session:
        return set(session.exec(query).all())


def org_exists(engine: Engine, org_id: str) -> bool:
    with Session(engine) as session:
        return session.get(Org, org_id) is not None


def stages(engine: Engine, org_id: str) -> list[OpportunityStage]:
    query = (
        OrgScope(org_id)
        .select(OpportunityStage)
        .order_by(col(OpportunityStage.sort_order), col(OpportunityStage.id))
    )
    with Session(engine) as session:
        return list(session.exec(query).all())


def stages_by_names(
    engine: Engine, org_id: str, names: Collection[str]
) -> dict[str, OpportunityStage]:
    query = (
        OrgScope(org_id)
        .select(OpportunityStage)
        .where(col(OpportunityStage.api_name).in_(list(names)))
    )
    with Session(engine) as session:
        return {row.api_name: row for row in session.exec(query).all()}


def competitor_names(
    engine: Engine, org_id: str, opportunity_ids: Collection[str]
) -> dict[str, list[str]]:
    """OpportunityCompetitor names per opportunity, sorted, without deleted rows."""
    query = (
        select(OpportunityCompetitor.opportunity_id, OpportunityCompetitor.competitor_name)
        .where(
            OrgScope(org_id).owns(OpportunityCompetitor),
            col(OpportunityCompetitor.opportunity_id).in_(list(opportunity_ids)),
            col(OpportunityCompetitor.is_deleted) == false(),
        )
        .order_by(col(OpportunityCompetitor.competitor_name))
    )
    found: dict[str, list[str]] = {}
    with Session(engine) as session:
        for opportunity_id, name in session.exec(query).all():
            if name:
                found.setdefault(opportunity_id, []).append(name)
    return found


def history_by_opportunity(
    engine: Engine, org_id: str, opportunity_ids: Collection[str]
) -> dict[str, list[OpportunityHistory]]:
    """OpportunityHistory rows per opportunity, oldest first."""
    query = (
        OrgScope(org_id)
        .select(OpportunityHistory)
        .where(
            col(OpportunityHistory.opportunity_id).in_(list(opportunity_ids)),
            col(OpportunityHistory.is_deleted) == false(),
        )
        .order_by(col(OpportunityHistory.created_date), col(OpportunityHistory.id))
    )
    found: dict[str, list[OpportunityHistory]] = {}
    with Session(engine) as session:
        for row in session.exec(query).all():
            found.setdefault(row.opportunity_id, []).append(row)
    return found


def facts_by_opportunity(
    engine: Engine, org_id: str, opportunity_ids: Collection[str]
) -> dict[str, DerivedFacts]:
    query = (
        OrgScope(org_id)
        .select(DerivedFacts)
        .where(col(DerivedFacts.opportunity_id).in_(list(opportunity_ids)))
    )
    with Session(engine) as session:
        return {row.opportunity_id: row for row in session.exec(query).all()}


def field_catalogs(
    engine: Engine, org_id: str, sobjects: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """The cached describe of each sObject asked for (absent when never fetched)."""
    query = (
        OrgScope(org_id).select(FieldCatalog).where(col(FieldCatalog.sobject).in_(list(sobjects)))
    )
    with Session(engine) as session:
        return {row.sobject: row.describe for row in session.exec(query).all()}


@dataclass(frozen=True)
class SyncStates:
    org: SyncState | None  # the org-level row: whole sync passes
    objects: list[SyncState]  # one per sObject


def sync_states(engine: Engine, org_id: str) -> SyncStates:
    query = OrgScope(org_id).select(SyncState).order_by(col(SyncState.sobject))
    with Session(engine) as session:
        rows = list(session.exec(query).all())
    org = next((row for row in rows if row.sobject == ORG_PASS), None)
    return SyncStates(org=org, objects=[row for row in rows if row.sobject != ORG_PASS])


def org_synced_at(engine: Engine, org_id: str) -> datetime | None:
    """When the last complete sync pass of the org started (the mirror is at least that
    fresh), from the org-level SyncState row; None before the first complete pass."""
    query = select(SyncState.last_success_at).where(
        OrgScope(org_id).owns(SyncState), col(SyncState.sobject) == ORG_PASS
    )
    with Session(engine) as session:
        return session.exec(query).first()


def org(engine: Engine, org_id: str) -> Org | None:
    with Session(engine) as session:
        return session.get(Org, org_id)


def all_orgs(engine: Engine) -> list[Org]:
    with Session(engine) as session:
        return list(session.exec(select(Org).order_by(col(Org.id))).all())
