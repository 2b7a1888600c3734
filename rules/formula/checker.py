"""Type checking: untyped tree + field catalog -> typed tree (see `rules.formula.ast`).

The catalog maps field names (any case; dotted names such as "Account.Name" are plain
entries) to Salesforce field types. Lookups ignore case, as Salesforce does; the typed tree's
`FieldRef.field` is the catalog's spelling. `$System.OriginDateTime` is the one global that
needs no catalog entry; other `$` globals ($User, $Profile...) are rejected unless the catalog
declares them.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Mapping

from rules.formula import ast
from rules.formula.errors import ErrorCode, FormulaError
from rules.formula.signatures import (
    EDIT_TIME_FUNCTIONS,
    MULTIPICKLIST_PLACES,
    PICKLIST_PLACES,
    SIGNATURES,
    UNSUPPORTED_FUNCTIONS,
    type_error,
)
from rules.formula.types import MOMENT_TYPES, FormulaType, field_type, is_numeric, numeric_result

T = FormulaType
ORIGIN_DATETIME = "$System.OriginDateTime"


class Catalog:
    """Field name (case-insensitive) -> (catalog spelling, formula type)."""

    def __init__(self, fields: Mapping[str, str]) -> None:
        self._by_key: dict[str, tuple[str, FormulaType]] = {}
        for name, salesforce_type in fields.items():
            if not isinstance(name, str) or not isinstance(salesforce_type, str):
                raise FormulaError(
                    ErrorCode.BAD_FIELD_TYPE, f"field catalog entry {name!r} must map text to text"
                )
            formula_type = field_type(salesforce_type)
            if formula_type is None:
                raise FormulaError(
                    ErrorCode.BAD_FIELD_TYPE,
                    f"field {name!r} has type {salesforce_type!r}, which formulas do not support",
                )
            self._by_key[name.lower()] = (name, formula_type)
        self._by_key.setdefault(ORIGIN_DATETIME.lower(), (ORIGIN_DATETIME, T.DATETIME))

    def lookup(self, name: str) -> tuple[str, FormulaType] | None:
        return self._by_key.get(name.lower())

    def names(self) -> list[str]:
        return [spelling for spelling, _ in self._by_key.values()]


def _suggest(name: str, candidates: list[str]) -> str | None:
    by_lower = {c.lower(): c for c in candidates}
    close = difflib.get_close_matches(name.lower(), list(by_lower), n=1, cutoff=0.6)
    return by_lower[close[0]] if close else None


def _unknown_field(node: ast.FieldRef, catalog: Catalog) -> FormulaError:
    where = f"{node.line}:{node.column}"
    if node.name.startswith("$"):
        return FormulaError(
            ErrorCode.UNSUPPORTED_FUNCTION,
            f"global {node.name!r} at {where} is not available: dealpulse evaluates formulas "
            "continuously, outside any user's session; only declared fields can be used",
            node.line,
            node.column,
        )
    suggestion = _suggest(node.name, [n for n in catalog.names() if not n.startswith("$")])
    hint = f"; did you mean {suggestion!r}?" if suggestion else ""
    return FormulaError(
        ErrorCode.UNKNOWN_FIELD,
        f"unknown field {node.name!r} at {where}{hint}",
        node.line,
        node.column,
        suggestion,
    )


def _function_error(node: ast.Call) -> FormulaError:
    where = f"{node.line}:{node.column}"
    if node.name in EDIT_TIME_FUNCTIONS:
        return FormulaError(
            ErrorCode.EDIT_TIME_FUNCTION,
            f"{node.name} at {where} only has a meaning while a record is being saved; "
            "dealpulse evaluates rules continuously over current data, so it cannot be used",
            node.line,
            node.column,
        )
    if node.name in UNSUPPORTED_FUNCTIONS:
        return FormulaError(
            ErrorCode.UNSUPPORTED_FUNCTION,
            f"{node.name} at {where} is not supported in dealpulse rules",
            node.line,
            node.column,
        )
    suggestion = _suggest(node.name, list(SIGNATURES))
    hint = f"; did you mean {suggestion}?" if suggestion else ""
    return FormulaError(
        ErrorCode.UNKNOWN_FUNCTION,
        f"unknown function {node.name} at {where}{hint}",
        node.line,
        node.column,
        suggestion,
    )


def _check_picklists(node: ast.Node, args: tuple[ast.Node, ...], name: str) -> None:
    for index, arg in enumerate(args):
        if arg.type is T.PICKLIST:
            places = PICKLIST_PLACES.get(name, frozenset())
            allowed = "ISPICKVAL, CASE, TEXT, ISBLANK or ISNULL"
        elif arg.type is T.MULTIPICKLIST:
            places = MULTIPICKLIST_PLACES.get(name, frozenset())
            allowed = "INCLUDES, ISBLANK or ISNULL"
        else:
            continue
        if places is None or index in places:
            continue
        raise FormulaError(
            ErrorCode.PICKLIST_USAGE,
            f"{arg.type} value at {arg.line}:{arg.column} can only be used in {allowed}",
            arg.line,
            arg.column,
        )


def _binary_type(node: ast.BinaryOp, left: T, right: T) -> T:
    op = node.op
    if op in ("&&", "||"):
        for side in (left, right):
            if side not in (T.CHECKBOX, T.NULL):
                raise type_error(node, f"operator {op} needs checkbox operands, not {side}")
        return T.CHECKBOX
    if left is T.NULL and right is T.NULL:
        return T.CHECKBOX if op in ("=", "!=", "<", "<=", ">", ">=") else T.NULL
    # a NULL operand takes the type its partner implies (a number beside a date in + and -)
    moments = MOMENT_TYPES
    left_t = (
        (T.NUMBER if op in ("+", "-") and right in moments else right) if left is T.NULL else left
    )
    right_t = (
        (T.NUMBER if op in ("+", "-") and left in moments else left) if right is T.NULL else right
    )
    pair = (left_t, right_t)
    both_numeric = is_numeric(left_t) and is_numeric(right_t)
    if op in ("=", "!="):
        if both_numeric or (left_t is right_t and left_t in _EQUATABLE):
            return T.CHECKBOX
    elif op in ("<", "<=", ">", ">="):
        if both_numeric or (left_t is right_t and left_t in _ORDERED):
            return T.CHECKBOX
    elif op in ("*", "/", "^"):
        if both_numeric:
            return T.NUMBER if op == "^" else numeric_result(left_t, right_t)
    elif op == "&":
        if pair == (T.TEXT, T.TEXT):
            return T.TEXT
    elif op == "+":
        if both_numeric:
            return numeric_result(left_t, right_t)
        if pair == (T.TEXT, T.TEXT):
            return T.TEXT
        for moment in MOMENT_TYPES:
            if (left_t is moment and is_numeric(right_t)) or (
                right_t is moment and is_numeric(left_t)
            ):
                return moment
    elif op == "-":
        if both_numeric:
            return numeric_result(left_t, right_t)
        for moment in MOMENT_TYPES:
            if left_t is moment and is_numeric(right_t):
                return moment
            if left_t is moment and right_t is moment:
                return T.NUMBER
    raise type_error(node, f"operator {op} cannot combine {left} and {right}")


_EQUATABLE = frozenset({T.CHECKBOX, T.DATE, T.DATETIME, T.TIME, T.TEXT})
_ORDERED = frozenset({T.DATE, T.DATETIME, T.TIME, T.TEXT})


def _unary_type(node: ast.UnaryOp, operand: T) -> T:
    if node.op == "!":
        if operand in (T.CHECKBOX, T.NULL):
            return T.CHECKBOX
        raise type_error(node, f"operator ! needs a checkbox, not {operand}")
    if operand is T.NULL:
        return T.NUMBER
    if is_numeric(operand):
        return operand
    raise type_error(node, f"operator {node.op} needs a number, not {operand}")


def _check(node: ast.Node, catalog: Catalog) -> ast.Node:
    if isinstance(node, ast.NumberLit):
        return dataclasses.replace(node, type=T.NUMBER)
    if isinstance(node, ast.StringLit):
        return dataclasses.replace(node, type=T.TEXT)
    if isinstance(node, ast.BoolLit):
        return dataclasses.replace(node, type=T.CHECKBOX)
    if isinstance(node, ast.NullLit):
        return dataclasses.replace(node, type=T.NULL)
    if isinstance(node, ast.FieldRef):
        found = catalog.lookup(node.name)
        if found is None:
            raise _unknown_field(node, catalog)
        return dataclasses.replace(node, field=found[0], type=found[1])
    if isinstance(node, ast.UnaryOp):
        operand = _check(node.operand, catalog)
        _check_picklists(operand, (operand,), "")
        return dataclasses.replace(
            node, operand=operand, type=_unary_type(node, operand.type or T.NULL)
        )
    if isinstance(node, ast.BinaryOp):
        left, right = _check(node.left, catalog), _check(node.right, catalog)
        _check_picklists(node, (left, right), "")
        result = _binary_type(node, left.type or T.NULL, right.type or T.NULL)
        return dataclasses.replace(node, left=left, right=right, type=result)
    if isinstance(node, ast.Call):
        return _check_call(node, catalog)
    raise FormulaError(ErrorCode.SYNTAX, "unknown syntax", node.line, node.column)


def _check_call(node: ast.Call, catalog: Catalog) -> ast.Node:
    signature = SIGNATURES.get(node.name)
    if signature is None:
        raise _function_error(node)
    count = len(node.args)
    if count < signature.min_args or (
        signature.max_args is not None and count > signature.max_args
    ):
        if signature.max_args is None:
            expected = f"at least {signature.min_args}"
        elif signature.min_args == signature.max_args:
            expected = str(signature.min_args)
        else:
            expected = f"{signature.min_args} to {signature.max_args}"
        raise FormulaError(
            ErrorCode.ARGUMENT_COUNT,
            f"{node.name} at {node.line}:{node.column} takes {expected} argument"
            f"{'' if expected == '1' else 's'}, got {count}",
            node.line,
            node.column,
        )
    args = tuple(_check(arg, catalog) for arg in node.args)
    _check_picklists(node, args, node.name)
    typed = dataclasses.replace(node, args=args)
    return dataclasses.replace(typed, type=signature.result(typed, args))


def check(tree: ast.Node, fields: Mapping[str, str] | Catalog) -> ast.Node:
    """The typed tree of `tree` (from `parser.parse`); FormulaError on any type problem."""
    catalog = fields if isinstance(fields, Catalog) else Catalog(fields)
    typed = _check(tree, catalog)
    if typed.type in (T.PICKLIST, T.MULTIPICKLIST):
        raise FormulaError(
            ErrorCode.PICKLIST_USAGE,
            f"a formula cannot return a {typed.type} value (at {typed.line}:{typed.column}); "
            "use TEXT() or ISPICKVAL()",
            typed.line,
            typed.column,
        )
    return typed
