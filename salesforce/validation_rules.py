"""The org's validation rules through the Tooling API, as `rules.validation_import` reads them.

Salesforce keeps a rule's formula out of the queryable fields: it is `Metadata`
(`errorConditionFormula`), and a query selecting `Metadata` must return at most one row
(MALFORMED_QUERY otherwise). So the rules cost one query for the list (the active rules of the
sObject, every page) plus one query per rule for its Metadata.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from rules.validation_import import ValidationRuleRecord
from salesforce.soql import select

LIST_FIELDS = ("Id", "ValidationName", "Active", "Description", "ErrorDisplayField", "ErrorMessage")

# Runs one Tooling API query, following its pages: every record.
ToolingQuery = Callable[[str], list[Any]]


def list_query(sobject: str) -> str:
    """The active validation rules of `sobject` (its API name), by name."""
    return select(
        "ValidationRule",
        LIST_FIELDS,
        where="EntityDefinition.QualifiedApiName = {entity} AND Active = true",
        order_by="ValidationName",
        entity=sobject,
    )


def metadata_query(rule_id: str) -> str:
    return select("ValidationRule", ("Id", "Metadata"), where="Id = {rule_id}", rule_id=rule_id)


def _text(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def _record(listed: Mapping[str, Any], metadata: Mapping[str, Any]) -> ValidationRuleRecord:
    """One rule from its list row and its Metadata (where both say it, the row wins: they
    agree on Salesforce, and the row is what the list query filtered on)."""
    return ValidationRuleRecord(
        id=str(listed["Id"]),
        name=str(listed["ValidationName"]),
        active=bool(listed.get("Active", metadata.get("active"))),
        description=_text(listed.get("Description", metadata.get("description"))),
        error_message=_text(listed.get("ErrorMessage")) or str(metadata.get("errorMessage") or ""),
        error_display_field=_text(
            listed.get("ErrorDisplayField", metadata.get("errorDisplayField"))
        ),
        formula=str(metadata.get("errorConditionFormula") or ""),
    )


def read_validation_rules(tooling_query: ToolingQuery, sobject: str) -> list[ValidationRuleRecord]:
    """The active validation rules of `sobject` with their formulas; a rule deleted between the
    list and its Metadata query is left out (it no longer exists)."""
    found = []
    for listed in tooling_query(list_query(sobject)):
        rows = tooling_query(metadata_query(str(listed["Id"])))
        if rows and isinstance(rows[0].get("Metadata"), Mapping):
            found.append(_record(listed, rows[0]["Metadata"]))
    return found
