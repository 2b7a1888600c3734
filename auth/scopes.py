"""The OAuth scopes of issue 10, defined once: what a token may be used for.

- `pipeline:read`: opportunities, health, milestones, forecasts, exports, win probability;
- `alerts:read`: alerts, the to-do list, the audit log, subscriptions;
- `alerts:write`: snooze, dismiss, check-in, milestone completions;
- `opportunities:write`: quick-fix, and the field updates of a check-in;
- `admin`: rules, milestones, imports, clients.

A scope list travels as OAuth spells it (RFC 6749 section 3.3): names separated by spaces.
`parse_scopes` reads one and answers the names in the canonical order (the order declared
here), so two lists that grant the same scopes are equal however they were written.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Literal

# How much of a refused scope name an error message repeats: enough to recognise a typo,
# bounded so that a caller cannot make an error message as long as its input.
_SHOWN_CHARS = 64


class Scope(StrEnum):
    PIPELINE_READ = "pipeline:read"
    ALERTS_READ = "alerts:read"
    ALERTS_WRITE = "alerts:write"
    OPPORTUNITIES_WRITE = "opportunities:write"
    ADMIN = "admin"


ALL_SCOPES: tuple[Scope, ...] = tuple(Scope)
SCOPE_NAMES: frozenset[str] = frozenset(scope.value for scope in ALL_SCOPES)


class ScopeError(ValueError):
    """A scope list names a scope that does not exist, or one scope twice. `scope` is the
    offending name; the message names it (a scope name is not a secret) and the known ones."""

    oauth_error = "invalid_scope"  # RFC 6749 section 5.2, for the token endpoint

    def __init__(self, scope: str, reason: Literal["unknown", "duplicate"]) -> None:
        self.scope = scope
        self.reason = reason
        shown = scope if len(scope) <= _SHOWN_CHARS else scope[:_SHOWN_CHARS] + "..."
        if reason == "unknown":
            known = " ".join(ALL_SCOPES)
            message = f"unknown scope {shown!r} (known scopes: {known})"
        else:
            message = f"scope {shown!r} is listed twice"
        super().__init__(message)


def canonical_scopes(names: Iterable[str]) -> tuple[str, ...]:
    """`names` checked (each a known scope, none twice) and in the canonical order."""
    seen: set[str] = set()
    for name in names:
        if name not in SCOPE_NAMES:
            raise ScopeError(name, "unknown")
        if name in seen:
            raise ScopeError(name, "duplicate")
        seen.add(name)
    # Plain strings in the declared order, whether `names` held strings or Scope members.
    return tuple(scope.value for scope in ALL_SCOPES if scope.value in seen)


def parse_scopes(text: str) -> tuple[str, ...]:
    """A space-separated scope list as its names in the canonical order; "" is no scope.
    Runs of whitespace count as one separator (lenient for a command line; a tab or newline
    could never be part of a scope name anyway)."""
    return canonical_scopes(text.split())


def format_scopes(names: Iterable[str]) -> str:
    """Names as one space-separated scope list, as OAuth's `scope` parameter spells it."""
    return " ".join(names)
