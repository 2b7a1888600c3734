"""Logical functions and blank handling: AND OR NOT IF CASE ISBLANK ISNULL BLANKVALUE NULLVALUE
ISPICKVAL INCLUDES ISNUMBER.

Checkbox logic is three-valued (Kleene): a comparison with a blank is unknown (None);
AND is false if any argument is false, else unknown if any is unknown; OR is true if any is
true, else unknown if any is unknown; NOT(unknown) is unknown; IF(unknown, a, b) is b. A
formula whose result is unknown does not fire an alert. AND/OR/IF/CASE/BLANKVALUE evaluate
lazily, left to right, as Salesforce does, so IF(x = 0, 0, 1/x) never divides by zero.
"""

from __future__ import annotations

from collections.abc import Sequence

from rules.formula import ast
from rules.formula.runtime import Builder, Compiled, Env, eager
from rules.formula.signatures import case_compares_text
from rules.formula.types import FormulaType
from rules.formula.values import Value, number_from_text, text

T = FormulaType


def is_blank(value: Value) -> bool:
    return value is None or value == ""


def logical_and(values: Sequence[Compiled], env: Env) -> Value:
    unknown = False
    for compiled in values:
        value = compiled(env)
        if value is False:
            return False
        if value is None:
            unknown = True
    return None if unknown else True


def logical_or(values: Sequence[Compiled], env: Env) -> Value:
    unknown = False
    for compiled in values:
        value = compiled(env)
        if value is True:
            return True
        if value is None:
            unknown = True
    return None if unknown else False


def _and(_call: ast.Call, args: Sequence[Compiled]) -> Compiled:
    return lambda env: logical_and(args, env)


def _or(_call: ast.Call, args: Sequence[Compiled]) -> Compiled:
    return lambda env: logical_or(args, env)


def _not(value: Value) -> Value:
    return None if value is None else not value


def _if(_call: ast.Call, args: Sequence[Compiled]) -> Compiled:
    condition, when_true, when_false = args

    def run(env: Env) -> Value:
        return when_true(env) if condition(env) is True else when_false(env)

    return run


def equal_values(left: Value, right: Value, textual: bool) -> Value:
    """`=` semantics: text compares as text (blank is ""); otherwise two blanks are equal,
    and one blank makes the answer unknown."""
    if textual:
        return text(left) == text(right)
    if left is None or right is None:
        return True if left is None and right is None else None
    return left == right


def _case(call: ast.Call, args: Sequence[Compiled]) -> Compiled:
    textual = case_compares_text(call)
    subject, default = args[0], args[-1]
    pairs = [(args[i], args[i + 1]) for i in range(1, len(args) - 1, 2)]

    def run(env: Env) -> Value:
        value = subject(env)
        for match, result in pairs:
            if equal_values(value, match(env), textual) is True:
                return result(env)
        return default(env)

    return run


def _isnull(call: ast.Call, args: Sequence[Compiled]) -> Compiled:
    (arg,) = args
    if call.args[0].type is T.TEXT:  # Salesforce: text is never null
        return lambda env: False
    return lambda env: is_blank(arg(env))


def _blankvalue(_call: ast.Call, args: Sequence[Compiled]) -> Compiled:
    value, substitute = args

    def run(env: Env) -> Value:
        result = value(env)
        return substitute(env) if is_blank(result) else result

    return run


def _nullvalue(call: ast.Call, args: Sequence[Compiled]) -> Compiled:
    if call.args[0].type is T.TEXT:  # text is never null: NULLVALUE returns it unchanged
        return args[0]
    return _blankvalue(call, args)


def _ispickval(picklist: Value, literal: Value) -> Value:
    return text(picklist) == text(literal)


def _includes(values: Value, wanted: Value) -> Value:
    return text(wanted) in text(values).split(";")  # the checker made `wanted` a non-blank literal


def is_number_text(value: Value) -> bool:
    """ISNUMBER(): Salesforce documents FALSE for blanks and for any text with a space or
    another special character, TRUE for scientific notation ("2E2")."""
    return number_from_text(text(value)) is not None


BUILDERS: dict[str, Builder] = {
    "AND": _and,
    "OR": _or,
    "NOT": eager(_not),
    "IF": _if,
    "CASE": _case,
    "ISBLANK": eager(is_blank),
    "ISNULL": _isnull,
    "BLANKVALUE": _blankvalue,
    "NULLVALUE": _nullvalue,
    "ISPICKVAL": eager(_ispickval),
    "INCLUDES": eager(_includes),
    "ISNUMBER": eager(is_number_text),
}
