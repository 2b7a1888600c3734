"""SOQL statement builders. Values always go through `simple_salesforce.format_soql` (quoted and
escaped); names (objects, fields) cannot be quoted in SOQL, so they are checked instead: against
an identifier pattern always, and against the org's describe where a describe is given.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from simple_salesforce.format import format_soql

from salesforce.errors import SalesforceRequestError

# Field paths such as `Name`, `Owner.Name`, `Next_Meeting_Date__c`.
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,79}(?:\.[A-Za-z][A-Za-z0-9_]{0,79}){0,4}")
# The most ids per `IN (...)`: keeps a statement well under Salesforce's URL and SOQL limits.
IN_BATCH = 300


def check_name(name: str) -> str:
    """`name` if it is a plain (possibly dotted) API name, else SalesforceRequestError."""
    if not _NAME.fullmatch(name):
        raise SalesforceRequestError("INVALID_FIELD", "not an API name", (name[:80],))
    return name


def describe_field_names(describe: dict[str, Any]) -> set[str]:
    return {str(f["name"]) for f in describe.get("fields", ())}


def check_fields(fields: Sequence[str], describe: dict[str, Any] | None = None) -> list[str]:
    """The field list, each name checked (and, given a describe, known to the sObject)."""
    known = {n.lower() for n in describe_field_names(describe)} if describe else None
    checked = []
    for name in fields:
        check_name(name)
        if known is not None and "." not in name and name.lower() not in known:
            raise SalesforceRequestError("INVALID_FIELD", "no such field", (name,))
        checked.append(name)
    return checked


def select(
    sobject: str,
    fields: Sequence[str],
    *,
    describe: dict[str, Any] | None = None,
    where: str = "",
    order_by: str = "",
    **values: Any,
) -> str:
    """`SELECT fields FROM sobject [WHERE where] [ORDER BY order_by]`.

    `where` is a format_soql template: `{name}` placeholders are filled from `values`, quoted.
    """
    names = ", ".join(check_fields(fields, describe))
    statement = f"SELECT {names} FROM {check_name(sobject)}"
    if where:
        statement += " WHERE " + format_soql(where, **values)
    if order_by:
        statement += " ORDER BY " + order_by
    return statement


def since(
    sobject: str,
    fields: Sequence[str],
    *,
    modstamp_field: str,
    after: datetime | None,
    describe: dict[str, Any] | None = None,
    extra_where: str = "",
) -> str:
    """Rows changed after `after` (by `modstamp_field`); every row when `after` is None.

    `extra_where` is a constant condition (no values) ANDed in, e.g. `What.Type = 'Opportunity'`.
    """
    check_name(modstamp_field)
    clauses = [f"({extra_where})"] if extra_where else []
    if after is not None:
        clauses.append(f"{modstamp_field} > {{after}}")
    return select(sobject, fields, describe=describe, where=" AND ".join(clauses), after=after)


def by_ids(
    sobject: str, fields: Sequence[str], key_field: str, ids: Iterable[str], *,
    batch: int = IN_BATCH, describe: dict[str, Any] | None = None,
) -> Iterator[str]:  # fmt: skip
    """One `key_field IN (...)` statement per batch of ids (deduplicated, order kept)."""
    check_name(key_field)
    unique = list(dict.fromkeys(ids))
    for start in range(0, len(unique), batch):
        chunk = unique[start : start + batch]
        yield select(sobject, fields, describe=describe, where=f"{key_field} IN {{ids}}", ids=chunk)


def stages_query() -> str:
    return select(
        "OpportunityStage",
        [
            "Id", "ApiName", "MasterLabel", "SortOrder", "IsActive", "IsClosed", "IsWon",
            "DefaultProbability", "ForecastCategoryName",
        ],
        order_by="SortOrder",
    )  # fmt: skip
