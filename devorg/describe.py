"""Describe results built from the catalog: global describe, sObject basic info, and full
describe with Salesforce's field and object keys (the same key set a real org returns, so
clients that read any of them see a value of the right type).
"""

from __future__ import annotations

from typing import Any

from devorg import catalog
from devorg.catalog import Field, SObject

_SOAP_TYPES = {
    "id": "tns:ID", "reference": "tns:ID", "boolean": "xsd:boolean", "currency": "xsd:double",
    "double": "xsd:double", "percent": "xsd:double", "int": "xsd:int", "date": "xsd:date",
    "datetime": "xsd:dateTime", "anyType": "xsd:anyType", "complexvalue": "urn:JsonValue",
}  # fmt: skip
# The name child records are reached by in SOQL subqueries, per (child object, its field).
CHILD_RELATIONSHIP_NAMES = {
    ("Opportunity", "AccountId"): "Opportunities",
    ("Task", "WhatId"): "Tasks",
    ("Event", "WhatId"): "Events",
    ("OpportunityHistory", "OpportunityId"): "OpportunityHistories",
    ("OpportunityFieldHistory", "OpportunityId"): "Histories",
    ("OpportunityCompetitor", "OpportunityId"): "OpportunityCompetitors",
    ("User", "ManagerId"): "ManagedUsers",
    ("UserRole", "ParentRoleId"): None,
}
_CASCADE_DELETE = {("OpportunityCompetitor", "OpportunityId"), ("Task", "WhatId"),
                   ("Event", "WhatId"), ("OpportunityHistory", "OpportunityId"),
                   ("OpportunityFieldHistory", "OpportunityId")}  # fmt: skip
# Describe's defaultValue in picklistValues, per (object, field).
PICKLIST_DEFAULTS = {("Task", "Status"): "Not Started", ("Task", "Priority"): "Normal"}
_NAME_FIELDS = {"Task": "Subject", "Event": "Subject", "ValidationRule": "ValidationName",
                "OpportunityStage": "MasterLabel"}  # fmt: skip
_LONG_TEXT = 255
_UNSIZED = ("currency", "double", "percent", "int", "boolean", "date", "datetime")


def _base(version: str) -> str:
    return f"/services/data/v{version}"


def _is_name_field(sobj: SObject, fld: Field) -> bool:
    return fld.name == _NAME_FIELDS.get(sobj.name, "Name")


def _filterable(fld: Field) -> bool:
    long_text = fld.type == "textarea" and fld.length > _LONG_TEXT
    return not long_text and fld.type not in ("anyType", "complexvalue")


def _groupable(fld: Field) -> bool:
    return _filterable(fld) and fld.type in (
        "id", "reference", "string", "picklist", "boolean", "date", "int", "email", "phone",
    )  # fmt: skip


def _byte_length(fld: Field) -> int:
    if fld.type in ("id", "reference"):
        return 18
    if fld.type in ("string", "textarea", "picklist", "email", "phone", "url", "anyType"):
        return fld.length * 3
    return 0


def picklist_values(sobj: SObject, fld: Field) -> list[dict[str, Any]]:
    default = PICKLIST_DEFAULTS.get((sobj.name, fld.name))
    return [
        {"active": True, "defaultValue": v == default, "label": v, "validFor": None, "value": v}
        for v in fld.picklist
    ]


def describe_field(sobj: SObject, fld: Field) -> dict[str, Any]:
    """One entry of `fields` in an sObject describe."""
    is_int = fld.type == "int"
    polymorphic = len(fld.reference_to) > 1
    return {
        "aggregatable": _filterable(fld) and fld.type != "boolean",
        "aiPredictionField": False,
        "autoNumber": False,
        "byteLength": _byte_length(fld),
        "calculated": fld.calculated,
        "calculatedFormula": None,
        "cascadeDelete": False,
        "caseSensitive": False,
        "compoundFieldName": None,
        "controllerName": None,
        "createable": fld.createable,
        "custom": fld.custom,
        "defaultValue": False if fld.type == "boolean" and fld.defaulted_on_create else None,
        "defaultValueFormula": None,
        "defaultedOnCreate": fld.defaulted_on_create or fld.type == "boolean",
        "dependentPicklist": False,
        "deprecatedAndHidden": False,
        "digits": fld.precision if is_int else 0,
        "displayLocationInDecimal": False,
        "encrypted": False,
        "externalId": False,
        "extraTypeInfo": "plaintextarea" if fld.type == "textarea" else None,
        "filterable": _filterable(fld),
        "filteredLookupInfo": None,
        "formulaTreatNullNumberAsZero": False,
        "groupable": _groupable(fld),
        "highScaleNumber": False,
        "htmlFormatted": False,
        "idLookup": fld.type == "id" or fld.name == "Username",
        "inlineHelpText": None,
        "label": fld.label,
        "length": 0 if fld.type in _UNSIZED else fld.length,
        "mask": None,
        "maskType": None,
        "name": fld.name,
        "nameField": _is_name_field(sobj, fld),
        "namePointing": polymorphic,
        "nillable": fld.nillable,
        "permissionable": fld.nillable and (fld.createable or fld.updateable),
        "picklistValues": picklist_values(sobj, fld),
        "polymorphicForeignKey": polymorphic,
        "precision": 0 if is_int else fld.precision,
        "queryByDistance": False,
        "referenceTargetField": None,
        "referenceTo": list(fld.reference_to),
        "relationshipName": fld.relationship_name,
        "relationshipOrder": None,
        "restrictedDelete": False,
        "restrictedPicklist": fld.restricted_picklist,
        "scale": fld.scale,
        "searchPrefilterable": fld.type == "reference",
        "soapType": _SOAP_TYPES.get(fld.type, "xsd:string"),
        "sortable": _filterable(fld),
        "type": fld.type,
        "unique": fld.name == "Username",
        "updateable": fld.updateable,
        "writeRequiresMasterRead": False,
    }


