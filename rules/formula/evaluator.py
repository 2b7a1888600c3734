"""Typed tree -> one closure that evaluates it (the per-record interpreter).

The tree is at most `ast.MAX_DEPTH` deep, so compiling and evaluating recurse at most that far.
A `Fault` (#Error!) raised anywhere gets the position of the innermost call or operator that
raised it, for error reports.
"""

from __future__ import annotations

from datetime import UTC, datetime

from rules.formula import ast, fn_date, fn_logic, fn_math, fn_regex, fn_text
from rules.formula.checker import ORIGIN_DATETIME
from rules.formula.operators import build_binary, build_unary
from rules.formula.runtime import Builder, Compiled, Env, constant
from rules.formula.values import Fault, Value

BUILDERS: dict[str, Builder] = {
    **fn_logic.BUILDERS,
    **fn_math.BUILDERS,
    **fn_text.BUILDERS,
    **fn_regex.BUILDERS,
    **fn_date.BUILDERS,
}


def _located(node: ast.Node, inner: Compiled) -> Compiled:
    def run(env: Env) -> Value:
        try:
            return inner(env)
        except Fault as fault:
            if not fault.line:
                fault.line, fault.column = node.line, node.column
            raise
        except ArithmeticError:  # a decimal signal (Overflow, InvalidOperation): #Error! too
            raise Fault("arithmetic error", node.line, node.column) from None

    return run


def _field(name: str) -> Compiled:
    def run(env: Env) -> Value:
        return env.values.get(name)

    return run


def build(node: ast.Node) -> Compiled:
    """The closure evaluating typed `node`."""
    if isinstance(node, ast.NumberLit | ast.StringLit | ast.BoolLit):
        return constant(node.value)
    if isinstance(node, ast.NullLit):
        return constant(None)
    if isinstance(node, ast.FieldRef):
        if node.field == ORIGIN_DATETIME:
            return constant(datetime(1900, 1, 1, tzinfo=UTC))
        return _field(node.field or node.name)
    if isinstance(node, ast.UnaryOp):
        return build_unary(node, build(node.operand))
    if isinstance(node, ast.BinaryOp):
        return _located(node, build_binary(node, build(node.left), build(node.right)))
    if isinstance(node, ast.Call):
        args = [build(arg) for arg in node.args]
        return _located(node, BUILDERS[node.name](node, args))
    raise TypeError(f"not a formula node: {node!r}")  # pragma: no cover
