"""What the sales process's repositories (store.alert_rules, store.milestones, store.alerts)
share: how a caller's values become column values, and the two shapes of read they all make.

Values come as the API and the import service hand them over: already validated
(rules.definitions), keyed by column name, enums given as members of rules.process's enums or
as their names. Only the columns a caller may set are accepted: an unknown key is a
programming error, raised at once rather than silently ignored (a misspelt key would
otherwise drop an edit).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from enum import Enum
from typing import Any, Protocol, TypeVar

from sqlalchemy import Engine
from sqlmodel import Session, col
from sqlmodel.sql.expression import SelectOfScalar


class _PerOpportunity(Protocol):
    opportunity_id: str


class _Retirable(Protocol):
    id: str
    retired_at: Any


Row = TypeVar("Row", bound=_PerOpportunity)
Definition = TypeVar("Definition", bound=_Retirable)


def stored_values(values: Mapping[str, Any], allowed: Collection[str]) -> dict[str, Any]:
    """`values` as column values: enum members become their names (what the columns hold),
    tuples of fix fields become lists (JSON columns); KeyError naming any key not `allowed`."""
    unknown = sorted(set(values) - set(allowed))
    if unknown:
        raise KeyError(f"not settable here: {', '.join(unknown)}")
    return {key: _stored(value) for key, value in values.items()}


def _stored(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.name
    if isinstance(value, tuple):
        return list(value)
    return value


def by_opportunity(engine: Engine, query: SelectOfScalar[Row]) -> dict[str, list[Row]]:
    """The rows `query` selects, grouped by opportunity in the query's order."""
    found: dict[str, list[Row]] = {}
    with Session(engine) as session:
        for row in session.exec(query).all():
            found.setdefault(row.opportunity_id, []).append(row)
    return found


def listed(
    engine: Engine,
    query: SelectOfScalar[Definition],
    model: type[Definition],
    include_retired: bool,
    *order: Any,
) -> list[Definition]:
    """The definitions `query` selects in `order` (then id), without retired ones unless
    asked (a retired definition stays for history, not for lists)."""
    if not include_retired:
        query = query.where(col(model.retired_at).is_(None))
    query = query.order_by(*order, col(model.id))
    with Session(engine) as session:
        return list(session.exec(query).all())
