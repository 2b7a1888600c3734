"""What the sales process's repositories (store.alert_rules, store.milestones, store.alerts)
share: how a caller's values become column values, how a read-then-write takes its lock, and
the two shapes of read they all make.

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
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, SQLModel, col
from sqlmodel.sql.expression import SelectOfScalar

from store.tenancy import OrgScope, table_of


class _PerOpportunity(Protocol):
    opportunity_id: str


class _Retirable(Protocol):
    id: str
    retired_at: Any


Row = TypeVar("Row", bound=_PerOpportunity)
Definition = TypeVar("Definition", bound=_Retirable)


def stored_values(
    values: Mapping[str, Any], allowed: Collection[str], required: Collection[str] = ()
) -> dict[str, Any]:
    """`values` as column values: enum members become their names (what the columns hold),
    tuples of fix fields become lists (JSON columns); KeyError naming any key not `allowed`,
    or any `required` one missing or None."""
    unknown = sorted(set(values) - set(allowed))
    if unknown:
        raise KeyError(f"not settable here: {', '.join(unknown)}")
    missing = [name for name in required if values.get(name) is None]
    if missing:
        raise KeyError(f"required: {', '.join(missing)}")
    return {key: _stored(value) for key, value in values.items()}


def _stored(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.name
    if isinstance(value, tuple):
        return list(value)
    return value


def claim(
    session: Session, scope: OrgScope, model: type[SQLModel], *where: ColumnElement[bool]
) -> None:
    """Take the write lock on the rows of `model` that `where` selects before reading them,
    so two read-then-write transactions take turns: a no-op UPDATE (updated_at = updated_at).
    On PostgreSQL it locks those rows until commit, as SELECT ... FOR UPDATE would; on SQLite,
    whose driver begins a transaction only at the first write, a read before it would see a
    state that another writer may change before this one gets the database's write lock."""
    updated_at = table_of(model).c.updated_at
    session.execute(scope.update(model).where(*where).values({updated_at: updated_at}))


Keyed = TypeVar("Keyed", bound=SQLModel)


def claimed(session: Session, scope: OrgScope, model: type[Keyed], row_id: str) -> Keyed | None:
    """The org's row of `model` with id `row_id`, write-locked for this transaction (claim)."""
    row_key = table_of(model).c.id == row_id
    claim(session, scope, model, row_key)
    return session.exec(scope.select(model).where(row_key)).first()


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
