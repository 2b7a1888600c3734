"""The schema of the emulated org: every sObject devorg knows and its fields' describe metadata.

This one table drives storage (SQLite columns), `describe`, SOQL field resolution and write
validation, so the four always agree. Field types use Salesforce's describe names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

API_VERSION = "59.0"
SUPPORTED_VERSIONS = ("59.0", "60.0", "61.0", "62.0")

STAGES: tuple[tuple[str, int, bool, bool, int, str], ...] = (
    # (name, sort order, is closed, is won, default probability, forecast category name)
    ("Prospecting", 1, False, False, 10, "Pipeline"),
    ("Qualification", 2, False, False, 10, "Pipeline"),
    ("Needs Analysis", 3, False, False, 20, "Pipeline"),
    ("Value Proposition", 4, False, False, 50, "Pipeline"),
    ("Id. Decision Makers", 5, False, False, 60, "Pipeline"),
    ("Perception Analysis", 6, False, False, 70, "Pipeline"),
    ("Proposal/Price Quote", 7, False, False, 75, "Pipeline"),
    ("Negotiation/Review", 8, False, False, 90, "Best Case"),
    ("Closed Won", 9, True, True, 100, "Closed"),
    ("Closed Lost", 10, True, False, 0, "Omitted"),
)
# ForecastCategory (API name) for each ForecastCategoryName (label), as Salesforce maps them.
FORECAST_CATEGORIES = {
    "Omitted": "Omitted",
    "Pipeline": "Pipeline",
    "Best Case": "BestCase",
    "Commit": "Forecast",
    "Closed": "Closed",
}
INDUSTRIES = (
    "Agriculture", "Banking", "Biotechnology", "Communications", "Construction", "Consulting",
    "Education", "Electronics", "Energy", "Engineering", "Finance", "Government", "Healthcare",
    "Insurance", "Manufacturing", "Media", "Retail", "Technology", "Telecommunications",
    "Transportation", "Utilities",
)  # fmt: skip
COMPETITORS = ("Acme Corp", "Globex", "Initech", "Umbrella Systems", "Hooli")
LEAD_SOURCES = ("Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other")
# TimeZoneSidKey values (IANA names, as Salesforce's are) the Organization picklist offers.
ORG_TIME_ZONES = (
    "America/Los_Angeles", "America/Denver", "America/Chicago", "America/New_York",
    "Europe/London", "Europe/Berlin", "Asia/Kolkata", "Asia/Singapore", "Asia/Tokyo",
    "Australia/Sydney", "GMT",
)  # fmt: skip
CURRENCIES = ("USD", "EUR", "GBP", "JPY", "AUD", "CAD", "INR", "SGD")
LOCALES = ("en_US", "en_GB", "de_DE", "fr_FR", "ja_JP")
EDITIONS = ("Developer Edition", "Professional Edition", "Enterprise Edition",
            "Unlimited Edition")  # fmt: skip
OPPORTUNITY_TYPES = (
    "Existing Customer - Upgrade",
    "Existing Customer - Replacement",
    "Existing Customer - Downgrade",
    "New Customer",
)


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    type: str
    length: int = 0
    precision: int = 0
    scale: int = 0
    picklist: tuple[str, ...] = ()
    restricted_picklist: bool = False
    createable: bool = True
    updateable: bool = True
    nillable: bool = True
    defaulted_on_create: bool = False
    custom: bool = False
    reference_to: tuple[str, ...] = ()
    relationship_name: str | None = None
    # The column of the referenced object a reference joins on (Id, except for EntityDefinition).
    reference_key: str = "Id"
    # Written to OpportunityFieldHistory when it changes.
    tracked: bool = False
    # Never stored: computed at read time (describe says calculated).
    calculated: bool = False

    @property
    def required_on_create(self) -> bool:
        return self.createable and not self.nillable and not self.defaulted_on_create

    @property
    def sql_type(self) -> str:
        if self.type in ("boolean", "int"):
            return "INTEGER"
        if self.type in ("currency", "double", "percent"):
            return "REAL"
        return "TEXT"


@dataclass(frozen=True)
class SObject:
    name: str
    label: str
    label_plural: str
    key_prefix: str
    fields: tuple[Field, ...]
    createable: bool = True
    updateable: bool = True
    deletable: bool = True
    tooling: bool = False
    # Objects whose rows carry SystemModstamp (history and field-history rows do not all have it).
    replicateable: bool = True
    _by_lower: dict[str, Field] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._by_lower.update({f.name.lower(): f for f in self.fields})

    def field(self, name: str) -> Field | None:
        """The field called `name`, case-insensitively as SOQL and the REST API resolve names."""
        return self._by_lower.get(name.lower())

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    @property
    def has_system_modstamp(self) -> bool:
        return self.field("SystemModstamp") is not None


def _ref(name: str, label: str, to: str, rel: str, **kw: Any) -> Field:
    return Field(
        name, label, "reference", length=18, reference_to=(to,), relationship_name=rel, **kw
    )


def _system_fields(*, modstamp: bool = True, deletable: bool = True) -> tuple[Field, ...]:
    ro: dict[str, Any] = {"createable": False, "updateable": False}
    fields = [Field("Id", "Record ID", "id", length=18, nillable=False, **ro)]
    if deletable:
        fields.append(Field("IsDeleted", "Deleted", "boolean", nillable=False, **ro))
    fields += [
        Field("CreatedDate", "Created Date", "datetime", nillable=False, **ro),
        _ref("CreatedById", "Created By ID", "User", "CreatedBy", nillable=False, **ro),
    ]
    if modstamp:
        fields += [
            Field("LastModifiedDate", "Last Modified Date", "datetime", nillable=False, **ro),
            _ref("LastModifiedById", "Last Modified By ID", "User", "LastModifiedBy", **ro),
            Field("SystemModstamp", "System Modstamp", "datetime", nillable=False, **ro),
        ]
    return tuple(fields)


def _picklist(name: str, label: str, values: tuple[str, ...], **kw: Any) -> Field:
    return Field(name, label, "picklist", length=255, picklist=values, **kw)


_RO: dict[str, Any] = {"createable": False, "updateable": False}
_NOT_NULL_RO: dict[str, Any] = {**_RO, "nillable": False}
_DEFAULTED_NOT_NULL: dict[str, Any] = {"nillable": False, "defaulted_on_create": True}

# The org itself: one row, read-only through the API (Setup changes it in Salesforce) and not
# replicateable (no getUpdated). Its Id is the org id; DefaultCurrencyIsoCode is the corporate
# currency (devorg orgs have one currency).
ORGANIZATION = SObject(
    "Organization", "Organization", "Organizations", "00D",
    (
        *_system_fields(deletable=False),
        Field("Name", "Name", "string", length=80, **_NOT_NULL_RO),
        _picklist("OrganizationType", "Edition", EDITIONS, **_RO),
        Field("IsSandbox", "Is Sandbox", "boolean", **_NOT_NULL_RO),
        _picklist("TimeZoneSidKey", "Time Zone", ORG_TIME_ZONES, restricted_picklist=True,
                  **_NOT_NULL_RO),
        _picklist("LanguageLocaleKey", "Language", LOCALES, restricted_picklist=True,
                  **_NOT_NULL_RO),
        _picklist("DefaultLocaleSidKey", "Locale", LOCALES, restricted_picklist=True,
                  **_NOT_NULL_RO),
        _picklist("DefaultCurrencyIsoCode", "Currency ISO Code", CURRENCIES,
                  restricted_picklist=True, **_RO),
        Field("FiscalYearStartMonth", "Fiscal Year Starts In", "int", precision=9, **_RO),
    ),
    createable=False, updateable=False, deletable=False, replicateable=False,
)  # fmt: skip

PROFILE = SObject(
    "Profile", "Profile", "Profile", "00e",
    (*_system_fields(deletable=False), Field("Name", "Name", "string", length=255, nillable=False)),
    createable=False, updateable=False, deletable=False,
)  # fmt: skip

USER_ROLE = SObject(
    "UserRole", "Role", "Roles", "00E",
    (
        *_system_fields(deletable=False),
        Field("Name", "Name", "string", length=80, nillable=False),
        Field("DeveloperName", "Developer Name", "string", length=80),
        _ref("ParentRoleId", "Parent Role ID", "UserRole", "ParentRole"),
    ),
    deletable=False,
)  # fmt: skip

USER = SObject(
    "User", "User", "Users", "005",
    (
        *_system_fields(deletable=False),
        Field("Username", "Username", "string", length=80, nillable=False),
        Field("FirstName", "First Name", "string", length=40),
        Field("LastName", "Last Name", "string", length=80, nillable=False),
        Field("Name", "Full Name", "string", length=121, **_RO),
        Field("Email", "Email", "email", length=128, nillable=False),
        Field("Alias", "Alias", "string", length=8, nillable=False),
        Field("Title", "Title", "string", length=80),
        Field("Department", "Department", "string", length=80),
        Field("IsActive", "Active", "boolean", nillable=False, defaulted_on_create=True),
        _ref("UserRoleId", "Role ID", "UserRole", "UserRole"),
        _ref("ProfileId", "Profile ID", "Profile", "Profile", nillable=False),
        _ref("ManagerId", "Manager ID", "User", "Manager"),
        _picklist("TimeZoneSidKey", "Time Zone", ("America/New_York", "America/Los_Angeles",
                  "Europe/London", "Europe/Berlin", "Asia/Singapore"), nillable=False),
    ),
    deletable=False,
)  # fmt: skip

ACCOUNT = SObject(
    "Account", "Account", "Accounts", "001",
    (
        *_system_fields(),
        Field("Name", "Account Name", "string", length=255, nillable=False),
        _picklist("Type", "Account Type", ("Prospect", "Customer - Direct", "Customer - Channel",
                  "Channel Partner / Reseller", "Other")),
        _picklist("Industry", "Industry", INDUSTRIES),
        Field("BillingCountry", "Billing Country", "string", length=80),
        Field("NumberOfEmployees", "Employees", "int", precision=8),
        Field("AnnualRevenue", "Annual Revenue", "currency", precision=18, scale=0),
        _ref("OwnerId", "Owner ID", "User", "Owner", nillable=False, defaulted_on_create=True),
    ),
)  # fmt: skip

OPPORTUNITY_STAGE = SObject(
    "OpportunityStage", "Opportunity Stage", "Opportunity Stage", "01J",
    (
        *_system_fields(deletable=False),
        Field("MasterLabel", "Master Label", "string", length=255, **_RO),
        Field("ApiName", "Api Name", "string", length=255, **_RO),
        Field("IsActive", "Is Active", "boolean", **_RO),
        Field("SortOrder", "Sort Order", "int", precision=9, **_RO),
        Field("IsClosed", "Is Closed", "boolean", **_RO),
        Field("IsWon", "Is Won", "boolean", **_RO),
        _picklist("ForecastCategory", "Forecast Category", tuple(FORECAST_CATEGORIES.values()),
                  **_RO),
        _picklist("ForecastCategoryName", "Forecast Category Name",
                  tuple(FORECAST_CATEGORIES), **_RO),
        Field("DefaultProbability", "Default Probability", "percent", precision=3, **_RO),
        Field("Description", "Description", "string", length=255, **_RO),
    ),
    createable=False, updateable=False, deletable=False,
)  # fmt: skip

STAGE_NAMES = tuple(s[0] for s in STAGES)

OPPORTUNITY = SObject(
    "Opportunity", "Opportunity", "Opportunities", "006",
    (
        *_system_fields(),
        _ref("AccountId", "Account ID", "Account", "Account", tracked=True),
        Field("Name", "Name", "string", length=120, nillable=False),
        Field("Description", "Description", "textarea", length=32000),
        _picklist("StageName", "Stage", STAGE_NAMES, restricted_picklist=True, nillable=False,
                  tracked=True),
        Field("Amount", "Amount", "currency", precision=18, scale=2, tracked=True),
        Field("Probability", "Probability (%)", "percent", precision=3, scale=0, tracked=True),
        Field("ExpectedRevenue", "Expected Amount", "currency", precision=18, scale=2,
              calculated=True, **_RO),
        Field("CloseDate", "Close Date", "date", nillable=False, tracked=True),
        _picklist("Type", "Opportunity Type", OPPORTUNITY_TYPES, tracked=True),
        Field("NextStep", "Next Step", "string", length=255, tracked=True),
        _picklist("LeadSource", "Lead Source", LEAD_SOURCES, tracked=True),
        Field("IsClosed", "Closed", "boolean", nillable=False, **_RO),
        Field("IsWon", "Won", "boolean", nillable=False, **_RO),
        _picklist("ForecastCategory", "Forecast Category", tuple(FORECAST_CATEGORIES.values()),
                  nillable=False, **_RO),
        _picklist("ForecastCategoryName", "Forecast Category", tuple(FORECAST_CATEGORIES),
                  restricted_picklist=True, defaulted_on_create=True, tracked=True),
        _ref("OwnerId", "Owner ID", "User", "Owner", nillable=False, defaulted_on_create=True,
             tracked=True),
        Field("LastActivityDate", "Last Activity", "date", **_RO),
        Field("LastStageChangeDate", "Last Stage Change Date", "datetime", **_RO),
        Field("FiscalYear", "Fiscal Year", "int", precision=4, calculated=True, **_RO),
        Field("FiscalQuarter", "Fiscal Quarter", "int", precision=1, calculated=True, **_RO),
        _picklist("Competitor__c", "Primary Competitor", COMPETITORS, custom=True,
                  restricted_picklist=True, tracked=True),
        Field("Next_Meeting_Date__c", "Next Meeting Date", "date", custom=True, tracked=True),
        Field("Budget_Confirmed__c", "Budget Confirmed", "boolean", custom=True, nillable=False,
              defaulted_on_create=True, tracked=True),
        Field("Decision_Maker__c", "Decision Maker", "string", length=80, custom=True,
              tracked=True),
    ),
)  # fmt: skip

OPPORTUNITY_HISTORY = SObject(
    "OpportunityHistory", "Opportunity History", "Opportunity History", "008",
    (
        *_system_fields(modstamp=False),
        Field("SystemModstamp", "System Modstamp", "datetime", nillable=False, **_RO),
        _ref("OpportunityId", "Opportunity ID", "Opportunity", "Opportunity", **_NOT_NULL_RO),
        _picklist("StageName", "Stage Name", STAGE_NAMES, **_RO),
        Field("Amount", "Amount", "currency", precision=18, scale=2, **_RO),
        Field("ExpectedRevenue", "Expected Revenue", "currency", precision=18, scale=2, **_RO),
        Field("CloseDate", "Close Date", "date", **_RO),
        Field("Probability", "Probability (%)", "percent", precision=3, **_RO),
        _picklist("ForecastCategory", "Forecast Category", tuple(FORECAST_CATEGORIES.values()),
                  **_RO),
        _picklist("FromForecastCategory", "From Forecast Category",
                  tuple(FORECAST_CATEGORIES.values()), **_RO),
        _picklist("FromOpportunityStageName", "From Stage", STAGE_NAMES, **_RO),
        Field("PrevAmount", "Previous Amount", "currency", precision=18, scale=2, **_RO),
        Field("PrevCloseDate", "Previous Close Date", "date", **_RO),
    ),
    createable=False, updateable=False, deletable=False,
)  # fmt: skip

TRACKED_FIELD_NAMES = tuple(f.name for f in OPPORTUNITY.fields if f.tracked)

OPPORTUNITY_FIELD_HISTORY = SObject(
    "OpportunityFieldHistory", "Opportunity Field History", "Opportunity Field History", "017",
    (
        *_system_fields(modstamp=False),
        _ref("OpportunityId", "Opportunity ID", "Opportunity", "Opportunity", **_NOT_NULL_RO),
        _picklist("Field", "Changed Field", ("created", *TRACKED_FIELD_NAMES), **_RO),
        Field("DataType", "Data Type", "string", length=255, **_RO),
        Field("OldValue", "Old Value", "anyType", **_RO),
        Field("NewValue", "New Value", "anyType", **_RO),
    ),
    createable=False, updateable=False, deletable=False, replicateable=False,
)  # fmt: skip

OPPORTUNITY_COMPETITOR = SObject(
    "OpportunityCompetitor", "Opportunity: Competitor", "Opportunities: Competitor", "00J",
    (
        *_system_fields(),
        _ref("OpportunityId", "Opportunity ID", "Opportunity", "Opportunity", nillable=False,
             updateable=False),
        Field("CompetitorName", "Competitor Name", "string", length=40),
        Field("Strengths", "Strengths", "string", length=1000),
        Field("Weaknesses", "Weaknesses", "string", length=1000),
    ),
)  # fmt: skip

_WHAT = Field(
    "WhatId", "Related To ID", "reference", length=18, reference_to=("Opportunity", "Account"),
    relationship_name="What",
)  # fmt: skip

TASK = SObject(
    "Task", "Task", "Tasks", "00T",
    (
        *_system_fields(),
        _WHAT,
        _ref("OwnerId", "Assigned To ID", "User", "Owner", **_DEFAULTED_NOT_NULL),
        Field("Subject", "Subject", "string", length=255),
        Field("ActivityDate", "Due Date Only", "date"),
        _picklist("Status", "Status", ("Not Started", "In Progress", "Completed", "Deferred"),
                  nillable=False, defaulted_on_create=True),
        _picklist("Priority", "Priority", ("High", "Normal", "Low"), nillable=False,
                  defaulted_on_create=True),
        _picklist("Type", "Type", ("Call", "Email", "Meeting", "Other")),
        Field("Description", "Comments", "textarea", length=32000),
        # Salesforce takes it on create only.
        _picklist("TaskSubtype", "Task Subtype",
                  ("Task", "Email", "ListEmail", "Cadence", "Call", "LinkedIn"), updateable=False),
        Field("IsClosed", "Closed", "boolean", nillable=False, **_RO),
    ),
)  # fmt: skip

EVENT = SObject(
    "Event", "Event", "Events", "00U",
    (
        *_system_fields(),
        _WHAT,
        _ref("OwnerId", "Assigned To ID", "User", "Owner", **_DEFAULTED_NOT_NULL),
        Field("Subject", "Subject", "string", length=255),
        Field("StartDateTime", "Start Date Time", "datetime"),
        Field("EndDateTime", "End Date Time", "datetime"),
        Field("ActivityDate", "Due Date Only", "date", **_RO),
        Field("DurationInMinutes", "Duration", "int", precision=8),
        _picklist("Type", "Type", ("Call", "Email", "Meeting", "Other")),
    ),
)  # fmt: skip

# Tooling API objects (reached under /services/data/vXX.X/tooling/ only).
ENTITY_DEFINITION = SObject(
    "EntityDefinition", "Entity Definition", "Entity Definitions", "000",
    (
        Field("Id", "Entity Definition ID", "id", length=18, **_RO),
        Field("DurableId", "Durable ID", "string", length=255, **_RO),
        Field("DeveloperName", "Developer Name", "string", length=40, **_RO),
        Field("QualifiedApiName", "Qualified API Name", "string", length=255, **_RO),
        Field("Label", "Label", "string", length=255, **_RO),
    ),
    createable=False, updateable=False, deletable=False, tooling=True, replicateable=False,
)  # fmt: skip

VALIDATION_RULE = SObject(
    "ValidationRule", "Validation Rule", "Validation Rules", "03d",
    (
        *_system_fields(deletable=False),
        Field("ValidationName", "Rule Name", "string", length=40, **_RO),
        Field("Active", "Active", "boolean", **_RO),
        Field("Description", "Description", "string", length=1000, **_RO),
        Field("EntityDefinitionId", "Entity Definition ID", "reference", length=18,
              reference_to=("EntityDefinition",), relationship_name="EntityDefinition",
              reference_key="DurableId", **_RO),
        Field("ErrorDisplayField", "Error Location", "string", length=255, **_RO),
        Field("ErrorMessage", "Error Message", "string", length=255, **_RO),
        # Both only queryable when the query returns at most one row, as in Salesforce; the
        # formula is Metadata.errorConditionFormula (there is no ErrorConditionFormula field).
        Field("FullName", "Full Name", "string", length=255, calculated=True, **_RO),
        Field("Metadata", "Metadata", "complexvalue", calculated=True, **_RO),
    ),
    createable=False, updateable=False, deletable=False, tooling=True,
)  # fmt: skip

DATA_OBJECTS: tuple[SObject, ...] = (
    ORGANIZATION, PROFILE, USER_ROLE, USER, ACCOUNT, OPPORTUNITY_STAGE, OPPORTUNITY,
    OPPORTUNITY_HISTORY, OPPORTUNITY_FIELD_HISTORY, OPPORTUNITY_COMPETITOR, TASK, EVENT,
)  # fmt: skip
TOOLING_OBJECTS: tuple[SObject, ...] = (ENTITY_DEFINITION, VALIDATION_RULE)
ALL_OBJECTS = DATA_OBJECTS + TOOLING_OBJECTS

_DATA_BY_LOWER = {o.name.lower(): o for o in DATA_OBJECTS}
_TOOLING_BY_LOWER = {o.name.lower(): o for o in TOOLING_OBJECTS}
_BY_PREFIX = {o.key_prefix: o for o in ALL_OBJECTS}


def sobject(name: str, *, tooling: bool = False) -> SObject | None:
    """The object called `name` (case-insensitive) in the data API or the Tooling API."""
    return (_TOOLING_BY_LOWER if tooling else _DATA_BY_LOWER).get(name.lower())


def sobject_for_id(record_id: str) -> SObject | None:
    return _BY_PREFIX.get(record_id[:3])
