"""The org's Organization record: its one row, the demo org's settings, and its time zone.

The seed writes the row. A database seeded before devorg had the Organization object has the
table (the schema is created on open) but no row: `ensure_organization` writes it, with the
demo org's settings, when a server opens the file, so `SELECT ... FROM Organization` answers
there as on Salesforce.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from devorg import catalog
from devorg.db import OrgDatabase, sf_datetime, utcnow
from rules.time_zones import local_date, org_time_zone

# The seeded demo org: Brightwave Software runs its books in US dollars from California.
DEMO_SETTINGS: dict[str, Any] = {
    "OrganizationType": "Enterprise Edition",
    "IsSandbox": 0,
    "TimeZoneSidKey": "America/Los_Angeles",
    "LanguageLocaleKey": "en_US",
    "DefaultLocaleSidKey": "en_US",
    "DefaultCurrencyIsoCode": "USD",
    "FiscalYearStartMonth": 1,
}


def organization_row(org_id: str, name: str, *, at: str, by: str | None) -> dict[str, Any]:
    """The Organization row of the demo org `org_id`, created (and last changed) at `at`."""
    return {
        "Id": org_id,
        "CreatedDate": at,
        "CreatedById": by,
        "LastModifiedDate": at,
        "LastModifiedById": by,
        "SystemModstamp": at,
        "Name": name,
        **DEMO_SETTINGS,
    }


def ensure_organization(db: OrgDatabase) -> None:
    """Write the Organization row of a seeded database that lacks it (seeded by an older
    devorg); nothing for an unseeded database or one that has it."""
    org_id = db.meta("org_id")
    if org_id is None:
        return
    table = db.conn.execute('SELECT 1 FROM "Organization" LIMIT 1')
    if table.fetchone() is not None:
        return
    app = db.conn.execute("SELECT run_as_user_id FROM _connected_app LIMIT 1").fetchone()
    row = organization_row(
        org_id,
        db.meta("org_name") or org_id,
        at=db.meta("seeded_at") or sf_datetime(utcnow()),
        by=None if app is None else app[0],
    )
    db.insert(catalog.ORGANIZATION, row)


def time_zone_key(db: OrgDatabase) -> str | None:
    """The org's TimeZoneSidKey (None while the database holds no Organization row)."""
    found = db.conn.execute('SELECT "TimeZoneSidKey" FROM "Organization" LIMIT 1').fetchone()
    return None if found is None else found[0]


def demo_today() -> date:
    """Today's date where the demo org is (its TimeZoneSidKey), which is what TODAY() means to
    its users: between midnight UTC and midnight in California the UTC date is a day ahead."""
    return local_date(utcnow(), org_time_zone(DEMO_SETTINGS["TimeZoneSidKey"]))


def org_today(db: OrgDatabase) -> date:
    """Today's date in the org's time zone, as its validation rules read it (UTC for a key
    the zone database lacks); the demo org's while the database has no Organization row."""
    zone = time_zone_key(db)
    return demo_today() if zone is None else local_date(utcnow(), org_time_zone(zone))
