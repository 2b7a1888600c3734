"""Formula types and the mapping from Salesforce field types to them.

A formula value has one of the `FormulaType`s below. `FormulaType` is a `StrEnum`, so
`FormulaType.CHECKBOX == "checkbox"` and a compiled formula's `result_type` compares equal to
the plain strings of the public interface.

`NULL` is the type of the literal `NULL` (and of `BLANKVALUE(NULL, NULL)`...): a blank of no
particular type, accepted wherever any type is expected.

Numbers: `NUMBER`, `CURRENCY` and `PERCENT` form the numeric family (`is_numeric`). They mix
freely in arithmetic and comparisons; the result of arithmetic is `CURRENCY` when a currency
operand is involved, `PERCENT` when all numeric operands are percents, else `NUMBER`.
Percent values in formulas are fractions, as in Salesforce (a 10 % field is 0.1 in a formula);
see `rules.formula.values` for how record values and results are scaled.
"""

from __future__ import annotations

from enum import StrEnum


class FormulaType(StrEnum):
    CHECKBOX = "checkbox"
    NUMBER = "number"
    CURRENCY = "currency"
    PERCENT = "percent"
    DATE = "date"
    DATETIME = "datetime"
    TIME = "time"
    TEXT = "text"
    PICKLIST = "picklist"
    MULTIPICKLIST = "multipicklist"
    NULL = "null"


NUMERIC_TYPES = frozenset({FormulaType.NUMBER, FormulaType.CURRENCY, FormulaType.PERCENT})
# compared as text (a blank is ""), never blank-unknown like the other types
TEXTUAL_TYPES = frozenset({FormulaType.TEXT, FormulaType.PICKLIST, FormulaType.MULTIPICKLIST})
# shifted by a number of days (time: milliseconds), subtracted from one another
MOMENT_TYPES = frozenset({FormulaType.DATE, FormulaType.DATETIME, FormulaType.TIME})

# Salesforce field types (describe()'s `type`, lower-cased, plus the formula-vector names) to
# formula types. Anything not listed is rejected by `field_type` with a FormulaError upstream.
SALESFORCE_FIELD_TYPES: dict[str, FormulaType] = {
    "checkbox": FormulaType.CHECKBOX,
    "boolean": FormulaType.CHECKBOX,
    "currency": FormulaType.CURRENCY,
    "number": FormulaType.NUMBER,
    "double": FormulaType.NUMBER,
    "int": FormulaType.NUMBER,
    "integer": FormulaType.NUMBER,
    "long": FormulaType.NUMBER,
    "percent": FormulaType.PERCENT,
    "date": FormulaType.DATE,
    "datetime": FormulaType.DATETIME,
    "time": FormulaType.TIME,
    "text": FormulaType.TEXT,
    "string": FormulaType.TEXT,
    "textarea": FormulaType.TEXT,
    "email": FormulaType.TEXT,
    "phone": FormulaType.TEXT,
    "url": FormulaType.TEXT,
    "id": FormulaType.TEXT,
    "reference": FormulaType.TEXT,
    "encryptedstring": FormulaType.TEXT,
    "combobox": FormulaType.TEXT,
    "picklist": FormulaType.PICKLIST,
    "multipicklist": FormulaType.MULTIPICKLIST,
    "null": FormulaType.NULL,
}


def field_type(salesforce_type: str) -> FormulaType | None:
    """The formula type of a Salesforce field type (case-insensitive), None when unsupported."""
    return SALESFORCE_FIELD_TYPES.get(salesforce_type.strip().lower())


def is_numeric(t: FormulaType) -> bool:
    return t in NUMERIC_TYPES


def numeric_result(*types: FormulaType) -> FormulaType:
    """The type of arithmetic over numeric operands (NULL operands are ignored)."""
    real = [t for t in types if t is not FormulaType.NULL]
    if FormulaType.CURRENCY in real:
        return FormulaType.CURRENCY
    if real and all(t is FormulaType.PERCENT for t in real):
        return FormulaType.PERCENT
    return FormulaType.NUMBER
