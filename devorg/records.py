"""A stored record as the REST API returns it: `attributes`, then every field in describe order,
calculated fields (ExpectedRevenue, FiscalYear, FiscalQuarter) computed at read time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from devorg.catalog import Field, SObject
from devorg.db import to_json_value
from devorg.write_body import WriteError, write_error
from devorg.write_effects import expected_revenue


def record_url(version: str, sobj: SObject, record_id: str) -> str:
    return f"/services/data/v{version}/sobjects/{sobj.name}/{record_id}"


def calculated_value(fld: Field, row: Mapping[str, Any]) -> Any:
    """The read-time value of a calculated field (the org's fiscal year is the calendar year)."""
    if fld.name == "ExpectedRevenue":
        return expected_revenue(row)
    close = row.get("CloseDate")
    if fld.name == "FiscalYear":
        return int(close[:4]) if close else None
    if fld.name == "FiscalQuarter":
        return (int(close[5:7]) - 1) // 3 + 1 if close else None
    return None


def field_value(fld: Field, row: Mapping[str, Any]) -> Any:
    if fld.calculated:
        return calculated_value(fld, row)
    return to_json_value(fld, row.get(fld.name))


def select_fields(sobj: SObject, requested: str | None) -> list[Field]:
    """The fields of `?fields=A,B` (case-insensitive), or all; unknown names → INVALID_FIELD."""
    if requested is None:
        return [f for f in sobj.fields if sobj.name != "ValidationRule" or not f.calculated]
    chosen: list[Field] = []
    for name in (n.strip() for n in requested.split(",")):
        if not name:
            continue
        fld = sobj.field(name)
        if fld is None:
            raise _no_such_column(sobj, name)
        if fld not in chosen:
            chosen.append(fld)
    return chosen


def _no_such_column(sobj: SObject, name: str) -> WriteError:
    return write_error(
        "INVALID_FIELD",
        f"No such column '{name}' on entity '{sobj.name}'. If you are attempting to use a custom "
        "field, be sure to append the '__c' after the custom field name. Please reference your "
        "WSDL or the describe call for the appropriate names.",
    )


def record_json(
    version: str, sobj: SObject, row: Mapping[str, Any], fields: Sequence[Field]
) -> dict[str, Any]:
    """The REST representation of one stored row."""
    out: dict[str, Any] = {
        "attributes": {"type": sobj.name, "url": record_url(version, sobj, str(row["Id"]))}
    }
    for fld in fields:
        out[fld.name] = field_value(fld, row)
    return out
