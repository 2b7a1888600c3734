"""The formula syntax tree: frozen dataclasses, one per construct, each with its position.

Contract (stable; the bulk evaluator and the interpreter both build on it):

- Every node has `line` and `column` (1-based, of its first character in the formula text) and
  `type: FormulaType | None`. The parser (`rules.formula.parser.parse`) returns an *untyped*
  tree (`type` is None everywhere). The checker (`rules.formula.checker.check`) returns a new,
  *typed* tree: the same shape, with `type` set on every node to its resolved formula type
  (`FormulaType.NULL` for a blank of no particular type, e.g. the literal NULL), so a consumer
  never has to infer a type itself. Typed trees are what `CompiledFormula.tree` holds.
- The checker also normalises: `Call.name` is upper case (`if` -> "IF"), `FieldRef.field` is
  the catalog's spelling of the field (`FieldRef.name` keeps what the formula says),
  `BinaryOp.op` is canonical ("==" -> "=", "<>" -> "!=") already in the parser.
- Numbers are `Decimal` (never float). Strings are already unescaped.
- Trees are at most `MAX_DEPTH` deep (the parser rejects deeper ones before anything walks
  them recursively), so recursive walkers are safe.

Operators (`BinaryOp.op`): "+", "-", "*", "/", "^", "&", "=", "!=", "<", "<=", ">", ">=",
"&&", "||". Unary (`UnaryOp.op`): "-", "+", "!".

Meaning of operators over typed operands (resolved by the checker, reflected in `type`):
`date + number`, `number + date`, `date - number` -> date (whole days; the fraction is dropped
as Salesforce does); `date - date` -> number of days; `datetime +/- number` -> datetime
(fractional days); `datetime - datetime` -> number (fractional days); `time +/- number` -> time
(milliseconds, wrapping at 24 h); `time - time` -> number (milliseconds); `text + text` and
`text & text` -> text (concatenation).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from rules.formula.types import FormulaType

MAX_DEPTH = 100


@dataclass(frozen=True, kw_only=True)
class Node:
    line: int
    column: int
    type: FormulaType | None = None


@dataclass(frozen=True, kw_only=True)
class NumberLit(Node):
    value: Decimal


@dataclass(frozen=True, kw_only=True)
class StringLit(Node):
    value: str


@dataclass(frozen=True, kw_only=True)
class BoolLit(Node):
    value: bool


@dataclass(frozen=True, kw_only=True)
class NullLit(Node):
    pass


@dataclass(frozen=True, kw_only=True)
class FieldRef(Node):
    name: str  # as written in the formula
    field: str | None = None  # the catalog's spelling, set by the checker


@dataclass(frozen=True, kw_only=True)
class UnaryOp(Node):
    op: str
    operand: Node


@dataclass(frozen=True, kw_only=True)
class BinaryOp(Node):
    op: str
    left: Node
    right: Node


@dataclass(frozen=True, kw_only=True)
class Call(Node):
    name: str
    args: tuple[Node, ...]


def children(node: Node) -> tuple[Node, ...]:
    if isinstance(node, Call):
        return node.args
    if isinstance(node, BinaryOp):
        return (node.left, node.right)
    if isinstance(node, UnaryOp):
        return (node.operand,)
    return ()


def walk(node: Node) -> Iterator[Node]:
    """Every node of the tree, parents before children, without recursion."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(children(current)))


def depth(node: Node) -> int:
    """The tree's depth (a leaf is 1), computed without recursion."""
    best = 0
    stack = [(node, 1)]
    while stack:
        current, level = stack.pop()
        best = max(best, level)
        stack.extend((child, level + 1) for child in children(current))
    return best


def size(node: Node) -> int:
    return sum(1 for _ in walk(node))
