"""Display values of `Opportunity.field(name)`, by describe type."""

from __future__ import annotations

from typing import Any

import pytest

from resolvers.fields import display_value

STAGES = {"type": "multipicklist", "picklistValues": [{"value": "a", "label": "Alpha"}]}


@pytest.mark.parametrize(
    ("meta", "value", "shown"),
    [
        ({"type": "picklist", "picklistValues": [{"value": "a", "label": "Alpha"}]}, "a", "Alpha"),
        ({"type": "picklist", "picklistValues": []}, "inactive", "inactive"),  # no label: value
        (STAGES, "a;b", "Alpha; b"),
        ({"type": "boolean"}, False, "No"),
        ({"type": "currency"}, 1234567.5, "1,234,567.50"),
        ({"type": "currency"}, 12, "12.00"),
        ({"type": "percent"}, 12.5, "12.5"),
        ({"type": "date"}, "2026-05-01", "2026-05-01"),
        ({"type": "string"}, None, None),
    ],
)
def test_display_value_by_type(meta: dict[str, Any], value: Any, shown: str | None) -> None:
    assert display_value(meta, value) == shown
