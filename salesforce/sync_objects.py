"""What sync mirrors of each sObject: the fields it queries and how a record becomes a row.

Opportunity's field list comes from the org's describe (`opportunity_fields`); the other objects
query the few fields dealpulse uses. Converters turn REST values (ISO text dates, nested
relationship objects) into the typed column values of `store.models`.

Numbers: the gateway parses JSON numbers with a fraction as exact Decimals (never through a
float), so the money columns get exactly the digits Salesforce sent. The `fields` JSON keeps
plain JSON numbers, as before.

Organization (the org's one record: its time zone and corporate currency) is mirrored with the
full passes only (it changes when an admin edits Company Information, hardly ever) and is
optional: an org that refuses the query (a field its edition lacks, a permission) keeps
syncing everything else, and the Organization SyncState says why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlmodel import SQLModel

from store.models import (
    AMOUNT,
    ANNUAL_REVENUE,
    Account,
    Activity,
    Opportunity,
    OpportunityCompetitor,
    OpportunityFieldHistory,
    OpportunityHistory,
    Organization,
    SfUser,
    UserRole,
)
from store.types import Money

# Field types that are not mirrored: compound parents (their components are), binary, and
# types SOQL cannot filter or that have no plain value.
_SKIPPED_TYPES = frozenset({"address", "location", "base64", "anyType", "complexvalue"})
LONG_TEXT = 255
# Always selected (and required) for an Opportunity, whatever else the describe offers.
_OPPORTUNITY_REQUIRED = ("Id", "IsDeleted", "SystemModstamp", "Name", "StageName", "OwnerId")


def sf_datetime(value: Any) -> datetime | None:
    """An aware UTC datetime from Salesforce text ("2024-05-01T10:00:00.000+0000")."""
    if not isinstance(value, str) or not value:
        return None
    text = value.replace("Z", "+00:00")
    if len(text) >= 5 and text[-5] in "+-" and text[-3] != ":":
        text = text[:-2] + ":" + text[-2:]
    parsed = datetime.fromisoformat(text)
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)


def sf_date(value: Any) -> date | None:
    if not isinstance(value, str) or len(value) < 10:
        return None
    return date.fromisoformat(value[:10])


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _money(value: Any, money: Money) -> Decimal | None:
    """An exact amount at the column's scale, rounded half up as Salesforce rounds a currency
    field on save. A float (from a client that parsed JSON itself) counts as its shortest
    decimal, 0.3 rather than 0.299999999999999988898."""
    if value is None:
        return None
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    return money.rounded(number, ROUND_HALF_UP)


def _json_value(value: Any) -> Any:
    """`value` as the `fields` JSON holds it: a Decimal from the gateway becomes a JSON number
    again (a float, what a plain JSON parser gives)."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {k: _json_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_value(v) for v in value]
    return value


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _related(record: dict[str, Any], relationship: str, field: str) -> Any:
    parent = record.get(relationship)
    return parent.get(field) if isinstance(parent, dict) else None


def opportunity_fields(describe: dict[str, Any]) -> tuple[str, ...]:
    """Every describe field except long text areas (textarea longer than 255), compound
    parents (address/location), base64 and anyType fields."""
    names: list[str] = []
    for field in describe.get("fields", ()):
        kind = field.get("type")
        if kind in _SKIPPED_TYPES:
            continue
        if kind == "textarea" and int(field.get("length") or 0) > LONG_TEXT:
            continue
        names.append(str(field["name"]))
    missing = [n for n in _OPPORTUNITY_REQUIRED if n not in names]
    if missing:
        raise ValueError(f"the Opportunity describe lacks {missing}")
    return tuple(names)


def opportunity_row(record: dict[str, Any]) -> dict[str, Any]:
    fields = {k: _json_value(v) for k, v in record.items() if k != "attributes"}
    return {
        "id": record["Id"],
        "name": record.get("Name") or "",
        "account_id": record.get("AccountId"),
        "owner_id": record.get("OwnerId") or "",
        "stage_name": record.get("StageName") or "",
        "amount": _money(record.get("Amount"), AMOUNT),
        "close_date": sf_date(record.get("CloseDate")),
        "probability": _float(record.get("Probability")),
        "forecast_category_name": record.get("ForecastCategoryName"),
        "is_closed": bool(record.get("IsClosed")),
        "is_won": bool(record.get("IsWon")),
        "type": record.get("Type"),
        "lead_source": record.get("LeadSource"),
        "next_step": record.get("NextStep"),
        "created_date": sf_datetime(record.get("CreatedDate")),
        "last_modified_date": sf_datetime(record.get("LastModifiedDate")),
        "system_modstamp": sf_datetime(record.get("SystemModstamp")),
        "is_deleted": bool(record.get("IsDeleted")),
        "fields": fields,
    }


