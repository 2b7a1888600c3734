"""Operators: compiled closures for unary and binary operators over typed operands.

Blanks: arithmetic with a blank number, date, datetime or time gives a blank ("treat blank
fields as blanks"). Text never is blank for operators: `&` and text `+` concatenate with "".
Comparisons: text compares as text, blank being "" ("" = Name is true for a blank Name).
Other types: `=` is true for two blanks and unknown (None) when exactly one side is blank;
`!=` is its negation (false for two blanks, unknown for one); `<`, `<=`, `>`, `>=` with a blank
are unknown. An unknown comparison behaves as false in IF and never fires an alert (see
`fn_logic` for the three-valued AND/OR/NOT). Division by zero is #Error!.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from rules.formula import ast
from rules.formula.fn_logic import equal_values, logical_and, logical_or
from rules.formula.fn_math import num, power
from rules.formula.runtime import Compiled, Env
from rules.formula.types import MOMENT_TYPES, TEXTUAL_TYPES, FormulaType
from rules.formula.values import (
    Fault,
    Value,
    add_days,
    add_fractional_days,
    checked_number,
    checked_text,
    days_between,
    millis_of,
    text,
    time_from_millis,
    to_int,
)

T = FormulaType
_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def _divide(left: Decimal, right: Decimal) -> Decimal:
    if right.is_zero():
        raise Fault("division by zero")
    return left / right


_ARITHMETIC: dict[str, Callable[[Decimal, Decimal], Decimal]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": _divide,
    "^": power,
}


def _shift(moment: Value, days: Value, sign: int) -> Value:
    """date/datetime/time +- a number of days (time: milliseconds)."""
    amount = num(days) * sign
    if isinstance(moment, datetime):
        return add_fractional_days(moment, amount)
    if isinstance(moment, date):
        return add_days(moment, amount)
    if isinstance(moment, time):
        return time_from_millis(millis_of(moment) + to_int(amount, -(10**15), 10**15))
    raise Fault("a date or time was expected")  # pragma: no cover


def _difference(left: Value, right: Value) -> Value:
    if isinstance(left, datetime) and isinstance(right, datetime):
        return days_between(left, right)
    if isinstance(left, date) and isinstance(right, date):
        return Decimal((left - right).days)
    if isinstance(left, time) and isinstance(right, time):
        return Decimal(millis_of(left) - millis_of(right))
    raise Fault("dates of different kinds")  # pragma: no cover


def _value_op(node: ast.BinaryOp) -> Callable[[Value, Value], Value]:
    op, left_t, right_t = node.op, node.left.type or T.NULL, node.right.type or T.NULL
    result = node.type or T.NULL
    if op == "&" or (op == "+" and result is T.TEXT):
        return lambda a, b: checked_text(text(a) + text(b))
    if op in _ORDER:
        compare = _ORDER[op]
        if left_t in TEXTUAL_TYPES or right_t in TEXTUAL_TYPES:
            return lambda a, b: compare(text(a), text(b))
        return lambda a, b: None if a is None or b is None else compare(a, b)
    if op in ("=", "!="):
        textual = left_t in TEXTUAL_TYPES or right_t in TEXTUAL_TYPES
        if op == "=":
            return lambda a, b: equal_values(a, b, textual)

        def unequal(a: Value, b: Value) -> Value:
            same = equal_values(a, b, textual)
            return None if same is None else not same

        return unequal
    if result in MOMENT_TYPES:
        if left_t in MOMENT_TYPES:
            sign = 1 if op == "+" else -1
            return lambda a, b: None if a is None or b is None else _shift(a, b, sign)
        return lambda a, b: None if a is None or b is None else _shift(b, a, 1)
    if left_t in MOMENT_TYPES:
        return lambda a, b: None if a is None or b is None else _difference(a, b)
    arithmetic = _ARITHMETIC[op]
    return lambda a, b: (
        None if a is None or b is None else checked_number(arithmetic(num(a), num(b)))
    )


def build_binary(node: ast.BinaryOp, left: Compiled, right: Compiled) -> Compiled:
    if node.op == "&&":
        return lambda env: logical_and((left, right), env)
    if node.op == "||":
        return lambda env: logical_or((left, right), env)
    apply = _value_op(node)

    def run(env: Env) -> Value:
        return apply(left(env), right(env))

    return run


def build_unary(node: ast.UnaryOp, operand: Compiled) -> Compiled:
    if node.op == "!":

        def negation(env: Env) -> Value:
            value = operand(env)
            return None if value is None else not value

        return negation
    if node.op == "+":
        return operand

    def negate(env: Env) -> Value:
        value = operand(env)
        return None if value is None else -num(value)

    return negate
