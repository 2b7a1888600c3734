"""REGEX(text, pattern): true when the *whole* text matches (Java `String.matches` semantics).

Safety: Python's `re` backtracks and can take exponential time on patterns like `(a+)+b`; a
rule author must never be able to hang the evaluator. REGEX therefore runs on Rust's `regex`
engine through Polars (already a dependency for the bulk path), which guarantees time linear in
the text and rejects patterns whose compiled form is too big. The price: the few Java features
that need backtracking (backreferences `\\1`, look-around `(?=...)`, possessive quantifiers
`a*+`, atomic groups) are not available. A constant pattern they appear in is rejected when
the formula compiles (invalid_argument, at the pattern); a pattern computed at run time that
does not compile is #Error! for that record. The bulk path uses the same engine, so both paths
agree on every pattern. Blank text matches a pattern only if the pattern matches "".
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from rules.formula import ast
from rules.formula.errors import ErrorCode, FormulaError
from rules.formula.runtime import Builder, Compiled, Env
from rules.formula.values import Fault, Value, text

MAX_PATTERN = 1000


def anchored(pattern: str) -> str:
    return rf"\A(?:{pattern})\z"


@lru_cache(maxsize=256)
def pattern_problem(pattern: str) -> str | None:
    """Why `pattern` cannot be used, or None when it compiles."""
    import polars as pl

    if len(pattern) > MAX_PATTERN:
        return f"pattern longer than {MAX_PATTERN} characters"
    try:
        pl.Series([""]).str.contains(anchored(pattern), strict=True)
    except pl.exceptions.PolarsError as error:
        lines = [line.strip() for line in str(error).splitlines() if line.strip()]
        reason = next((line for line in lines if line.startswith("error:")), "invalid pattern")
        return reason.removeprefix("error: ")
    return None


def regex_matches(value: str, pattern: str) -> bool:
    import polars as pl

    problem = pattern_problem(pattern)
    if problem is not None:
        raise Fault(f"REGEX pattern cannot be used: {problem}")
    return bool(pl.Series([value]).str.contains(anchored(pattern), strict=True).item())


def _regex(call: ast.Call, args: Sequence[Compiled]) -> Compiled:
    subject, pattern = args
    literal = call.args[1]
    if isinstance(literal, ast.StringLit):
        problem = pattern_problem(literal.value)
        if problem is not None:
            raise FormulaError(
                ErrorCode.INVALID_ARGUMENT,
                f"REGEX pattern at {literal.line}:{literal.column} cannot be used: {problem} "
                "(dealpulse runs patterns on a linear-time engine: no backreferences or "
                "look-around)",
                literal.line,
                literal.column,
            )

    def run(env: Env) -> Value:
        return regex_matches(text(subject(env)), text(pattern(env)))

    return run


BUILDERS: dict[str, Builder] = {"REGEX": _regex}