def _organization_row(r: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": r["Id"],
        "name": r.get("Name"),
        "time_zone_sid_key": r.get("TimeZoneSidKey"),
        "default_currency_iso_code": r.get("DefaultCurrencyIsoCode"),
        "system_modstamp": sf_datetime(r.get("SystemModstamp")),
    }


def _user_role_row(r: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": r["Id"],
        "name": r.get("Name") or "",
        "parent_role_id": r.get("ParentRoleId"),
        "system_modstamp": sf_datetime(r.get("SystemModstamp")),
    }


def _user_row(r: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": r["Id"],
        "name": r.get("Name") or "",
        "username": r.get("Username") or "",
        "email": r.get("Email"),
        "title": r.get("Title"),
        "is_active": bool(r.get("IsActive")),
        "manager_id": r.get("ManagerId"),
        "user_role_id": r.get("UserRoleId"),
        "profile_name": _related(r, "Profile", "Name"),
        "system_modstamp": sf_datetime(r.get("SystemModstamp")),
    }


def _account_row(r: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": r["Id"],
        "name": r.get("Name") or "",
        "type": r.get("Type"),
        "industry": r.get("Industry"),
        "billing_country": r.get("BillingCountry"),
        "number_of_employees": _int(r.get("NumberOfEmployees")),
        "annual_revenue": _money(r.get("AnnualRevenue"), ANNUAL_REVENUE),
        "owner_id": r.get("OwnerId"),
        "system_modstamp": sf_datetime(r.get("SystemModstamp")),
        "is_deleted": bool(r.get("IsDeleted")),
    }


def _history_row(r: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": r["Id"],
        "opportunity_id": r.get("OpportunityId") or "",
        "stage_name": r.get("StageName"),
        "amount": _money(r.get("Amount"), AMOUNT),
        "close_date": sf_date(r.get("CloseDate")),
        "probability": _float(r.get("Probability")),
        "created_date": sf_datetime(r.get("CreatedDate")),
        "system_modstamp": sf_datetime(r.get("SystemModstamp")),
        "is_deleted": bool(r.get("IsDeleted")),
    }


def _field_history_row(r: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": r["Id"],
        "opportunity_id": r.get("OpportunityId") or "",
        "field": r.get("Field") or "",
        "old_value": _text(r.get("OldValue")),
        "new_value": _text(r.get("NewValue")),
        "created_date": sf_datetime(r.get("CreatedDate")),
        "is_deleted": bool(r.get("IsDeleted")),
    }


def _competitor_row(r: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": r["Id"],
        "opportunity_id": r.get("OpportunityId") or "",
        "competitor_name": r.get("CompetitorName"),
        "strengths": r.get("Strengths"),
        "weaknesses": r.get("Weaknesses"),
        "system_modstamp": sf_datetime(r.get("SystemModstamp")),
        "is_deleted": bool(r.get("IsDeleted")),
    }


