"""What a rule can name, as a field catalog for `rules.formula.compile_formula`: the org's
Opportunity fields (from its describe), the fields of the related records dealpulse mirrors
(`Account.Industry`, `Owner.UserRole.Name`, ... as Salesforce formulas write them) and the
derived facts of `rules.fact_registry`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rules.fact_registry import EXPOSED_FACTS
from rules.formula.types import field_type

FACT_FIELDS: dict[str, str] = {fact.name: fact.formula_type for fact in EXPOSED_FACTS}

# Relationship path (from the opportunity) -> the sObject it reaches.
RELATIONSHIPS: dict[str, str] = {
    "Account": "Account",
    "Owner": "User",
    "Owner.Profile": "Profile",
    "Owner.UserRole": "UserRole",
}

# Every mirrored field of a related record, by its formula name, with its Salesforce type. Only
# the Opportunity describe is fetched and cached, so these are the types of the mirrored
# fields (the standard fields' types); a cached describe of the related sObject, where given
# to `rule_catalog`, takes precedence.
RELATED_FIELDS: dict[str, str] = {
    "Account.Id": "id",
    "Account.Name": "string",
    "Account.Type": "picklist",
    "Account.Industry": "picklist",
    "Account.BillingCountry": "string",
    "Account.NumberOfEmployees": "int",
    "Account.AnnualRevenue": "currency",
    "Account.OwnerId": "reference",
    "Owner.Id": "id",
    "Owner.Name": "string",
    "Owner.Username": "string",
    "Owner.Email": "email",
    "Owner.Title": "string",
    "Owner.IsActive": "boolean",
    "Owner.ManagerId": "reference",
    "Owner.UserRoleId": "reference",
    "Owner.Profile.Name": "string",
    "Owner.UserRole.Id": "id",
    "Owner.UserRole.Name": "string",
    "Owner.UserRole.ParentRoleId": "reference",
}


def split_related(name: str) -> tuple[str, str]:
    """A related field's relationship path and its field name there:
    `Owner.UserRole.Name` -> (`Owner.UserRole`, `Name`)."""
    relationship, _, field = name.rpartition(".")
    return relationship, field


def _describe_types(describe: Mapping[str, Any]) -> dict[str, str]:
    """Field name -> Salesforce type, for the fields of types formulas can read."""
    return {
        str(f["name"]): str(f["type"])
        for f in describe.get("fields", ())
        if field_type(str(f.get("type"))) is not None
    }


def related_types(describes: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """RELATED_FIELDS, each typed by the cached describe of its sObject (`describes`, by
    sObject name) when that describe has the field, else by the table."""
    by_sobject = {sobject: _describe_types(d) for sobject, d in describes.items()}
    types: dict[str, str] = {}
    for name, mirrored in RELATED_FIELDS.items():
        relationship, field = split_related(name)
        types[name] = by_sobject.get(RELATIONSHIPS[relationship], {}).get(field, mirrored)
    return types


def rule_catalog(
    describe: Mapping[str, Any], related_describes: Mapping[str, Mapping[str, Any]] | None = None
) -> dict[str, str]:
    """Field name -> Salesforce type for every describe field a formula can use (fields of
    types formulas cannot read, address, base64..., are left out), the related records'
    fields and the facts. `related_describes`: cached describes of Account, User...,
    by sObject name, where the org has them."""
    return {
        **_describe_types(describe),
        **related_types(related_describes or {}),
        **FACT_FIELDS,
    }
