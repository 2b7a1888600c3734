"""WHERE and ORDER BY → SQL, checking each literal against its field's type as Salesforce does.

SOQL differs from SQL in ways that matter here: text comparisons ignore case, `!=` and NOT IN
match null values, NOT is two-valued, and date literals on datetime fields are ranges of time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Protocol

from devorg.catalog import Field, SObject
from devorg.db import sf_datetime
from devorg.ids import normalize_id
from devorg.soql import nodes
from devorg.soql.dates import date_range
from devorg.soql.errors import SoqlError

_TEXT_TYPES = frozenset(
    {"id", "reference", "string", "textarea", "picklist", "email", "anyType", "phone", "url"}
)
_NUMBER_TYPES = frozenset({"int", "currency", "double", "percent"})
_SQL_INT_MAX = 2**63 - 1


@dataclass(frozen=True)
class FieldRef:
    hops: tuple[str, ...]  # canonical relationship names walked from the queried object
    sobject: SObject  # the object the field belongs to
    field: Field
    table: str  # SQL alias of that object's table
    sql: str  # SQL expression of the field's value
    path: nodes.FieldPath


class Resolver(Protocol):
    today: date

    def resolve(self, path: nodes.FieldPath, root: SObject, alias: str | None) -> FieldRef: ...

    def error(self, code: str, at: nodes.Position, message: str) -> SoqlError: ...


def _is_text(fld: Field) -> bool:
    return fld.type in _TEXT_TYPES


def _is_long_text(fld: Field) -> bool:
    """Long text areas and complex values: Salesforce neither filters nor sorts them."""
    return fld.type == "complexvalue" or (fld.type == "textarea" and fld.length > 255)


class ConditionCompiler:
    def __init__(self, resolver: Resolver, root: SObject, alias: str | None) -> None:
        self.resolver = resolver
        self.root = root
        self.alias = alias
        self.params: list[object] = []

    def _ref(self, path: nodes.FieldPath, purpose: str) -> FieldRef:
        ref = self.resolver.resolve(path, self.root, self.alias)
        if _is_long_text(ref.field):
            message = f"field '{ref.field.name}' can not be {purpose} in a query call"
            raise self.resolver.error("INVALID_FIELD", path.at, message)
        return ref

    def bind(self, value: object) -> str:
        self.params.append(value)
        return "?"

    # -- ORDER BY ---------------------------------------------------------------------------
    def order_term(self, item: nodes.OrderItem) -> str:
        ref = self._ref(item.field, "sorted")
        collate = " COLLATE NOCASE" if _is_text(ref.field) else ""
        direction = "DESC" if item.descending else "ASC"
        nulls = "NULLS FIRST" if item.nulls_first else "NULLS LAST"
        return f"{ref.sql}{collate} {direction} {nulls}"

    # -- WHERE ------------------------------------------------------------------------------
    def compile(self, condition: nodes.Condition) -> str:
        if isinstance(condition, nodes.And):
            return " AND ".join(f"({self.compile(c)})" for c in condition.operands)
        if isinstance(condition, nodes.Or):
            return " OR ".join(f"({self.compile(c)})" for c in condition.operands)
        if isinstance(condition, nodes.Not):
            # SQL's NOT keeps unknown unknown; SOQL's NOT of "no match" is a match.
            return f"NOT IFNULL(({self.compile(condition.operand)}), 0)"
        if isinstance(condition, nodes.Like):
            return self.like(condition)
        if isinstance(condition, nodes.InList):
            return self.in_list(condition)
        return self.comparison(condition)

    def like(self, condition: nodes.Like) -> str:
        ref = self._ref(condition.field, "filtered")
        if not _is_text(ref.field):
            message = f"invalid operator on {ref.field.type} field"
            raise self.resolver.error("INVALID_FIELD", condition.field.at, message)
        value = condition.value
        if value.kind == "null":
            return "0"
        if value.kind != "string" or value.like_pattern is None:
            raise self.type_mismatch(ref, value)
        # SQLite's LIKE ignores ASCII case, like SOQL's.
        return f"{ref.sql} LIKE {self.bind(value.like_pattern)} ESCAPE '\\'"

    def in_list(self, condition: nodes.InList) -> str:
        ref = self._ref(condition.field, "filtered")
        has_null = any(v.kind == "null" for v in condition.values)
        values = [v for v in condition.values if v.kind != "null"]
        parts: list[str] = []
        if any(v.kind == "date_literal" for v in values):
            ranges = [self.comparison_sql(ref, "=", v) for v in values]
            matched = " OR ".join(f"({r})" for r in ranges) or "0"
        elif values:
            binds = ", ".join(self.bind(self.convert(ref, v)) for v in values)
            collate = " COLLATE NOCASE" if _is_text(ref.field) else ""
            matched = f"{ref.sql}{collate} IN ({binds})"
        else:
            matched = "0"
        if not condition.negated:
            parts.append(matched)
            if has_null:
                parts.append(f"{ref.sql} IS NULL")
            return " OR ".join(f"({p})" for p in parts)
        # NOT IN matches null values unless null is listed.
        null_part = f"{ref.sql} IS NOT NULL" if has_null else f"{ref.sql} IS NULL"
        joiner = " AND " if has_null else " OR "
        return f"({null_part}){joiner}(NOT IFNULL(({matched}), 0))"

    def comparison(self, condition: nodes.Comparison) -> str:
        ref = self._ref(condition.field, "filtered")
        return self.comparison_sql(ref, condition.operator, condition.value)

    def comparison_sql(self, ref: FieldRef, operator: str, value: nodes.Value) -> str:
        sql = ref.sql
        if value.kind == "null":
            if operator == "=":
                return f"{sql} IS NULL"
            if operator == "!=":
                return f"{sql} IS NOT NULL"
            return "0"
        if ref.field.type == "boolean" and operator not in ("=", "!="):
            message = f"invalid operator on boolean field: {operator}"
            raise self.resolver.error("INVALID_FIELD", value.at, message)
        if value.kind == "date_literal" and ref.field.type in ("date", "datetime"):
            return self.range_comparison(ref, operator, value)
        bound = self.bind(self.convert(ref, value))
        collate = " COLLATE NOCASE" if _is_text(ref.field) else ""
        if operator == "!=":
            return f"{sql} IS NULL OR {sql}{collate} <> {bound}"
        return f"{sql}{collate} {operator} {bound}"

    def range_comparison(self, ref: FieldRef, operator: str, value: nodes.Value) -> str:
        assert isinstance(value.value, nodes.DateLiteral)
        try:
            first, after = date_range(value.value, self.resolver.today)
        except (OverflowError, ValueError):
            raise self.resolver.error(
                "MALFORMED_QUERY", value.at, f"invalid date literal: {value.text}"
            ) from None
        if ref.field.type == "datetime":
            start = sf_datetime(datetime.combine(first, time(), UTC))
            end = sf_datetime(datetime.combine(after, time(), UTC))
        else:
            start, end = first.isoformat(), after.isoformat()
        sql = ref.sql
        if operator == "=":
            return f"{sql} >= {self.bind(start)} AND {sql} < {self.bind(end)}"
        if operator == "!=":
            return f"{sql} IS NULL OR {sql} < {self.bind(start)} OR {sql} >= {self.bind(end)}"
        if operator == "<":  # before the range starts
            return f"{sql} < {self.bind(start)}"
        if operator == ">=":
            return f"{sql} >= {self.bind(start)}"
        if operator == "<=":
            return f"{sql} < {self.bind(end)}"
        return f"{sql} >= {self.bind(end)}"  # ">": after the range ends

    # -- literal types ----------------------------------------------------------------------
    def type_mismatch(self, ref: FieldRef, value: nodes.Value) -> SoqlError:
        kind = ref.field.type
        names = {
            "datetime": "dateTime",
            "int": "integer",
            "currency": "double",
            "percent": "double",
        }
        expected = "string" if _is_text(ref.field) else names.get(kind, kind)
        quoting = (
            "should be enclosed in quotes"
            if _is_text(ref.field)
            else "should not be enclosed in quotes"
        )
        message = (
            f"value of filter criterion for field '{ref.field.name}' "
            f"must be of type {expected} and {quoting}"
        )
        return self.resolver.error("INVALID_FIELD", value.at, message)

    def convert(self, ref: FieldRef, value: nodes.Value) -> object:
        """The stored form `value` compares with, or the error Salesforce gives for its type."""
        kind = ref.field.type
        if _is_text(ref.field) and value.kind == "string":
            assert isinstance(value.value, str)
            return self.convert_id(ref, value) if kind in ("id", "reference") else value.value
        if kind in _NUMBER_TYPES and value.kind == "number":
            number = value.value
            assert isinstance(number, int | float)
            return (
                float(number) if isinstance(number, int) and abs(number) > _SQL_INT_MAX else number
            )
        if kind == "boolean" and value.kind == "boolean":
            return 1 if value.value else 0
        if kind == "date" and value.kind == "date":
            assert isinstance(value.value, date)
            return value.value.isoformat()
        if kind == "datetime" and value.kind == "datetime":
            assert isinstance(value.value, datetime)
            return sf_datetime(value.value)
        raise self.type_mismatch(ref, value)

    def convert_id(self, ref: FieldRef, value: nodes.Value) -> str:
        text = str(value.value)
        if ref.field.reference_key != "Id" or ref.sobject.tooling:
            return text  # EntityDefinition keys are names such as 'Opportunity', not ids
        normalized = normalize_id(text)
        if normalized is None:
            raise self.resolver.error(
                "INVALID_QUERY_FILTER_OPERATOR", value.at, f"invalid ID field: {text}"
            )
        return normalized
