"""SOQL text → `nodes.Query`, with Salesforce's MALFORMED_QUERY errors (row and column, 1-based)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from lark import Lark, Token, Transformer, Tree
from lark.exceptions import (
    UnexpectedCharacters,
    UnexpectedInput,
    UnexpectedToken,
    VisitError,
)

from devorg.db import parse_sf_datetime
from devorg.soql import nodes
from devorg.soql.errors import SoqlError, positioned

# Salesforce refuses longer statements; bounding the text also bounds parse time and tree depth.
MAX_SOQL_LENGTH = 100_000
DATE_LITERALS_WITH_N = frozenset({"LAST_N_DAYS", "NEXT_N_DAYS"})
DATE_LITERALS = frozenset(
    {
        "TODAY", "YESTERDAY", "TOMORROW", "THIS_MONTH", "LAST_MONTH", "NEXT_MONTH",
        "THIS_QUARTER", "LAST_QUARTER", "NEXT_QUARTER", "THIS_YEAR", "LAST_YEAR", "NEXT_YEAR",
    }
)  # fmt: skip
# Reserved words of clauses devorg does not implement: never an object alias.
_RESERVED_NOT_SUPPORTED = frozenset({"GROUP", "HAVING", "WITH", "FOR", "USING", "TYPEOF", "UPDATE"})
_SIMPLE_ESCAPES = {
    "n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", '"': '"', "'": "'", "\\": "\\",
}  # fmt: skip
_ESCAPE_RE = re.compile(r"\\(u[0-9a-fA-F]{4}|.)", re.DOTALL)


@cache
def _parser() -> Lark:
    grammar = (Path(__file__).with_name("grammar.lark")).read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", propagate_positions=True, maybe_placeholders=False)


def parse(soql: str) -> nodes.Query:
    """Parse `soql`; any refusal is a SoqlError, never another exception."""
    if len(soql) > MAX_SOQL_LENGTH:
        raise SoqlError(
            "MALFORMED_QUERY",
            f"SOQL statements cannot be longer than {MAX_SOQL_LENGTH:,} characters.",
        )
    try:
        tree = _parser().parse(soql)
        return _ToNodes(soql).transform(tree)
    except UnexpectedInput as exc:
        raise _syntax_error(soql, exc) from None
    except VisitError as exc:
        if isinstance(exc.orig_exc, SoqlError):
            raise exc.orig_exc from None
        raise
    except RecursionError:
        raise SoqlError("MALFORMED_QUERY", "Query is too complicated: nesting too deep") from None


_END_OF_INPUT = "<EOF>"


def _syntax_error(soql: str, exc: UnexpectedInput) -> SoqlError:
    lines = soql.split("\n")
    text, line, column = _END_OF_INPUT, len(lines), len(lines[-1]) + 1
    if isinstance(exc, UnexpectedToken):
        previous = (exc.token_history or [None])[-1]
        culprit = exc.token
        if previous is not None and str(previous).upper() in _RESERVED_NOT_SUPPORTED:
            culprit = previous  # `FROM Account GROUP BY`: GROUP is the problem, not BY
        if culprit.type != "$END":
            text, line, column = str(culprit), culprit.line or 1, culprit.column or 1
    elif isinstance(exc, UnexpectedCharacters):
        text, line, column = soql[exc.pos_in_stream or 0], exc.line, exc.column
    message = f"unexpected token: '{text}'"
    return SoqlError("MALFORMED_QUERY", positioned(soql, line, column, message))


def _at(item: Token | Tree[Token]) -> nodes.Position:
    if isinstance(item, Token):
        return nodes.Position(item.line or 1, item.column or 1)
    return nodes.Position(item.meta.line, item.meta.column)


def unescape(raw: str, at: nodes.Position, soql: str) -> tuple[str, str]:
    """A quoted SOQL string's value and its SQLite LIKE pattern (escapes kept escaped)."""
    value: list[str] = []
    pattern: list[str] = []
    body = raw[1:-1]
    pos = 0
    for match in _ESCAPE_RE.finditer(body):
        plain = body[pos : match.start()]
        value.append(plain)
        pattern.append(plain)  # bare % and _ stay wildcards
        pos = match.end()
        code = match.group(1)
        if code in ("%", "_"):
            value.append(code)
            pattern.append("\\" + code)
            continue
        if code.startswith("u") and len(code) == 5:
            char = chr(int(code[1:], 16))
        elif code.lower() in _SIMPLE_ESCAPES:
            char = _SIMPLE_ESCAPES[code.lower()]
        else:
            message = (
                f"Invalid string literal '{raw}'. "
                f"Illegal character sequence '\\{code}' in string literal."
            )
            raise SoqlError("MALFORMED_QUERY", positioned(soql, at.line, at.column, message))
        value.append(char)
        pattern.append("\\" + char if char in "%_\\" else char)
    value.append(body[pos:])
    pattern.append(body[pos:])
    return "".join(value), "".join(pattern)


