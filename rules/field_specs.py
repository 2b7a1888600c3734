"""A fix field's editor metadata, from the stored `describe` of Opportunity (pure).

The to-do list shows it so a client renders an inline editor with no further call; the
quick-fix value checker builds on the same `FieldSpec`, so what the editor offers and what a
write accepts agree. `required` follows what Salesforce enforces on save: a field that is not
nillable and not defaulted on create; a boolean is never required (it is always true or false).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class PicklistValue:
    value: str
    label: str


@dataclass(frozen=True)
class FieldSpec:
    """One describe field as an editor needs it. `picklist_values`: the active values only, in
    the describe's order. `precision`: digits in all, for numbers (an int's `digits`)."""

    name: str
    label: str
    type: str
    length: int | None
    precision: int | None
    scale: int | None
    required: bool
    updateable: bool
    restricted_picklist: bool
    picklist_values: tuple[PicklistValue, ...]
    help_text: str | None

    @classmethod
    def from_describe(cls, field: Mapping[str, Any]) -> FieldSpec:
        kind = str(field.get("type") or "string")
        required = (
            kind != "boolean"
            and field.get("nillable") is False
            and not field.get("defaultedOnCreate", False)
        )
        values = tuple(
            PicklistValue(
                value=str(entry["value"]), label=str(entry.get("label") or entry["value"])
            )
            for entry in field.get("picklistValues") or ()
            if isinstance(entry, Mapping) and entry.get("active", True) and "value" in entry
        )
        return cls(
            name=str(field["name"]),
            label=str(field.get("label") or field["name"]),
            type=kind,
            length=_positive(field.get("length")),
            # An int's describe says precision 0 and carries its digits in `digits`.
            precision=_positive(field.get("digits" if kind == "int" else "precision")),
            scale=_count(field.get("scale")),
            required=required,
            updateable=bool(field.get("updateable", False)),
            restricted_picklist=bool(field.get("restrictedPicklist", False)),
            picklist_values=values,
            help_text=field.get("inlineHelpText") or None,
        )


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _positive(value: Any) -> int | None:
    # The describe says 0 for "not applicable" (a date's length, a string's precision).
    found = _count(value)
    return found if found else None


def field_specs(describe: Mapping[str, Any] | None) -> dict[str, FieldSpec]:
    """Every field of a stored describe by API name (empty when there is none yet)."""
    fields = (describe or {}).get("fields") or ()
    return {
        spec.name: spec
        for spec in (
            FieldSpec.from_describe(field)
            for field in fields
            if isinstance(field, Mapping) and field.get("name")
        )
    }
