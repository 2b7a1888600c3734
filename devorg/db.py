"""SQLite storage of one emulated org: a table per sObject (columns named like its fields) plus
devorg's own bookkeeping tables, whose names start with an underscore.

Values are stored the way Salesforce's JSON shows them, so reads need almost no conversion:
dates as `YYYY-MM-DD`, datetimes as `YYYY-MM-DDTHH:MM:SS.mmm+0000` (UTC, so text order is time
order), booleans as 0/1, numbers as INTEGER/REAL. Hidden per-row columns: `_DeletedDate` on
deletable objects, `_PasswordHash` on User, `_Formula` on ValidationRule.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from devorg import catalog
from devorg.catalog import Field, SObject
from devorg.ids import make_id

_HIDDEN_COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "User": (("_PasswordHash", "TEXT"),),
    "ValidationRule": (("_Formula", "TEXT"),),
}

_BOOKKEEPING = """
CREATE TABLE IF NOT EXISTS _meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS _connected_app (
    client_id TEXT PRIMARY KEY, client_secret TEXT NOT NULL, name TEXT NOT NULL,
    callback_url TEXT NOT NULL, jwt_public_key_pem TEXT, run_as_user_id TEXT
);
CREATE TABLE IF NOT EXISTS _oauth_token (
    token_hash TEXT PRIMARY KEY, kind TEXT NOT NULL, user_id TEXT NOT NULL, client_id TEXT NOT NULL,
    scope TEXT NOT NULL, issued_at REAL NOT NULL, expires_at REAL,
    revoked INTEGER NOT NULL DEFAULT 0, refresh_hash TEXT
);
CREATE TABLE IF NOT EXISTS _auth_code (
    code_hash TEXT PRIMARY KEY, user_id TEXT NOT NULL, client_id TEXT NOT NULL,
    redirect_uri TEXT NOT NULL, scope TEXT NOT NULL, code_challenge TEXT,
    code_challenge_method TEXT, expires_at REAL NOT NULL, used INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS _api_usage (day TEXT PRIMARY KEY, used INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS _write_count (
    id INTEGER PRIMARY KEY CHECK (id = 1), writes INTEGER NOT NULL
);
"""

# Indexes the REST endpoints and typical sync queries need on large orgs.
_INDEXES = (
    ("Opportunity", "SystemModstamp"),
    ("Opportunity", "OwnerId"),
    ("Opportunity", "AccountId"),
    ("OpportunityHistory", "OpportunityId"),
    ("OpportunityHistory", "SystemModstamp"),
    ("OpportunityFieldHistory", "OpportunityId"),
    ("OpportunityFieldHistory", "CreatedDate"),
    ("OpportunityCompetitor", "OpportunityId"),
    ("Task", "WhatId"),
    ("Event", "WhatId"),
    ("Account", "SystemModstamp"),
    ("User", "Username"),
)


def sf_datetime(moment: datetime) -> str:
    """Salesforce's JSON datetime form, in UTC with milliseconds: 2024-01-15T10:30:00.000+0000."""
    # isoformat, unlike strftime("%Y"), pads years before 1000 to four digits.
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")[:-6] + "+0000"


def parse_sf_datetime(text: str) -> datetime:
    """Parse an ISO 8601 / Salesforce datetime (`Z`, `+0000` or `+00:00`); naive means UTC.

    ValueError for anything else, including moments whose UTC form is outside years 1-9999.
    """
    value = text.strip()
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    elif len(value) > 5 and value[-5] in "+-" and value[-4:].isdigit():
        value = value[:-2] + ":" + value[-2:]
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError(f"{text[:40]} is out of range in UTC") from exc


def utcnow() -> datetime:
    return datetime.now(UTC)


def table_name(sobj: SObject) -> str:
    return f'"{sobj.name}"'


def column(name: str) -> str:
    return f'"{name}"'


def stored_columns(sobj: SObject) -> tuple[Field, ...]:
    """The fields kept as columns (calculated ones are computed at read time)."""
    return tuple(f for f in sobj.fields if not f.calculated)


def to_json_value(fld: Field, stored: Any) -> Any:
    """A stored column value as the REST API returns it."""
    if stored is None:
        return None
    if fld.type == "boolean":
        return bool(stored)
    if fld.type in ("currency", "double", "percent"):
        return float(stored)
    if fld.type == "int":
        return int(stored)
    return stored


class OrgDatabase:
    """One org's SQLite file. Single-threaded by design: devorg serves from one event loop."""

    def __init__(self, path: Path | str) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.execute("PRAGMA foreign_keys=OFF")
        self._next_number: dict[str, int] = {}
        self.create_schema()

    def close(self) -> None:
        self.conn.close()

    # -- schema -----------------------------------------------------------------------------
    def create_schema(self) -> None:
        statements = [_BOOKKEEPING]
        for sobj in catalog.ALL_OBJECTS:
            cols = [f"{column(f.name)} {f.sql_type}" for f in stored_columns(sobj)]
            cols[0] += " PRIMARY KEY" if sobj.name == "EntityDefinition" else " UNIQUE NOT NULL"
            if sobj.deletable:
                cols.append('"_DeletedDate" TEXT')
            cols += [f'"{name}" {kind}' for name, kind in _HIDDEN_COLUMNS.get(sobj.name, ())]
            statements.append(f"CREATE TABLE IF NOT EXISTS {table_name(sobj)} ({', '.join(cols)});")
        for obj, col in _INDEXES:
            statements.append(f'CREATE INDEX IF NOT EXISTS "ix_{obj}_{col}" ON "{obj}" ("{col}");')
        self.conn.executescript("\n".join(statements))
        self._add_new_columns()

    def _add_new_columns(self) -> None:
        """Columns a newer catalog has and a file seeded by an older devorg lacks (a field
        added to an object, Task.Description say), added empty."""
        for sobj in catalog.ALL_OBJECTS:
            table = table_name(sobj)
            present = {row[1] for row in self.conn.execute(f"PRAGMA table_info({table})")}
            for fld in stored_columns(sobj):
                if fld.name not in present:
                    self.conn.execute(
                        f"ALTER TABLE {table} ADD COLUMN {column(fld.name)} {fld.sql_type}"
                    )

    # -- ids --------------------------------------------------------------------------------
    def new_id(self, sobj: SObject) -> str:
        """A fresh id for `sobj`; ids are numbered after the largest rowid ever stored."""
        if sobj.name not in self._next_number:
            row = self.conn.execute(f"SELECT COALESCE(MAX(rowid), 0) FROM {table_name(sobj)}")
            self._next_number[sobj.name] = int(row.fetchone()[0]) + 1
        number = self._next_number[sobj.name]
        self._next_number[sobj.name] = number + 1
        return make_id(sobj.key_prefix, number)

    def reserve_ids(self, sobj: SObject, count: int) -> int:
        """Reserve `count` consecutive record numbers (bulk seeding); returns the first one."""
        self.new_id(sobj)
        first = self._next_number[sobj.name] - 1
        self._next_number[sobj.name] = first + count
        return first

    # -- rows -------------------------------------------------------------------------------
    def insert(self, sobj: SObject, row: dict[str, Any]) -> None:
        names = list(row)
        placeholders = ", ".join("?" for _ in names)
        self.conn.execute(
            f"INSERT INTO {table_name(sobj)} ({', '.join(column(n) for n in names)}) "
            f"VALUES ({placeholders})",
            [row[n] for n in names],
        )

    def insert_many(
        self, sobj: SObject, names: Sequence[str], rows: Iterable[Sequence[Any]]
    ) -> None:
        placeholders = ", ".join("?" for _ in names)
        self.conn.executemany(
            f"INSERT INTO {table_name(sobj)} ({', '.join(column(n) for n in names)}) "
            f"VALUES ({placeholders})",
            rows,
        )

    def update(self, sobj: SObject, record_id: str, values: dict[str, Any]) -> None:
        if not values:
            return
        assignments = ", ".join(f"{column(n)} = ?" for n in values)
        self.conn.execute(
            f'UPDATE {table_name(sobj)} SET {assignments} WHERE "Id" = ?',
            [*values.values(), record_id],
        )

    def get(
        self, sobj: SObject, record_id: str, *, include_deleted: bool = False
    ) -> dict[str, Any] | None:
        """The stored row (column name → stored value), or None."""
        sql = f'SELECT * FROM {table_name(sobj)} WHERE "Id" = ?'
        if sobj.deletable and not include_deleted:
            sql += ' AND "IsDeleted" = 0'
        cursor = self.conn.execute(sql, [record_id])
        found = cursor.fetchone()
        if found is None:
            return None
        return dict(zip([d[0] for d in cursor.description], found, strict=True))

    # -- bookkeeping ------------------------------------------------------------------------
    def meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM _meta WHERE key = ?", [key]).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute(
            "INSERT INTO _meta (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [key, value],
        )

    @property
    def is_seeded(self) -> bool:
        return self.meta("org_id") is not None


def today_utc() -> date:
    return utcnow().date()