class _ToNodes(Transformer[Token, nodes.Query]):
    """Builds the node dataclasses; values are checked here, field names later by the compiler."""

    def __init__(self, soql: str) -> None:
        super().__init__()
        self.soql = soql

    def _malformed(self, token: Token, message: str | None = None) -> SoqlError:
        at = _at(token)
        text = message or f"unexpected token: '{token}'"
        return SoqlError("MALFORMED_QUERY", positioned(self.soql, at.line, at.column, text))

    # -- select / from ----------------------------------------------------------------------
    def field_path(self, items: list[Token]) -> nodes.FieldPath:
        return nodes.FieldPath(tuple(str(t) for t in items), _at(items[0]))

    def count_call(self, items: list[Any]) -> nodes.CountCall:
        field = items[1] if len(items) > 1 else None
        return nodes.CountCall(field, _at(items[0]))

    def select_clause(self, items: list[Any]) -> tuple[nodes.FieldPath | nodes.CountCall, ...]:
        return tuple(items[1:])

    def from_clause(self, items: list[Token]) -> tuple[str, nodes.Position, str | None]:
        alias = str(items[2]) if len(items) > 2 else None
        if alias is not None and alias.upper() in _RESERVED_NOT_SUPPORTED:
            raise self._malformed(items[2])  # GROUP BY, WITH ... are clauses, not aliases
        return str(items[1]), _at(items[1]), alias

    def where_clause(self, items: list[Any]) -> nodes.Condition:
        condition: nodes.Condition = items[1]
        return condition

    # -- conditions -------------------------------------------------------------------------
    def conjunction(self, items: list[Any]) -> nodes.And:
        return nodes.And(tuple(i for i in items if not isinstance(i, Token)))

    def disjunction(self, items: list[Any]) -> nodes.Or:
        return nodes.Or(tuple(i for i in items if not isinstance(i, Token)))

    def negation(self, items: list[Any]) -> nodes.Not:
        return nodes.Not(items[1])

    def comparison(self, items: list[Any]) -> nodes.Comparison:
        operator = "!=" if str(items[1]) == "<>" else str(items[1])
        return nodes.Comparison(items[0], operator, items[2])

    def like(self, items: list[Any]) -> nodes.Like:
        return nodes.Like(items[0], items[2])

    def in_list(self, items: list[Any]) -> nodes.InList:
        return nodes.InList(items[0], items[2], negated=False)

    def not_in_list(self, items: list[Any]) -> nodes.InList:
        return nodes.InList(items[0], items[3], negated=True)

    def value_list(self, items: list[nodes.Value]) -> tuple[nodes.Value, ...]:
        return tuple(items)

    # -- values -----------------------------------------------------------------------------
    def string(self, items: list[Token]) -> nodes.Value:
        token = items[0]
        value, pattern = unescape(str(token), _at(token), self.soql)
        return nodes.Value("string", value, str(token), _at(token), like_pattern=pattern)

    def number(self, items: list[Token]) -> nodes.Value:
        text = str(items[0])
        try:
            number: int | float = float(text) if "." in text else int(text)
        except ValueError:  # an integer of more than 4300 digits
            raise self._malformed(items[0]) from None
        return nodes.Value("number", number, text, _at(items[0]))

    def date(self, items: list[Token]) -> nodes.Value:
        try:
            day = date.fromisoformat(str(items[0]))
        except ValueError:
            raise self._malformed(items[0]) from None
        return nodes.Value("date", day, str(items[0]), _at(items[0]))

    def datetime(self, items: list[Token]) -> nodes.Value:
        try:
            moment: datetime = parse_sf_datetime(str(items[0]))
        except ValueError:
            raise self._malformed(items[0]) from None
        return nodes.Value("datetime", moment.astimezone(UTC), str(items[0]), _at(items[0]))

    def null(self, items: list[Token]) -> nodes.Value:
        return nodes.Value("null", None, str(items[0]), _at(items[0]))

    def true(self, items: list[Token]) -> nodes.Value:
        return nodes.Value("boolean", True, str(items[0]), _at(items[0]))

    def false(self, items: list[Token]) -> nodes.Value:
        return nodes.Value("boolean", False, str(items[0]), _at(items[0]))

    def date_literal(self, items: list[Token]) -> nodes.Value:
        name = str(items[0]).upper()
        if name not in DATE_LITERALS:
            raise self._malformed(items[0])
        return nodes.Value("date_literal", nodes.DateLiteral(name, None), name, _at(items[0]))

    def date_literal_n(self, items: list[Token]) -> nodes.Value:
        name, count = str(items[0]).upper(), str(items[1])
        if name not in DATE_LITERALS_WITH_N:
            raise self._malformed(items[0])
        if not count.isdigit():
            raise self._malformed(items[1])
        literal = nodes.DateLiteral(name, int(count))
        return nodes.Value("date_literal", literal, f"{name}:{count}", _at(items[0]))

    # -- order / limit / offset -------------------------------------------------------------
    def direction(self, items: list[Token]) -> tuple[str, bool]:
        return ("descending", str(items[0]).upper() == "DESC")

    def nulls(self, items: list[Token]) -> tuple[str, bool]:
        return ("nulls_first", str(items[1]).upper() == "FIRST")

    def order_item(self, items: list[Any]) -> nodes.OrderItem:
        modifiers = dict(items[1:])
        descending = modifiers.get("descending", False)
        # Salesforce's default: nulls first when ascending, last when descending.
        nulls_first = modifiers.get("nulls_first", not descending)
        return nodes.OrderItem(items[0], descending, nulls_first)

    def order_clause(self, items: list[Any]) -> tuple[nodes.OrderItem, ...]:
        return tuple(i for i in items if isinstance(i, nodes.OrderItem))

    def _count(self, token: Token) -> int:
        text = str(token)
        if not text.isdigit():
            raise self._malformed(token)
        return int(text)

    def limit_clause(self, items: list[Token]) -> int:
        return self._count(items[1])

    def offset_clause(self, items: list[Token]) -> tuple[str, int]:
        return ("offset", self._count(items[1]))

    def start(self, items: list[Any]) -> nodes.Query:
        select, (sobject, sobject_at, alias) = items[0], items[1]
        where: nodes.Condition | None = None
        order_by: tuple[nodes.OrderItem, ...] = ()
        limit: int | None = None
        offset: int | None = None
        for item in items[2:]:
            if isinstance(item, tuple) and item and isinstance(item[0], nodes.OrderItem):
                order_by = item
            elif isinstance(item, tuple) and item and item[0] == "offset":
                offset = item[1]
            elif isinstance(item, int):
                limit = item
            else:
                where = item
        return nodes.Query(select, sobject, sobject_at, alias, where, order_by, limit, offset)
