"""Display values of `Opportunity.field(name)`, by describe type."""

from __future__ import annotations

from decimal import Decimal
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
        # From the exact decimal: the double 1234567.305 formats as 1,234,567.30 by itself.
        ({"type": "currency"}, 1234567.305, "1,234,567.31"),
        ({"type": "currency"}, Decimal("9999999999999999.99"), "9,999,999,999,999,999.99"),
        ({"type": "currency", "scale": 0}, 2500000.5, "2,500,001"),
        ({"type": "currency", "scale": 0}, Decimal("-0.4"), "0"),
        ({"type": "currency"}, True, "True"),  # not a number, whatever Python says
        ({"type": "currency"}, float("inf"), "inf"),
        ({"type": "percent"}, 12.5, "12.5"),
        ({"type": "date"}, "2026-05-01", "2026-05-01"),
        ({"type": "string"}, None, None),
    ],
)
def test_display_value_by_type(meta: dict[str, Any], value: Any, shown: str | None) -> None:
    assert display_value(meta, value) == shown
