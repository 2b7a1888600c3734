"""The tables. Every row belongs to one org (tenant): `org_id` leads every primary key and
every query filters on it (built through store.tenancy.OrgScope), so nothing crosses orgs.

The mirror keeps the Salesforce fields dealpulse queries on as typed columns (to filter, sort
and index them) and every describe field of an opportunity in `fields` (JSON), so rules can
reach any field without a migration per custom field.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel, col

from rules.fact_registry import STORED_FACTS, Fact
from store.types import Money, UtcDateTime

# Salesforce's currency fields, as their describe gives them (precision, scale).
AMOUNT = Money(precision=18, scale=2)  # Opportunity.Amount, OpportunityHistory.Amount
ANNUAL_REVENUE = Money(precision=18, scale=0)  # Account.AnnualRevenue
# A money fact (current minus first Amount): two amounts of 16 integer digits differ by up to 17.
FACT_MONEY = Money(precision=19, scale=2)


def utc_field(nullable: bool = True, index: bool = False) -> Any:
    """A moment column (UTC, aware), None until set: the one definition every table uses."""
    return Field(default=None, sa_type=UtcDateTime, nullable=nullable, index=index)


def json_field(default: Callable[[], Any]) -> Any:
    """A JSON column, never NULL, starting as `default()` (a fresh dict or list per row)."""
    return Field(default_factory=default, sa_column=Column(JSON, nullable=False))


def _money(money: Money) -> Any:
    return Field(default=None, sa_column=Column(money, nullable=True))


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
    created_at: datetime | None = utc_field()


class Organization(SQLModel, table=True):
    """The org's Organization record (one per tenant): the time zone dates are taken in and the
    corporate currency. No row until the org's first full sync pass since it was added."""

    __tablename__ = "organization"
    org_id: str = Field(primary_key=True, foreign_key="org.id")
    id: str  # the Salesforce Organization Id (the org id, as Salesforce spells it)
    name: str | None = None
    time_zone_sid_key: str | None = None  # an IANA name: "America/Los_Angeles"
    default_currency_iso_code: str | None = None  # ISO 4217: "USD"
    system_modstamp: datetime | None = utc_field()


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
    system_modstamp: datetime | None = utc_field()


class UserRole(SQLModel, table=True):
    __tablename__ = "user_role"
    org_id: str = Field(primary_key=True, foreign_key="org.id")
    id: str = Field(primary_key=True)
    name: str
    parent_role_id: str | None = None
    system_modstamp: datetime | None = utc_field()


class Account(SQLModel, table=True):
    __tablename__ = "account"
    org_id: str = Field(primary_key=True, foreign_key="org.id")
    id: str = Field(primary_key=True)
    name: str
    type: str | None = None
    industry: str | None = None
    billing_country: str | None = None
    number_of_employees: int | None = None
    annual_revenue: Decimal | None = _money(ANNUAL_REVENUE)
    owner_id: str | None = None
    system_modstamp: datetime | None = utc_field()
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
    amount: Decimal | None = _money(AMOUNT)
    close_date: date | None = None
    probability: float | None = None
    forecast_category_name: str | None = None
    is_closed: bool = False
    is_won: bool = False
    type: str | None = None
    lead_source: str | None = None
    next_step: str | None = None
    created_date: datetime | None = utc_field()
    last_modified_date: datetime | None = utc_field()
    system_modstamp: datetime | None = utc_field()
    is_deleted: bool = False
    # Every mirrored describe field, as the REST API returned it.
    fields: dict[str, Any] = json_field(dict)


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
    amount: Decimal | None = _money(AMOUNT)
    close_date: date | None = None
    probability: float | None = None
    created_date: datetime | None = utc_field()
    system_modstamp: datetime | None = utc_field()
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
    created_date: datetime | None = utc_field()
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
    system_modstamp: datetime | None = utc_field()
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
    start_datetime: datetime | None = utc_field()
    is_closed: bool = False
    system_modstamp: datetime | None = utc_field()
    is_deleted: bool = False


def _fact_annotation(fact: Fact) -> Any:
    return fact.python_type | None if fact.nullable else fact.python_type


def _fact_column(fact: Fact) -> Any:
    if fact.python_type is datetime:
        return utc_field(nullable=fact.nullable)
    if fact.python_type is Decimal:
        return _money(FACT_MONEY)
    # A fact that is never blank is a count: 0 until computed.
    return Field(default=None if fact.nullable else fact.python_type())


class DerivedFacts(SQLModel, table=True):
    """The stored facts of rules.fact_registry, refreshed after each sync: one column per
    stored fact, named `Fact.key`. The columns are generated from the registry (a new fact needs
    no edit here, only a migration), so code reads them by fact (`StoredFactValues`,
    `fact_column`), not as attributes.

    Only time-independent values are stored; day counts (days in stage, age, days since last
    activity) are computed from these dates at read time, so they never go stale.
    """

    __tablename__ = "derived_facts"
    __table_args__ = (Index("ix_derived_facts_stage_entered", "org_id", "stage_entered_at"),)
    org_id: str = Field(primary_key=True, foreign_key="org.id")
    opportunity_id: str = Field(primary_key=True)
    # The class namespace is a plain dict here: SQLModel reads these as if written out.
    __annotations__.update({fact.key: _fact_annotation(fact) for fact in STORED_FACTS})
    vars().update({fact.key: _fact_column(fact) for fact in STORED_FACTS})
    computed_at: datetime | None = utc_field()


_STORED_KEYS = frozenset(fact.key for fact in STORED_FACTS)


class StoredFactValues(Mapping[str, Any]):
    """The stored facts of a derived_facts row by `Fact.key` (empty for no row), read from the
    row when asked: a GraphQL field reads one of them."""

    def __init__(self, row: DerivedFacts | None) -> None:
        self._row = row

    def __getitem__(self, key: str) -> Any:
        if self._row is None or key not in _STORED_KEYS:
            raise KeyError(key)
        return getattr(self._row, key)

    def __iter__(self) -> Iterator[str]:
        return iter(() if self._row is None else (fact.key for fact in STORED_FACTS))

    def __len__(self) -> int:
        return 0 if self._row is None else len(STORED_FACTS)


def fact_column(fact: Fact) -> Any:
    """The derived_facts column of a stored fact, for queries (to sort, filter, select)."""
    return getattr(DerivedFacts, fact.key)


class FieldCatalog(SQLModel, table=True):
    """The cached `describe` of an sObject (names, types, labels, picklists, updateable)."""

    __tablename__ = "field_catalog"
    org_id: str = Field(primary_key=True, foreign_key="org.id")
    sobject: str = Field(primary_key=True)
    describe: dict[str, Any] = json_field(dict)
    fetched_at: datetime | None = utc_field()


class SyncState(SQLModel, table=True):
    """Where incremental sync of one sObject stands: the watermark moves only on success."""

    __tablename__ = "sync_state"
    org_id: str = Field(primary_key=True, foreign_key="org.id")
    sobject: str = Field(primary_key=True)
    watermark: datetime | None = utc_field()
    last_success_at: datetime | None = utc_field()
    last_attempt_at: datetime | None = utc_field()
    last_error: str | None = None
    records_synced: int = 0


# The sales process's tables, the writes' (audit, idempotency) and OAuth's live in their own
# modules; importing them here registers them on SQLModel.metadata wherever the mirror's tables
# are (migrations, tests, create_all).
from store import oauth_grant_models as _oauth_grant_models  # noqa: E402, F401
from store import oauth_models as _oauth_models  # noqa: E402, F401
from store import process_models as _process_models  # noqa: E402, F401
from store import write_models as _write_models  # noqa: E402, F401
