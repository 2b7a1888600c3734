"""The shapes the evaluator is built from: an environment, compiled closures and builders.

A typed tree compiles into nested closures (`Compiled`: env -> value), built once per formula.
Each function is a `Builder`: given its typed call node and its compiled arguments it returns
the closure that evaluates the call, so work that depends only on the formula (choosing the
TEXT format from the argument type, compiling a constant REGEX) happens once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, tzinfo

from rules.formula import ast
from rules.formula.values import Value


class Env:
    """One evaluation: the record's field values (by catalog spelling), the clock (`now` in
    UTC), the time zone dates are taken in and `today`, the date of `now` in that zone."""

    __slots__ = ("now", "today", "tz", "values")

    def __init__(
        self,
        values: dict[str, Value],
        now: datetime | None,
        tz: tzinfo = UTC,
        today: date | None = None,
    ) -> None:
        self.values = values
        self.now = now
        self.tz = tz
        self.today = today


Compiled = Callable[[Env], Value]
Builder = Callable[[ast.Call, Sequence[Compiled]], Compiled]


def strict(fn: Callable[..., Value]) -> Builder:
    """A function whose result is blank when any argument is blank."""

    def build(_call: ast.Call, args: Sequence[Compiled]) -> Compiled:
        if len(args) == 1:
            (only,) = args

            def run1(env: Env) -> Value:
                value = only(env)
                return None if value is None else fn(value)

            return run1

        def run(env: Env) -> Value:
            values = [arg(env) for arg in args]
            if any(value is None for value in values):
                return None
            return fn(*values)

        return run

    return build


def eager(fn: Callable[..., Value]) -> Builder:
    """A function that sees every argument, blanks included."""

    def build(_call: ast.Call, args: Sequence[Compiled]) -> Compiled:
        def run(env: Env) -> Value:
            return fn(*[arg(env) for arg in args])

        return run

    return build


def constant(value: Value) -> Compiled:
    def run(_env: Env) -> Value:
        return value

    return run
