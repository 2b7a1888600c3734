"""The daily API-request budget, counted per UTC day as Salesforce's DailyApiRequests limit,
and the records written through the API (for tests: "a retried write wrote once")."""

from __future__ import annotations

from devorg.db import OrgDatabase, today_utc


def used_today(db: OrgDatabase) -> int:
    row = db.conn.execute(
        "SELECT used FROM _api_usage WHERE day = ?", [today_utc().isoformat()]
    ).fetchone()
    return 0 if row is None else int(row[0])


def count_request(db: OrgDatabase) -> int:
    """Count one API request and return today's total."""
    row = db.conn.execute(
        "INSERT INTO _api_usage (day, used) VALUES (?, 1) "
        "ON CONFLICT(day) DO UPDATE SET used = used + 1 RETURNING used",
        [today_utc().isoformat()],
    ).fetchone()
    return int(row[0])


def set_used_today(db: OrgDatabase, used: int) -> None:
    db.conn.execute(
        "INSERT INTO _api_usage (day, used) VALUES (?, ?) "
        "ON CONFLICT(day) DO UPDATE SET used = excluded.used",
        [today_utc().isoformat(), used],
    )


def count_write(db: OrgDatabase) -> None:
    """Count one record written (inside the write's savepoint: a write rolled back is not)."""
    db.conn.execute(
        "INSERT INTO _write_count (id, writes) VALUES (1, 1) "
        "ON CONFLICT(id) DO UPDATE SET writes = writes + 1"
    )


def writes(db: OrgDatabase) -> int:
    row = db.conn.execute("SELECT writes FROM _write_count WHERE id = 1").fetchone()
    return 0 if row is None else int(row[0])
