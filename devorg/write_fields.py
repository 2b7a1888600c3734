"""Turning the fields of a write request into stored column values, with Salesforce's checks.

Checks run in Salesforce's order: the body must deserialize (unknown field → INVALID_FIELD,
wrong JSON type → JSON_PARSER_ERROR), then field-level security (INVALID_FIELD_FOR_INSERT_UPDATE),
then each value (restricted picklist, length, numeric range, id shape, referenced record).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from devorg import catalog
from devorg.catalog import Field, SObject
from devorg.db import OrgDatabase, parse_sf_datetime, sf_datetime
from devorg.ids import normalize_id
from devorg.write_body import JsonObject, WriteError, deserialize_error, write_error

# Jackson type names Salesforce shows in JSON_PARSER_ERROR messages, by describe type.
_JSON_TYPE_NAMES = {
    "currency": "currency", "double": "double", "percent": "percent", "int": "int",
    "boolean": "boolean", "date": "date", "datetime": "datetime",
}  # fmt: skip
_TEXT_TYPES = ("string", "textarea", "picklist", "email", "phone", "url", "id", "reference")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Beyond a double's range; also keeps int() from building a huge integer out of "1e999999999".
_MAX_EXPONENT = 308
# Keys a record body may carry that are not fields.
_META_KEYS = ("attributes",)


def java_double(value: float) -> str:
    """A number as Java's Double.toString prints it (Salesforce's messages show that form)."""
    if value == 0:
        return "0.0"
    magnitude = abs(value)
    if 1e-3 <= magnitude < 1e7:
        text = repr(float(value))
        return text if "e" not in text else f"{value:.1f}"
    mantissa, exponent = f"{value:.15E}".split("E")
    mantissa = mantissa.rstrip("0")
    if mantissa.endswith("."):
        mantissa += "0"
    return f"{mantissa}E{int(exponent)}"


def _coerce_text(value: Any, pos: tuple[int, int]) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    raise deserialize_error("string", value, pos)


def _coerce_number(fld: Field, value: Any, pos: tuple[int, int]) -> float | int:
    type_name = _JSON_TYPE_NAMES[fld.type]
    number: Decimal
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise deserialize_error(type_name, value, pos)
    try:
        number = Decimal(value.strip() if isinstance(value, str) else repr(value))
    except InvalidOperation as exc:
        raise deserialize_error(type_name, value, pos) from exc
    if not number.is_finite() or number.adjusted() > _MAX_EXPONENT:
        raise deserialize_error(type_name, value, pos)
    if fld.type == "int":
        if number != number.to_integral_value():
            raise deserialize_error(type_name, value, pos)
        return int(number)
    return float(number)


def _coerce_boolean(value: Any, pos: tuple[int, int]) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return int(value.strip().lower() == "true")
    raise deserialize_error("boolean", value, pos)


def _coerce_date(value: Any, pos: tuple[int, int]) -> str:
    if isinstance(value, str):
        text = value.strip()
        try:
            if _DATE.match(text):
                return date.fromisoformat(text).isoformat()
            if "T" in text:  # Salesforce accepts a datetime for a date field and keeps the day.
                return parse_sf_datetime(text).date().isoformat()
        except ValueError:
            pass
    raise deserialize_error("date", value, pos)


def _coerce_datetime(value: Any, pos: tuple[int, int]) -> str:
    if isinstance(value, str):
        text = value.strip()
        try:
            if _DATE.match(text):
                return sf_datetime(parse_sf_datetime(text + "T00:00:00Z"))
            if "T" in text:
                return sf_datetime(parse_sf_datetime(text))
        except ValueError:
            pass
    raise deserialize_error("datetime", value, pos)


def coerce(fld: Field, value: Any, pos: tuple[int, int]) -> Any:
    """The stored form of a JSON value for `fld`, or JSON_PARSER_ERROR."""
    if value is None:
        return 0 if fld.type == "boolean" else None  # a null checkbox saves as false
    if fld.type in ("currency", "double", "percent", "int"):
        return _coerce_number(fld, value, pos)
    if fld.type == "boolean":
        return _coerce_boolean(value, pos)
    if fld.type == "date":
        return _coerce_date(value, pos)
    if fld.type == "datetime":
        return _coerce_datetime(value, pos)
    if fld.type in _TEXT_TYPES:
        return _coerce_text(value, pos)
    raise deserialize_error(fld.type, value, pos)


def read_fields(
    sobj: SObject, body: JsonObject, *, creating: bool, skip: tuple[str, ...] = ()
) -> dict[str, Any]:
    """The request's fields as {API name: stored value}; unknown fields and bad JSON types fail.

    `skip` names keys (lower case) that are not fields in this context, such as a collection
    record's `id`.
    """
    values: dict[str, Any] = {}
    for key, raw in body.values.items():
        if key in _META_KEYS or key.lower() in skip:
            continue
        fld = sobj.field(key)
        if fld is None:
            raise write_error(
                "INVALID_FIELD", f"No such column '{key}' on sobject of type {sobj.name}", [key]
            )
        values[fld.name] = coerce(fld, raw, body.ends.get(key, body.start))
    if creating and "Id" in values:
        raise write_error("INVALID_FIELD_FOR_INSERT_UPDATE", "cannot specify Id in an insert call",
                          ["Id"])  # fmt: skip
    return values


def check_writable(sobj: SObject, values: Mapping[str, Any], *, creating: bool) -> None:
    """Field-level security: read-only fields in the request fail together, in one error."""
    refused = [
        name
        for name in values
        if name != "Id"
        and not ((f := sobj.field(name)) and (f.createable if creating else f.updateable))
    ]
    if refused:
        raise write_error(
            "INVALID_FIELD_FOR_INSERT_UPDATE",
            f"Unable to create/update fields: {', '.join(refused)}. Please check the security "
            "settings of this field and verify that it is read/write for your profile or "
            "permission set.",
            refused,
        )


def _check_number(fld: Field, value: float | int) -> float | int:
    if fld.type == "int":
        digits = fld.precision or 9
        if abs(value) >= 10**digits:
            raise _out_of_range(fld, value)
        return value
    scale = fld.scale
    rounded = Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-scale), ROUND_HALF_UP)
    if fld.precision and abs(rounded) >= Decimal(10) ** (fld.precision - scale):
        raise _out_of_range(fld, value)
    return float(rounded)


def _out_of_range(fld: Field, value: float | int) -> WriteError:
    return write_error(
        "NUMBER_OUTSIDE_VALID_RANGE",
        f"{fld.label}: value outside of valid range on numeric field: {java_double(value)}",
        [fld.name],
    )


def _check_text(fld: Field, value: str) -> None:
    if fld.type == "picklist" and fld.restricted_picklist and value not in fld.picklist:
        raise write_error(
            "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
            f"{fld.label}: bad value for restricted picklist field: {value[:255]}",
            [fld.name],
        )
    if fld.length and len(value) > fld.length and fld.type not in ("id", "reference"):
        shown = value if len(value) <= 1000 else value[:1000] + "..."
        raise write_error(
            "STRING_TOO_LONG",
            f"{fld.label}: data value too large: {shown} (max length={fld.length})",
            [fld.name],
        )
    if fld.type == "email" and value and not _EMAIL.match(value):
        raise write_error(
            "INVALID_EMAIL_ADDRESS", f"{fld.label}: invalid email address: {value}", [fld.name]
        )


def _check_reference(db: OrgDatabase, fld: Field, value: str) -> str:
    full = normalize_id(value)
    if full is None:
        raise write_error(
            "MALFORMED_ID", f"{fld.label}: id value of incorrect type: {value}", [fld.name]
        )
    targets = [t for t in (catalog.sobject(name) for name in fld.reference_to) if t is not None]
    target = next((t for t in targets if t.key_prefix == full[:3]), None)
    if target is None:
        raise write_error(
            "FIELD_INTEGRITY_EXCEPTION", f"{fld.label}: id value of incorrect type: {value}",
            [fld.name],
        )  # fmt: skip
    if db.get(target, full) is None:
        raise write_error("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id")
    return full


def check_values(db: OrgDatabase, sobj: SObject, values: dict[str, Any]) -> dict[str, Any]:
    """Each value checked against its field's metadata; returns the values to store."""
    checked: dict[str, Any] = {}
    for name, value in values.items():
        fld = sobj.field(name)
        assert fld is not None
        if value is None:
            checked[name] = None
        elif fld.type in ("currency", "double", "percent", "int"):
            checked[name] = _check_number(fld, value)
        elif fld.type == "reference":
            checked[name] = _check_reference(db, fld, value)
        elif isinstance(value, str):
            _check_text(fld, value)
            checked[name] = value
        else:
            checked[name] = value
    return checked


def check_required(sobj: SObject, row: Mapping[str, Any], touched: set[str] | None) -> None:
    """Non-nillable fields must hold a value (on update, only the fields the request set)."""
    missing = [
        f.name
        for f in sobj.fields
        if not f.nillable
        and (f.createable or f.updateable)
        and f.type != "boolean"
        and (touched is None or f.name in touched)
        and row.get(f.name) in (None, "")
    ]
    if missing:
        raise write_error(
            "REQUIRED_FIELD_MISSING", f"Required fields are missing: [{', '.join(missing)}]",
            missing,
        )  # fmt: skip


def add_minutes(moment_text: str, minutes: int) -> str:
    return sf_datetime(parse_sf_datetime(moment_text) + timedelta(minutes=minutes))
