"""Formula text -> untyped syntax tree (`rules.formula.ast`), with bounds checked first.

The Lark LALR parser runs with the tree builder inlined (`transformer=`), so no parse tree is
built and nothing recurses: a formula of 3,900 opening parentheses is parsed iteratively and
then rejected by the depth bound, never by a RecursionError.
"""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from importlib import resources

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from rules.formula import ast
from rules.formula.errors import ErrorCode, FormulaError

MAX_LENGTH = 3900  # Salesforce's limit on a formula's characters
MAX_NODES = 2000  # compiled size: 3,900 characters cannot make more than ~2,000 nodes anyway
MAX_DEPTH = ast.MAX_DEPTH

_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", '"': '"', "'": "'", "\\": "\\"}
_CANONICAL_OP = {"==": "=", "<>": "!="}
_KEYWORDS = {"TRUE", "FALSE", "NULL"}


def _unescape(token: Token) -> str:
    body = token[1:-1]
    out: list[str] = []
    index = 0
    while index < len(body):
        char = body[index]
        if char != "\\":
            out.append(char)
            index += 1
            continue
        escaped = body[index + 1]  # the token's regex guarantees a character follows
        if escaped in _ESCAPES:
            out.append(_ESCAPES[escaped])
            index += 2
        elif escaped == "u" and len(body) >= index + 6:
            digits = body[index + 2 : index + 6]
            try:
                out.append(chr(int(digits, 16)))
            except ValueError:
                raise _bad_escape(token, index) from None
            index += 6
        else:
            raise _bad_escape(token, index)
    return "".join(out)


def _bad_escape(token: Token, index: int) -> FormulaError:
    line, column = _pos(token)
    return FormulaError(
        ErrorCode.SYNTAX,
        f"invalid escape sequence in text literal at {line}:{column + 1 + index}; "
        "use \\\\, \\', \\\", \\n, \\r, \\t or \\uXXXX",
        line,
        column + 1 + index,
    )


def _pos(token: Token) -> tuple[int, int]:
    return (token.line or 0, token.column or 0)


@v_args(inline=True)
class _Builder(Transformer[Token, ast.Node]):
    def number(self, token: Token) -> ast.Node:
        line, column = _pos(token)
        return ast.NumberLit(line=line, column=column, value=Decimal(str(token)))

    def string(self, token: Token) -> ast.Node:
        line, column = _pos(token)
        return ast.StringLit(line=line, column=column, value=_unescape(token))

    def name(self, token: Token) -> ast.Node:
        line, column = _pos(token)
        upper = str(token).upper()
        if upper in _KEYWORDS:
            if upper == "NULL":
                return ast.NullLit(line=line, column=column)
            return ast.BoolLit(line=line, column=column, value=upper == "TRUE")
        return ast.FieldRef(line=line, column=column, name=str(token))

    def call(self, name: Token, _lpar: Token, *rest: object) -> ast.Node:
        line, column = _pos(name)
        args: tuple[ast.Node, ...] = ()
        if len(rest) == 2:
            args = tuple(rest[0]) if isinstance(rest[0], list) else ()
        return ast.Call(line=line, column=column, name=str(name).upper(), args=args)

    def args(self, *items: object) -> list[ast.Node]:
        return [item for item in items if isinstance(item, ast.Node)]

    def paren(self, _lpar: Token, expr: ast.Node, _rpar: Token) -> ast.Node:
        return expr

    def binop(self, left: ast.Node, op: Token, right: ast.Node) -> ast.Node:
        line, column = _pos(op)
        symbol = _CANONICAL_OP.get(str(op), str(op))
        return ast.BinaryOp(line=line, column=column, op=symbol, left=left, right=right)

    def unop(self, op: Token, operand: ast.Node) -> ast.Node:
        line, column = _pos(op)
        return ast.UnaryOp(line=line, column=column, op=str(op), operand=operand)


@cache
def _parser() -> Lark:
    grammar = resources.files("rules.formula").joinpath("formula.lark").read_text("utf-8")
    return Lark(
        grammar,
        parser="lalr",
        lexer="contextual",
        propagate_positions=False,
        maybe_placeholders=False,
        transformer=_Builder(),
    )


def _describe(token: Token) -> str:
    if token.type == "$END":
        return "end of formula"
    return repr(str(token))


def _syntax_error(error: UnexpectedInput) -> FormulaError:
    line, column = error.line, error.column
    if line < 1:  # lark reports -1 at the end of the input
        line, column = 0, 0
    if isinstance(error, UnexpectedToken | UnexpectedEOF):
        token = getattr(error, "token", None)
        found = _describe(token) if isinstance(token, Token) else "end of formula"
        if isinstance(token, Token) and token.type == "$END":
            line, column = 0, 0
        expected = sorted(getattr(error, "expected", set()) or set())
        hint = f"; expected one of {', '.join(expected[:8])}" if expected else ""
        message = f"unexpected {found}{hint}"
    elif isinstance(error, UnexpectedCharacters):
        message = f"unexpected character {error.char!r}"
    else:
        message = "invalid formula"
    return FormulaError(ErrorCode.SYNTAX, message, line, column)


def _end_position(text: str) -> tuple[int, int]:
    lines = text.split("\n")
    return len(lines), len(lines[-1]) + 1


def parse(text: str) -> ast.Node:
    """The untyped tree of `text`; FormulaError on any problem (never another exception)."""
    if not isinstance(text, str):
        raise FormulaError(ErrorCode.SYNTAX, "a formula must be text")
    if len(text) > MAX_LENGTH:
        raise FormulaError(
            ErrorCode.TOO_LONG,
            f"formula is {len(text)} characters long; the limit is {MAX_LENGTH}",
            1,
            MAX_LENGTH + 1,
        )
    if not text.strip():
        raise FormulaError(ErrorCode.SYNTAX, "formula is empty", 1, 1)
    try:
        tree = _parser().parse(text)
    except FormulaError:
        raise
    except UnexpectedInput as error:
        failure = _syntax_error(error)
        if failure.line == 0:
            failure.line, failure.column = _end_position(text)
            failure.message = f"{failure.message} at end of formula"
        else:
            failure.message = f"{failure.message} at {failure.line}:{failure.column}"
        raise failure from None
    except Exception as error:  # lark wraps callback errors in VisitError
        inner = getattr(error, "orig_exc", None)
        if isinstance(inner, FormulaError):
            raise inner from None
        raise FormulaError(ErrorCode.SYNTAX, f"invalid formula: {error}", 1, 1) from None
    if not isinstance(tree, ast.Node):  # pragma: no cover - the grammar always yields a node
        raise FormulaError(ErrorCode.SYNTAX, "invalid formula", 1, 1)
    _check_bounds(tree)
    return tree


def _check_bounds(tree: ast.Node) -> None:
    count = 0
    stack = [(tree, 1)]
    while stack:
        node, level = stack.pop()
        count += 1
        if level > MAX_DEPTH:
            raise FormulaError(
                ErrorCode.TOO_DEEP,
                f"formula nests deeper than {MAX_DEPTH} levels at {node.line}:{node.column}",
                node.line,
                node.column,
            )
        if count > MAX_NODES:
            raise FormulaError(
                ErrorCode.TOO_LARGE,
                f"formula has more than {MAX_NODES} parts",
                node.line,
                node.column,
            )
        stack.extend((child, level + 1) for child in ast.children(node))
