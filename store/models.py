"""The tables. Every row belongs to one org (tenant): `org_id` leads every primary key and
every query filters on it (built through store.tenancy.OrgScope), so nothing crosses orgs.

The mirror keeps the Salesforce fields dealpulse queries on as typed columns (to filter, sort
and index them) and every describe field of an opportunity in `fields` (JSON), so rules can
reach any field without a migration per custom field.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel, col

from store.types import UtcDateTime


def _utc(nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_type=UtcDateTime, nullable=nullable, index=index)


class Org(SQLModel, table=True):
    """A tenant: one Salesforce org and how to connect to it (secrets are never stored here)."""

    __tablename__ = "org"
    id: str = Field(primary_key=True, max_length=18)
    name: str
    instance_url: str
    api_version: str = "59.0"
    # password | jwt | client_credentials | refresh_token; the secret each needs comes from
    # settings/environment (see api.settings), never from this table.
    auth_flow: str
    client_id: str
    username: str | None = None
    private_key_file: str | None = None
    # Talk to a local devorg (plain http through salesforce.devorg_transport).
    is_devorg: bool = False
    created_at: datetime | None = _utc()


class SfUser(SQLModel, table=True):
    __tablename__ = "sf_user"
    # Every request resolves its principal's subordinates by role (queries.user_ids_in_roles).
    __table_args__ = (Index("ix_sf_user_org_role", "org_id", "user_role_id"),)
    org_id: str = Field(primary_key=True, foreign_key="org.id")
    id: str = Field(primary_key=True)
    name: str
    username: str
    email: str | None = None
    title: str | None = None
    is_active: bool = True
    manager_id: str | None = None
    user_role_id: str | None = None
    profile_name: str | None = None
    system_modstamp: datetime | None = _utc()


class UserRole(SQLModel, table=True):
    __tablename__ = "user_role"
    org_id: str = Field(primary_key=True, foreign_key="org.id")
    id: str = Field(primary_key=True)
    name: str
    parent_role_id: str | None = None
    system_modstamp: datetime | None = _utc()


class Account(SQLModel, table=True):
    __tablename__ = "account"
    org_id: str = Field(primary_key=True, foreign_key="org.id")
    id: str = Field(primary_key=True)
    name: str
    industry: str | None = None
    billing_country: str | None = None
    number_of_employees: int | None = None
    annual_revenue: float | None = None
    owner_id: str | None = None
    system_modstamp: datetime | None = _utc()
    is_deleted: bool = False


class OpportunityStage(SQLModel, table=True):
    __tablename__ = "opportunity_stage"
    org_id: str = Field(primary_key=True, foreign_key="org.id")
    id: str = Field(primary_key=True)
    api_name: str
    label: str
    sort_order: int
    is_active: bool
    is_closed: bool
    is_won: bool
    default_probability: float | None = None
    forecast_category_name: str | None = None


class Opportunity(SQLModel, table=True):
    __tablename__ = "opportunity"
    __table_args__ = (
        # One per filter (store.queries._filtered) and ordering (_order_by) the API offers.
        Index("ix_opportunity_org_owner", "org_id", "owner_id"),
        Index("ix_opportunity_org_stage", "org_id", "stage_name"),
        Index("ix_opportunity_org_account", "org_id", "account_id"),
        Index("ix_opportunity_org_close_date", "org_id", "close_date"),
        Index("ix_opportunity_org_amount", "org_id", "amount"),
        Index("ix_opportunity_org_modified", "org_id", "last_modified_date"),
    )
    org_id: str = Field(primary_key=True, foreign_key="org.id")
    id: str = Field(primary_key=True)
    name: str
    account_id: str | None = None
    owner_id: str
    stage_name: str
    # Currency as double: exact to the cent far beyond any deal size; Decimal at the domain edge.
    amount: float | None = None
    close_date: date | None = None
    probability: float | None = None
    forecast_category_name: str | None = None
    is_closed: bool = False
    is_won: bool = False
    type: str | None = None
    lead_source: str | None = None
    next_step: str | None = None
    created_date: datetime | None = _utc()
    last_modified_date: datetime | None = _utc()
    system_modstamp: datetime | None = _utc()
    is_deleted: bool = False
    # Every mirrored describe field, as the REST API returned it.
    fields: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


# PostgreSQL only: `_order_by` sorts descending with NULLS LAST, which a backward scan of the
# ascending indexes above cannot give on PostgreSQL (NULLs sort high there, so they come first);
# without these the default first page sorts the whole org. (The ascending order, NULLS LAST
# being PostgreSQL's default, is served by those.) SQLite rejects NULLS LAST in an
# index and needs none (NULLs sort low, so its backward scans already put them last).
# Declared here rather than in __table_args__ so they index the table's real columns.
for _name, _column in (
    ("ix_opportunity_org_close_date_desc", col(Opportunity.close_date)),
    ("ix_opportunity_org_amount_desc", col(Opportunity.amount)),
    ("ix_opportunity_org_modified_desc", col(Opportunity.last_modified_date)),
):
    Index(
        _name, col(Opportunity.org_id), _column.desc().nulls_last(), col(Opportunity.id).desc()
    ).ddl_if(dialect="postgresql")


class OpportunityHistory(SQLModel, table=True):
    """Stage/amount/close-date/probability snapshots, as Salesforce writes OpportunityHistory."""

    __tablename__ = "opportunity_history"
    __table_args__ = (Index("ix_opportunity_history_opp", "org_id", "opportunity_id"),)
    org_id: str = Field(primary_key=True, foreign_key="org.id")
    id: str = Field(primary_key=True)
    opportunity_id: str
    stage_name: str | None = None
    amount: float | None = None
    close_date: date | None = None
    probability: float | None = None
    created_date: datetime | None = _utc()
    system_modstamp: datetime | None = _utc()
    is_deleted: bool = False


class OpportunityFieldHistory(SQLModel, table=True):
    __tablename__ = "opportunity_field_history"
    __table_args__ = (Index("ix_opportunity_field_history_opp", "org_id", "opportunity_id"),)
    org_id: str = Field(primary_key=True, foreign_key="org.id")
    id: str = Field(primary_key=True)
    opportunity_id: str
    field: str
    old_value: str | None = None
    new_value: str | None = None
    created_date: datetime | None = _utc()
    is_deleted: bool = False


class OpportunityCompetitor(SQLModel, table=True):
    __tablename__ = "opportunity_competitor"
    __table_args__ = (Index("ix_opportunity_competitor_opp", "org_id", "opportunity_id"),)
    org_id: str = Field(primary_key=True, foreign_key="org.id")
    id: str = Field(primary_key=True)
    opportunity_id: str
    competitor_name: str | None = None
    strengths: str | None = None
    weaknesses: str | None = None
    system_modstamp: datetime | None = _utc()
    is_deleted: bool = False


class Activity(SQLModel, table=True):
    """Tasks and Events related to an opportunity (only what derived facts need)."""

    __tablename__ = "activity"
    __table_args__ = (Index("ix_activity_what", "org_id", "what_id"),)
    org_id: str = Field(primary_key=True, foreign_key="org.id")
    id: str = Field(primary_key=True)
    kind: str  # Task | Event
    what_id: str | None = None
    subject: str | None = None
    activity_date: date | None = None
    start_datetime: datetime | None = _utc()
    is_closed: bool = False
    system_modstamp: datetime | None = _utc()
    is_deleted: bool = False


class DerivedFacts(SQLModel, table=True):
    """Facts computed from the mirror and history (rules.facts), refreshed after each sync.

    Only time-independent values are stored; day counts (days in stage, age, days since last
    activity) are computed from these dates at read time, so they never go stale.
    """

    __tablename__ = "derived_facts"
    __table_args__ = (Index("ix_derived_facts_stage_entered", "org_id", "stage_entered_at"),)
    org_id: str = Field(primary_key=True, foreign_key="org.id")
    opportunity_id: str = Field(primary_key=True)
    stage_entered_at: datetime | None = _utc()
    stage_number: int | None = None
    close_date_push_count: int = 0
    amount_change_since_creation: float | None = None
    last_activity_date: date | None = None
    next_meeting_date: date | None = None
    computed_at: datetime | None = _utc()


class FieldCatalog(SQLModel, table=True):
    """The cached `describe` of an sObject (names, types, labels, picklists, updateable)."""

    __tablename__ = "field_catalog"
    org_id: str = Field(primary_key=True, foreign_key="org.id")
    sobject: str = Field(primary_key=True)
    describe: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    fetched_at: datetime | None = _utc()


class SyncState(SQLModel, table=True):
    """Where incremental sync of one sObject stands: the watermark moves only on success."""

    __tablename__ = "sync_state"
    org_id: str = Field(primary_key=True, foreign_key="org.id")
    sobject: str = Field(primary_key=True)
    watermark: datetime | None = _utc()
    last_success_at: datetime | None = _utc()
    last_attempt_at: datetime | None = _utc()
    last_error: str | None = None
    records_synced: int = 0