def object_urls(version: str, sobj: SObject) -> dict[str, str]:
    base = f"{_base(version)}/sobjects/{sobj.name}"
    return {
        "rowTemplate": f"{base}/{{ID}}",
        "defaultValues": f"{base}/defaultValues?recordTypeId&fields",
        "describe": f"{base}/describe",
        "sobject": base,
    }


def global_entry(version: str, sobj: SObject) -> dict[str, Any]:
    """One entry of the global describe's `sobjects` list (also basic info's objectDescribe)."""
    return {
        "activateable": False,
        "associateEntityType": "History" if sobj.name == "OpportunityFieldHistory" else None,
        "associateParentEntity": "Opportunity" if sobj.name == "OpportunityFieldHistory" else None,
        "createable": sobj.createable,
        "custom": False,
        "customSetting": False,
        "deepCloneable": False,
        "deletable": sobj.deletable,
        "deprecatedAndHidden": False,
        "feedEnabled": sobj.name in ("Account", "Opportunity", "User"),
        "hasSubtypes": False,
        "isInterface": False,
        "isSubtype": False,
        "keyPrefix": sobj.key_prefix,
        "label": sobj.label,
        "labelPlural": sobj.label_plural,
        "layoutable": sobj.createable,
        "mergeable": sobj.name == "Account",
        "mruEnabled": sobj.createable,
        "name": sobj.name,
        "queryable": True,
        "replicateable": sobj.replicateable,
        "retrieveable": True,
        "searchable": sobj.createable,
        "triggerable": sobj.createable,
        "undeletable": sobj.deletable,
        "updateable": sobj.updateable,
        "urls": object_urls(version, sobj),
    }


def global_describe(version: str) -> dict[str, Any]:
    return {
        "encoding": "UTF-8",
        "maxBatchSize": 200,
        "sobjects": [global_entry(version, o) for o in catalog.DATA_OBJECTS],
    }


def child_relationships(sobj: SObject) -> list[dict[str, Any]]:
    """Every reference to `sobj` from a data object, as describe's childRelationships."""
    children = []
    for child in catalog.DATA_OBJECTS:
        for fld in child.fields:
            if fld.type != "reference" or sobj.name not in fld.reference_to:
                continue
            key = (child.name, fld.name)
            children.append(
                {
                    "cascadeDelete": key in _CASCADE_DELETE,
                    "childSObject": child.name,
                    "deprecatedAndHidden": False,
                    "field": fld.name,
                    "junctionIdListNames": [],
                    "junctionReferenceTo": [],
                    "relationshipName": CHILD_RELATIONSHIP_NAMES.get(key),
                    "restrictedDelete": False,
                }
            )
    return children


def describe_sobject(version: str, sobj: SObject) -> dict[str, Any]:
    """GET /sobjects/X/describe/."""
    result = global_entry(version, sobj)
    result.update(
        {
            "actionOverrides": [],
            "childRelationships": child_relationships(sobj),
            "compactLayoutable": sobj.createable,
            "dataTranslationEnabled": False,
            "defaultImplementation": None,
            "extendedBy": None,
            "extendsInterfaces": None,
            "fields": [describe_field(sobj, f) for f in sobj.fields],
            "implementedBy": None,
            "implementsInterfaces": None,
            "listviewable": None,
            "lookupLayoutable": None,
            "namedLayoutInfos": [],
            "networkScopeFieldName": None,
            "recordTypeInfos": [],
            "searchLayoutable": sobj.createable,
            "sobjectDescribeOption": "FULL",
            "supportedScopes": [{"label": "All records", "name": "everything"}]
            + ([{"label": "My records", "name": "mine"}] if sobj.field("OwnerId") else []),
        }
    )
    urls = dict(result["urls"])
    urls["layouts"] = f"{_base(version)}/sobjects/{sobj.name}/describe/layouts"
    result["urls"] = dict(sorted(urls.items()))
    return dict(sorted(result.items()))
