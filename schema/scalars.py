"""Scalars that differ from Strawberry's defaults, registered through the schema's `scalar_map`.

`Decimal` is money (DESIGN.md): an exact decimal serialised as a JSON string at its field's
scale ("58500.00", as Shopify's Admin API does), so no client's JSON reader turns it into a
binary float. Strawberry's own Decimal scalar takes whatever Python's `Decimal()` takes: "NaN",
"Infinity", " 5 ", "1_000" and non-ASCII digits among them. This one takes a string (or a JSON
number) in plain or exponent notation only, and refuses anything else while the request is
validated (GraphQL-over-HTTP: 400), never later as a server error. Whether a valid number is
in range for a field is the field's business (resolvers).
"""

from __future__ import annotations

import re
from decimal import Decimal, DecimalException

import strawberry
from strawberry.exceptions import StrawberryInputCoercionError
from strawberry.types.scalar import ScalarDefinition

MAX_DECIMAL_TEXT = 100  # characters: no amount needs more, and no error message echoes more
_DECIMAL_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_EXPECTED = 'a decimal number written as a string, such as "58500.00"'
_NOT_FINITE = frozenset({"nan", "snan", "inf", "infinity"})


def serialize_decimal(value: object) -> str:
    """Fixed-point text, never an exponent ("5000000" where str() could give "5E+6")."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"Decimal fields serialise Decimals, not {type(value).__name__}")
    return format(Decimal(value), "f")


def parse_decimal(value: object) -> Decimal:
    """A client's Decimal. Anything else is a coercion error: a GraphQLError, so the client's
    (a plain exception from a literal would count as a bug and be masked)."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise StrawberryInputCoercionError(f"Decimal: expected {_EXPECTED}")
    text = value if isinstance(value, str) else repr(value)  # repr: 1e+20, nan, inf
    if len(text) > MAX_DECIMAL_TEXT:
        raise StrawberryInputCoercionError(
            f"Decimal: expected {_EXPECTED}, of at most {MAX_DECIMAL_TEXT} characters"
        )
    if not _DECIMAL_TEXT.fullmatch(text):
        special = text.lstrip("+-").lower() in _NOT_FINITE
        raise StrawberryInputCoercionError(
            f"Decimal: expected {_EXPECTED}" + ("; NaN and infinities are not decimals" * special)
        )
    try:
        return Decimal(text)
    except DecimalException:  # an exponent beyond what Decimal can hold
        raise StrawberryInputCoercionError(f"Decimal: expected {_EXPECTED}") from None


DECIMAL: ScalarDefinition = strawberry.scalar(
    name="Decimal",
    description=(
        'An exact decimal number, serialised as a string ("58500.00"): amounts of money, '
        "at their field's scale, in the org's currency. As input, a string (a JSON number is "
        "accepted too) in plain or exponent notation."
    ),
    serialize=serialize_decimal,
    parse_value=parse_decimal,
)

SCALAR_MAP: dict[object, ScalarDefinition] = {Decimal: DECIMAL}