def _activity_row(kind: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def convert(r: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": r["Id"],
            "kind": kind,
            "what_id": r.get("WhatId"),
            "subject": r.get("Subject"),
            "activity_date": sf_date(r.get("ActivityDate")),
            "start_datetime": sf_datetime(r.get("StartDateTime")),
            "is_closed": bool(r.get("IsClosed")),
            "system_modstamp": sf_datetime(r.get("SystemModstamp")),
            "is_deleted": bool(r.get("IsDeleted")),
        }

    return convert


@dataclass(frozen=True)
class ObjectSpec:
    """How one sObject is mirrored."""

    sobject: str
    model: type[SQLModel]
    fields: tuple[str, ...]
    to_row: Callable[[dict[str, Any]], dict[str, Any]]
    # Incremental sync compares this field with the watermark (history rows are immutable and
    # OpportunityFieldHistory has no SystemModstamp: CreatedDate).
    modstamp_field: str = "SystemModstamp"
    # Has IsDeleted: incremental queries go to queryAll and bring deletions in the same call.
    has_is_deleted: bool = True
    extra_where: str = ""
    # The field naming the opportunity whose derived facts a change of this row affects.
    opportunity_key: str | None = None
    # A record formulas read through an opportunity's relationships (Account.Industry,
    # Owner.UserRole.Name: rules.catalog.RELATIONSHIPS): its change re-evaluates the open
    # opportunities that reach it, though none of them changed.
    read_through_opportunities: bool = False
    # Best effort: when Salesforce refuses the query, the failure is recorded on this object's
    # SyncState and the rest of the pass goes on.
    optional: bool = False


# Activities related to a record. `What.Type = 'Opportunity'` would be tighter but devorg does
# not support polymorphic relationships, and a task moved from an opportunity to an account must
# still be seen to leave the opportunity: activities on accounts are mirrored too (facts ignore
# them).
_ACTIVITY_WHERE = "WhatId != null"


def object_specs(opportunity_describe: dict[str, Any]) -> tuple[ObjectSpec, ...]:
    """Every mirrored object, in sync order (parents before children)."""
    return (
        ObjectSpec("Organization", Organization,
                   ("Id", "Name", "TimeZoneSidKey", "DefaultCurrencyIsoCode", "SystemModstamp"),
                   _organization_row, has_is_deleted=False, optional=True),
        ObjectSpec("UserRole", UserRole, ("Id", "Name", "ParentRoleId", "SystemModstamp"),
                   _user_role_row, has_is_deleted=False, read_through_opportunities=True),
        ObjectSpec("User", SfUser,
                   ("Id", "Name", "Username", "Email", "Title", "IsActive", "ManagerId",
                    "UserRoleId", "Profile.Name", "SystemModstamp"),
                   _user_row, has_is_deleted=False, read_through_opportunities=True),
        ObjectSpec("Account", Account,
                   ("Id", "Name", "Type", "Industry", "BillingCountry", "NumberOfEmployees",
                    "AnnualRevenue", "OwnerId", "SystemModstamp", "IsDeleted"),
                   _account_row, read_through_opportunities=True),
        ObjectSpec("Opportunity", Opportunity, opportunity_fields(opportunity_describe),
                   opportunity_row, opportunity_key="Id"),
        ObjectSpec("OpportunityHistory", OpportunityHistory,
                   ("Id", "OpportunityId", "StageName", "Amount", "CloseDate", "Probability",
                    "CreatedDate", "SystemModstamp", "IsDeleted"),
                   _history_row, opportunity_key="OpportunityId"),
        ObjectSpec("OpportunityFieldHistory", OpportunityFieldHistory,
                   ("Id", "OpportunityId", "Field", "OldValue", "NewValue", "CreatedDate",
                    "IsDeleted"),
                   _field_history_row, modstamp_field="CreatedDate",
                   opportunity_key="OpportunityId"),
        ObjectSpec("OpportunityCompetitor", OpportunityCompetitor,
                   ("Id", "OpportunityId", "CompetitorName", "Strengths", "Weaknesses",
                    "SystemModstamp", "IsDeleted"),
                   _competitor_row, opportunity_key="OpportunityId"),
        ObjectSpec("Task", Activity,
                   ("Id", "WhatId", "Subject", "ActivityDate", "IsClosed", "SystemModstamp",
                    "IsDeleted"),
                   _activity_row("Task"), extra_where=_ACTIVITY_WHERE, opportunity_key="WhatId"),
        ObjectSpec("Event", Activity,
                   ("Id", "WhatId", "Subject", "ActivityDate", "StartDateTime",
                    "SystemModstamp", "IsDeleted"),
                   _activity_row("Event"), extra_where=_ACTIVITY_WHERE,
                   opportunity_key="WhatId"),
    )  # fmt: skip


def stage_row(record: dict[str, Any]) -> dict[str, Any]:
    """An OpportunityStage record as a store row (without org_id)."""
    probability = record.get("DefaultProbability")
    return {
        "id": record["Id"],
        "api_name": record.get("ApiName") or record.get("MasterLabel") or "",
        "label": record.get("MasterLabel") or record.get("ApiName") or "",
        "sort_order": int(record.get("SortOrder") or 0),
        "is_active": bool(record.get("IsActive")),
        "is_closed": bool(record.get("IsClosed")),
        "is_won": bool(record.get("IsWon")),
        "default_probability": None if probability is None else float(probability),
        "forecast_category_name": record.get("ForecastCategoryName"),
    }
