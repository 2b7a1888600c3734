"""`Opportunity.field(name)`: any mirrored field, with its catalog metadata and display value."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from resolvers.context import RequestContext
from resolvers.errors import UnknownFieldError
from store.models import Opportunity

SOBJECT = "Opportunity"


@dataclass(frozen=True)
class FieldValue:
    name: str
    label: str
    type: str
    value: Any
    display_value: str | None


def _describe_field(describe: dict[str, Any] | None, name: str) -> dict[str, Any] | None:
    if not describe:
        return None
    wanted = name.lower()
    for entry in describe.get("fields", []):
        if isinstance(entry, dict) and str(entry.get("name", "")).lower() == wanted:
            return entry
    return None


def display_value(meta: dict[str, Any], value: Any) -> str | None:
    if value is None:
        return None
    kind = meta.get("type")
    if kind in {"picklist", "multipicklist"}:
        labels = {
            entry.get("value"): entry.get("label")
            for entry in meta.get("picklistValues", [])
            if isinstance(entry, dict)
        }
        parts = str(value).split(";") if kind == "multipicklist" else [str(value)]
        return "; ".join(str(labels.get(part) or part) for part in parts)
    if kind == "boolean":
        return "Yes" if value else "No"
    if kind == "currency" and type(value) in (int, float, Decimal):
        return _currency_text(value, meta.get("scale"))
    return str(value)


def _currency_text(value: int | float | Decimal, scale: object) -> str:
    """Grouped digits at the field's scale (2 unless the describe says otherwise), computed on
    the exact decimal: a float counts as its shortest decimal (1234567.305 is "1,234,567.31",
    where formatting the double would print its binary value, 1,234,567.30)."""
    places = scale if type(scale) is int and 0 <= scale <= 18 else 2
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    try:
        rounded = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    except InvalidOperation:  # NaN, infinities, more digits than a decimal context holds
        return str(value)
    return f"{rounded.copy_abs() if rounded.is_zero() else rounded:,f}"  # never "-0.00"


async def field_value(context: RequestContext, opportunity: Opportunity, name: str) -> FieldValue:
    describe = await (await context.loaders()).catalogs.load(SOBJECT)
    meta = _describe_field(describe, name)
    if meta is None:
        # Without a catalog (never described) the mirrored keys still say what exists.
        key = next((k for k in opportunity.fields if k.lower() == name.lower()), None)
        if describe or key is None:
            raise UnknownFieldError(f"Opportunity has no field named {name!r}", field="name")
        meta = {"name": key, "label": key, "type": "unknown"}
    api_name = str(meta.get("name"))
    value = next((v for k, v in opportunity.fields.items() if k.lower() == api_name.lower()), None)
    return FieldValue(
        name=api_name,
        label=str(meta.get("label") or api_name),
        type=str(meta.get("type") or "unknown"),
        value=value,
        display_value=display_value(meta, value),
    )
