"""The seeded org: determinism, people, the shape of the pipeline, planted patterns, bad data."""

from __future__ import annotations

import itertools
import re
import sqlite3
import statistics
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from devorg import catalog, validation
from devorg.db import OrgDatabase, parse_sf_datetime
from devorg.ids import normalize_id
from devorg.passwords import hash_password, verify_password
from devorg.seed import SeedResult, seed_org

N = 2_000
SEED = 11
TODAY = date(2025, 6, 15)
MIDDLE = ("Value Proposition", "Id. Decision Makers", "Perception Analysis")
LATE = ("Proposal/Price Quote", "Negotiation/Review")


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[OrgDatabase, SeedResult]]:
    db = OrgDatabase(tmp_path_factory.mktemp("seed") / "org.sqlite3")
    calls: list[tuple[int, int]] = []
    result = seed_org(
        db, opportunities=N, seed=SEED, today=TODAY, progress=lambda d, t: calls.append((d, t))
    )
    assert calls[-1] == (N, N)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
    yield db, result
    db.close()


@pytest.fixture(scope="module")
def conn(seeded: tuple[OrgDatabase, SeedResult]) -> sqlite3.Connection:
    return seeded[0].conn


def one(conn: sqlite3.Connection, sql: str, *args: Any) -> Any:
    return conn.execute(sql, args).fetchone()[0]


def win_rate(rows: list[tuple[str, int]], keep: set[str] | None = None) -> tuple[float, int]:
    wins = [won for opp_id, won in rows if keep is None or opp_id in keep]
    return sum(wins) / len(wins), len(wins)


@pytest.fixture(scope="module")
def closed(conn: sqlite3.Connection) -> list[tuple[str, int]]:
    return conn.execute('SELECT "Id", "IsWon" FROM "Opportunity" WHERE "IsClosed" = 1').fetchall()


@pytest.fixture(scope="module")
def stage_days(conn: sqlite3.Connection) -> dict[str, list[tuple[str, float]]]:
    """Per opportunity, (stage, days until the next stage change) from OpportunityHistory."""
    entries: dict[str, list[tuple[datetime, str]]] = defaultdict(list)
    for opp_id, created, stage in conn.execute(
        'SELECT "OpportunityId", "CreatedDate", "StageName" FROM "OpportunityHistory" '
        "ORDER BY rowid"
    ):
        seen = entries[opp_id]
        if not seen or seen[-1][1] != stage:
            seen.append((parse_sf_datetime(created), stage))
    return {
        opp_id: [
            (stage, (later - at).total_seconds() / 86_400)
            for (at, stage), (later, _) in itertools.pairwise(seen)
        ]
        for opp_id, seen in entries.items()
    }


# -- the seed as a whole -----------------------------------------------------------------------
def test_same_arguments_give_the_same_data() -> None:
    dumps = []
    for _ in range(2):
        db = OrgDatabase(":memory:")
        seed_org(db, opportunities=300, seed=5, today=TODAY)
        dump = {}
        for sobj in catalog.DATA_OBJECTS:
            columns = "*" if sobj.name != "User" else '"Id", "Username", "ManagerId", "Name"'
            dump[sobj.name] = db.conn.execute(
                f'SELECT {columns} FROM "{sobj.name}" ORDER BY rowid'
            ).fetchall()
        dumps.append(dump)
        db.close()
    assert dumps[0] == dumps[1]
    assert len(dumps[0]["Opportunity"]) == 300


def test_other_seed_gives_other_data(conn: sqlite3.Connection) -> None:
    db = OrgDatabase(":memory:")
    seed_org(db, opportunities=50, seed=SEED + 1, today=TODAY)
    names = [r[0] for r in db.conn.execute('SELECT "Name" FROM "Opportunity" ORDER BY rowid')]
    mine = [r[0] for r in conn.execute('SELECT "Name" FROM "Opportunity" ORDER BY rowid LIMIT 50')]
    assert names != mine


def test_refuses_to_seed_twice(seeded: tuple[OrgDatabase, SeedResult]) -> None:
    with pytest.raises(ValueError, match="already seeded"):
        seed_org(seeded[0], opportunities=10, seed=1, today=TODAY)


def test_metadata_and_connected_app(seeded: tuple[OrgDatabase, SeedResult]) -> None:
    db, result = seeded
    assert db.meta("org_id") == result.org_id
    assert result.org_id.startswith("00D")
    assert db.meta("seed") == str(SEED)
    assert db.meta("today") == TODAY.isoformat()
    assert db.meta("org_name")
    assert db.meta("seeded_at")
    app = db.conn.execute(
        "SELECT client_id, client_secret, name, callback_url, jwt_public_key_pem, run_as_user_id "
        "FROM _connected_app"
    ).fetchall()
    assert len(app) == 1
    client_id, secret, name, callback, public_pem, run_as = app[0]
    assert (client_id, secret, name, callback) == (
        result.client_id, result.client_secret, "dealpulse", result.callback_url,
    )  # fmt: skip
    assert re.fullmatch(r"3MVG9[A-Za-z0-9._]{80}", client_id)
    assert run_as == result.users["admin"].user_id
    private = serialization.load_pem_private_key(result.jwt_private_key_pem.encode(), None)
    derived = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert derived.decode() == public_pem


def test_stages_rules_and_entity_definition(conn: sqlite3.Connection) -> None:
    stages = conn.execute(
        'SELECT "ApiName", "MasterLabel", "SortOrder", "IsClosed", "IsWon", "DefaultProbability", '
        '"ForecastCategoryName", "ForecastCategory", "IsActive" FROM "OpportunityStage" '
        'ORDER BY "SortOrder"'
    ).fetchall()
    assert [(s[0], s[2], bool(s[3]), bool(s[4]), s[5], s[6]) for s in stages] == [
        (name, order, closed, won, probability, forecast)
        for name, order, closed, won, probability, forecast in catalog.STAGES
    ]
    assert all(s[0] == s[1] and s[8] == 1 for s in stages)
    assert all(s[7] == catalog.FORECAST_CATEGORIES[s[6]] for s in stages)
    rules = conn.execute(
        'SELECT "ValidationName", "Active", "EntityDefinitionId", "ErrorDisplayField", '
        '"ErrorMessage", "_Formula" FROM "ValidationRule" ORDER BY rowid'
    ).fetchall()
    assert rules == [
        (r.name, 1, "Opportunity", r.display_field, r.message, r.formula) for r in validation.RULES
    ]
    assert conn.execute(
        'SELECT "DurableId", "QualifiedApiName" FROM "EntityDefinition"'
    ).fetchall() == [("Opportunity", "Opportunity")]


# -- people ------------------------------------------------------------------------------------
def test_users_follow_the_role_hierarchy(conn: sqlite3.Connection) -> None:
    users = conn.execute(
        'SELECT u."Id", u."ManagerId", r."ParentRoleId", m."UserRoleId", u."Username" '
        'FROM "User" u JOIN "UserRole" r ON r."Id" = u."UserRoleId" '
        'LEFT JOIN "User" m ON m."Id" = u."ManagerId"'
    ).fetchall()
    assert 38 <= len(users) <= 45
    assert len({u[4] for u in users}) == len(users)
    assert all(re.fullmatch(r"[a-z]+\.[a-z]+@dealpulse-demo\.example", u[4]) for u in users)
    top = [u for u in users if u[1] is None]
    assert len(top) == 1
    assert top[0][2] is None
    # Every manager holds the parent role of the people reporting to them.
    assert all(u[3] == u[2] for u in users if u[1] is not None)
    profiles = dict(
        conn.execute(
            'SELECT p."Name", COUNT(*) FROM "User" u JOIN "Profile" p ON p."Id" = u."ProfileId" '
            'GROUP BY p."Name"'
        ).fetchall()
    )
    assert profiles["Sales Rep"] >= 30
    assert 5 <= profiles["Sales Manager"] <= 8
    assert profiles["System Administrator"] >= 1


def test_former_reps_own_only_closed_deals(conn: sqlite3.Connection) -> None:
    inactive = [r[0] for r in conn.execute('SELECT "Id" FROM "User" WHERE "IsActive" = 0')]
    assert 1 <= len(inactive) <= 2
    for user_id in inactive:
        counts = conn.execute(
            'SELECT SUM("IsClosed" = 0), SUM("IsClosed" = 1) FROM "Opportunity" '
            'WHERE "OwnerId" = ?',
            [user_id],
        ).fetchone()
        assert counts[0] == 0
        assert counts[1] > 0


def test_demo_users(seeded: tuple[OrgDatabase, SeedResult]) -> None:
    db, result = seeded

    def user(key: str) -> dict[str, Any]:
        row = db.conn.execute(
            'SELECT u.*, p."Name" AS profile FROM "User" u '
            'JOIN "Profile" p ON p."Id" = u."ProfileId" WHERE u."Id" = ?',
            [result.users[key].user_id],
        )
        names = [d[0] for d in row.description]
        return dict(zip(names, row.fetchone(), strict=True))

    rep, manager, admin = user("rep"), user("manager"), user("admin")
    assert rep["profile"] == "Sales Rep"
    assert rep["IsActive"] == 1
    assert rep["ManagerId"] == manager["Id"]
    assert manager["profile"] == "Sales Manager"
    assert admin["profile"] == "System Administrator"
    for key, row in (("rep", rep), ("manager", manager), ("admin", admin)):
        assert result.users[key].username == row["Username"]
        assert verify_password(result.users[key].password, row["_PasswordHash"])
        assert not verify_password(result.users[key].password + "x", row["_PasswordHash"])
    stages = db.conn.execute(
        'SELECT COUNT(*), COUNT(DISTINCT "StageName") FROM "Opportunity" '
        'WHERE "OwnerId" = ? AND "IsClosed" = 0',
        [rep["Id"]],
    ).fetchone()
    assert stages[0] >= 8
    assert stages[1] >= 4


def test_every_user_has_a_password_hash(conn: sqlite3.Connection) -> None:
    hashes = [r[0] for r in conn.execute('SELECT "_PasswordHash" FROM "User"')]
    assert all(re.fullmatch(r"pbkdf2_sha256\$\d+\$[0-9a-f]{32}\$[0-9a-f]{64}", h) for h in hashes)
    assert len(set(hashes)) == len(hashes)


def test_password_hashes() -> None:
    stored = hash_password("s3cret!", iterations=1_000)
    assert verify_password("s3cret!", stored)
    assert not verify_password("s3cret", stored)
    assert stored != hash_password("s3cret!", iterations=1_000)  # salted
    for broken in (None, "", "md5$1$00$00", "pbkdf2_sha256$x$00$00", "pbkdf2_sha256$10$zz$00"):
        assert not verify_password("s3cret!", broken)


# -- records -----------------------------------------------------------------------------------
def test_ids_are_unique_well_formed_and_follow_rowids(
    seeded: tuple[OrgDatabase, SeedResult],
) -> None:
    db = seeded[0]
    for sobj in catalog.DATA_OBJECTS:
        ids = [r[0] for r in db.conn.execute(f'SELECT "Id" FROM "{sobj.name}"')]
        assert ids, sobj.name
        assert len(set(ids)) == len(ids), sobj.name
        assert all(normalize_id(i) == i and i.startswith(sobj.key_prefix) for i in ids)
    # A server opening the file later numbers new records after the seeded ones.
    fresh = OrgDatabase(db.path)
    try:
        new = fresh.new_id(catalog.OPPORTUNITY)
        assert fresh.get(catalog.OPPORTUNITY, new, include_deleted=True) is None
    finally:
        fresh.close()


def test_references_resolve(conn: sqlite3.Connection) -> None:
    checks = (
        ("Opportunity", "AccountId", "Account"), ("Opportunity", "OwnerId", "User"),
        ("Opportunity", "CreatedById", "User"), ("Account", "OwnerId", "User"),
        ("OpportunityHistory", "OpportunityId", "Opportunity"),
        ("OpportunityFieldHistory", "OpportunityId", "Opportunity"),
        ("OpportunityCompetitor", "OpportunityId", "Opportunity"),
        ("Task", "WhatId", "Opportunity"), ("Event", "WhatId", "Opportunity"),
        ("User", "UserRoleId", "UserRole"), ("User", "ProfileId", "Profile"),
    )  # fmt: skip
    for table, column, target in checks:
        dangling = one(
            conn,
            f'SELECT COUNT(*) FROM "{table}" t WHERE t."{column}" IS NOT NULL AND NOT EXISTS '
            f'(SELECT 1 FROM "{target}" x WHERE x."Id" = t."{column}")',
        )
        assert dangling == 0, (table, column)


def test_fields_follow_the_stage(conn: sqlite3.Connection) -> None:
    mismatched = one(
        conn,
        'SELECT COUNT(*) FROM "Opportunity" o JOIN "OpportunityStage" s '
        'ON s."ApiName" = o."StageName" WHERE o."Probability" != s."DefaultProbability" '
        'OR o."ForecastCategoryName" != s."ForecastCategoryName" '
        'OR o."ForecastCategory" != s."ForecastCategory" OR o."IsClosed" != s."IsClosed" '
        'OR o."IsWon" != s."IsWon" OR o."IsDeleted" != 0',
    )
    assert mismatched == 0
    assert one(conn, 'SELECT COUNT(*) FROM "Opportunity" WHERE "Name" NOT LIKE \'% - %\'') == 0


def test_times_are_ordered_and_not_after_today(conn: sqlite3.Connection) -> None:
    today = TODAY.isoformat()
    assert (
        one(
            conn,
            'SELECT COUNT(*) FROM "Opportunity" WHERE "LastModifiedDate" < "CreatedDate" '
            'OR "LastModifiedDate" >= ? OR "SystemModstamp" != "LastModifiedDate" '
            'OR "LastStageChangeDate" < "CreatedDate" '
            'OR "LastStageChangeDate" > "LastModifiedDate"',
            today,
        )
        == 0
    )
    assert (
        one(
            conn,
            'SELECT COUNT(*) FROM "Opportunity" WHERE "IsClosed" = 1 AND "CloseDate" >= ?',
            today,
        )
        == 0
    )
    for table in ("OpportunityHistory", "OpportunityFieldHistory", "Task", "Event"):
        assert one(conn, f'SELECT COUNT(*) FROM "{table}" WHERE "CreatedDate" >= ?', today) == 0
    assert (
        one(
            conn,
            'SELECT COUNT(*) FROM "OpportunityHistory" h JOIN "Opportunity" o ON o."Id" = '
            'h."OpportunityId" WHERE h."CreatedDate" < o."CreatedDate"',
        )
        == 0
    )


def test_activities(conn: sqlite3.Connection) -> None:
    today = TODAY.isoformat()
    # LastActivityDate is the latest past task or event.
    assert (
        one(
            conn,
            'SELECT COUNT(*) FROM "Opportunity" o WHERE o."LastActivityDate" IS NOT (SELECT MAX(d) '
            'FROM (SELECT "ActivityDate" d FROM "Task" WHERE "WhatId" = o."Id" AND "IsClosed" = 1 '
            'UNION ALL SELECT "ActivityDate" FROM "Event" WHERE "WhatId" = o."Id" '
            'AND "ActivityDate" < ?))',
            today,
        )
        == 0
    )
    # A future next meeting is on the calendar.
    future = conn.execute(
        'SELECT COUNT(*), SUM(EXISTS (SELECT 1 FROM "Event" e WHERE e."WhatId" = o."Id" '
        'AND e."ActivityDate" = o."Next_Meeting_Date__c")) FROM "Opportunity" o '
        'WHERE o."IsClosed" = 0 AND o."Next_Meeting_Date__c" >= ?',
        [today],
    ).fetchone()
    assert future[0] == future[1] > 0
    events = conn.execute(
        'SELECT "StartDateTime", "EndDateTime", "DurationInMinutes" FROM "Event"'
    ).fetchall()
    assert all(
        (parse_sf_datetime(end) - parse_sf_datetime(start)).total_seconds() == minutes * 60
        for start, end, minutes in events
    )


def test_competitors(conn: sqlite3.Connection) -> None:
    share = one(conn, 'SELECT AVG("Competitor__c" IS NOT NULL) FROM "Opportunity"')
    assert 0.5 <= share <= 0.7
    missing = one(
        conn,
        'SELECT COUNT(*) FROM "Opportunity" o WHERE o."Competitor__c" IS NOT NULL AND NOT EXISTS '
        '(SELECT 1 FROM "OpportunityCompetitor" c WHERE c."OpportunityId" = o."Id" '
        'AND c."CompetitorName" = o."Competitor__c")',
    )
    assert missing == 0
    assert one(conn, 'SELECT COUNT(*) FROM "OpportunityCompetitor" WHERE "Strengths" IS NULL') == 0


# -- history -----------------------------------------------------------------------------------
def test_last_history_row_matches_the_opportunity(conn: sqlite3.Connection) -> None:
    mismatched = one(
        conn,
        'SELECT COUNT(*) FROM "Opportunity" o JOIN "OpportunityHistory" h ON h.rowid = '
        '(SELECT MAX(rowid) FROM "OpportunityHistory" WHERE "OpportunityId" = o."Id") '
        'WHERE h."StageName" != o."StageName" OR h."CloseDate" != o."CloseDate" '
        'OR h."Amount" IS NOT o."Amount" OR h."Probability" != o."Probability" '
        'OR h."ForecastCategory" != o."ForecastCategory"',
    )
    assert mismatched == 0


def test_history_rows_chain(conn: sqlite3.Connection) -> None:
    rows = conn.execute(
        'SELECT "OpportunityId", "CreatedDate", "StageName", "Amount", "CloseDate", '
        '"FromOpportunityStageName", "PrevAmount", "PrevCloseDate", "ExpectedRevenue", '
        '"Probability" FROM "OpportunityHistory" ORDER BY rowid'
    ).fetchall()
    previous: dict[str, tuple[Any, ...]] = {}
    for row in rows:
        before = previous.get(row[0])
        if before is None:
            assert row[5] is None
            assert row[6] is None
            assert row[7] is None
        else:
            assert row[1] >= before[1]
            assert (row[5], row[6], row[7]) == (before[2], before[3], before[4])
            assert row[2:5] != before[2:5]  # a row is written only when something changed
        if row[3] is not None:
            assert row[8] == pytest.approx(row[3] * row[9] / 100)
        previous[row[0]] = row
    created = one(
        conn,
        'SELECT COUNT(*) FROM "OpportunityFieldHistory" f JOIN "Opportunity" o ON o."Id" = '
        'f."OpportunityId" WHERE f."Field" = \'created\' AND f."CreatedDate" = o."CreatedDate"',
    )
    assert created == N


def test_field_history_replays_to_the_final_values(conn: sqlite3.Connection) -> None:
    final = {
        r[0]: r[1:]
        for r in conn.execute(
            'SELECT "Id", "StageName", "CloseDate", "Next_Meeting_Date__c", "Decision_Maker__c" '
            'FROM "Opportunity"'
        )
    }
    last: dict[tuple[str, str], str] = {}
    fields = ("StageName", "CloseDate", "Next_Meeting_Date__c", "Decision_Maker__c")
    for opp_id, name, old, new in conn.execute(
        'SELECT "OpportunityId", "Field", "OldValue", "NewValue" FROM "OpportunityFieldHistory" '
        'WHERE "Field" IN (?, ?, ?, ?) ORDER BY rowid',
        fields,
    ):
        if (opp_id, name) in last:
            assert old == last[opp_id, name]
        last[opp_id, name] = new
    for (opp_id, name), value in last.items():
        assert final[opp_id][fields.index(name)] == value, (opp_id, name)


# -- the shape of the pipeline -----------------------------------------------------------------
def test_open_share_and_win_rate(conn: sqlite3.Connection, closed: list[tuple[str, int]]) -> None:
    open_share = one(conn, 'SELECT AVG("IsClosed" = 0) FROM "Opportunity"')
    assert 0.25 <= open_share <= 0.35
    rate, _ = win_rate(closed)
    assert 0.20 <= rate <= 0.40
    # Open deals are mostly recent.
    recent = one(
        conn,
        'SELECT AVG(julianday(?) - julianday(substr("CreatedDate", 1, 10)) <= 120) '
        'FROM "Opportunity" WHERE "IsClosed" = 0',
        TODAY.isoformat(),
    )
    assert recent >= 0.6


def test_cycle_lengths_and_stage_durations(
    conn: sqlite3.Connection, stage_days: dict[str, list[tuple[str, float]]]
) -> None:
    cycles = [
        (date.fromisoformat(close) - parse_sf_datetime(created).date()).days
        for created, close in conn.execute(
            'SELECT "CreatedDate", "CloseDate" FROM "Opportunity" WHERE "IsWon" = 1'
        )
    ]
    assert 20 <= statistics.median(cycles) <= 200
    assert max(cycles) <= 3 * 365
    spans = one(
        conn,
        'SELECT julianday(MAX(substr("CreatedDate", 1, 10))) '
        '- julianday(MIN(substr("CreatedDate", 1, 10))) FROM "Opportunity"',
    )
    assert spans > 2.5 * 365
    per_stage: dict[str, list[float]] = defaultdict(list)
    for durations in stage_days.values():
        for stage, days in durations:
            per_stage[stage].append(days)
    for stage in catalog.STAGE_NAMES[:8]:
        assert 2 <= statistics.median(per_stage[stage]) <= 40, stage
    # Bigger deals take longer.
    small, big = (
        one(
            conn,
            'SELECT AVG(julianday("CloseDate") - julianday(substr("CreatedDate", 1, 10))) '
            f'FROM "Opportunity" WHERE "IsWon" = 1 AND "Amount" {op} 40000',
        )
        for op in ("<", ">=")
    )
    assert big > small * 1.2


def test_close_dates_slip_and_deals_reopen(conn: sqlite3.Connection) -> None:
    slipped = one(
        conn,
        'SELECT COUNT(DISTINCT "OpportunityId") FROM "OpportunityFieldHistory" '
        'WHERE "Field" = \'CloseDate\' AND "NewValue" > "OldValue"',
    )
    assert 0.3 * N <= slipped <= 0.8 * N
    reopened = one(
        conn,
        'SELECT COUNT(DISTINCT "OpportunityId") FROM "OpportunityHistory" '
        "WHERE \"FromOpportunityStageName\" = 'Closed Lost' AND \"StageName\" != 'Closed Lost'",
    )
    assert 3 <= reopened <= 0.05 * N


# -- bad data on open deals --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("condition", "scope"),
    [
        pytest.param('"Next_Meeting_Date__c" < :today', "1", id="meeting-in-past"),
        pytest.param('"CloseDate" < :today', "1", id="close-date-in-past"),
        pytest.param('"Amount" IS NULL', f'"StageName" IN {LATE}', id="amount-missing-late"),
        pytest.param(
            '"Decision_Maker__c" IS NULL', f'"StageName" IN {LATE}', id="decision-maker-missing"
        ),
        pytest.param(
            'COALESCE(julianday(:today) - julianday("LastActivityDate") > 60, 1)',
            "1",
            id="no-activity-60-days",
        ),
    ],
)
def test_bad_data_share(conn: sqlite3.Connection, condition: str, scope: str) -> None:
    share, count = conn.execute(
        f'SELECT AVG(COALESCE({condition}, 0)), COUNT(*) FROM "Opportunity" '
        f'WHERE "IsClosed" = 0 AND {scope}',
        {"today": TODAY.isoformat()},
    ).fetchone()
    assert count >= 50
    assert 0.05 <= share <= 0.15


NOON_TODAY = datetime.combine(TODAY, time(12), tzinfo=UTC)


def test_bad_data_breaks_the_validation_rules(conn: sqlite3.Connection) -> None:
    cursor = conn.execute('SELECT * FROM "Opportunity" WHERE "IsClosed" = 0')
    names = [d[0] for d in cursor.description]
    fired: dict[str, int] = defaultdict(int)
    for row in cursor:
        record = dict(zip(names, row, strict=True))
        for rule in validation.failing_rules(validation.RULES, record, NOON_TODAY):
            fired[rule.name] += 1
    # Every rule that reads stored data alone; a PRIORVALUE rule judges a save, not data.
    continuous = {rule.name for rule in validation.RULES if "PRIORVALUE" not in rule.formula}
    assert set(fired) == continuous
    assert len(continuous) == len(validation.RULES) - 1


# -- planted patterns --------------------------------------------------------------------------
def test_pattern_acme_stall_loses(
    conn: sqlite3.Connection,
    closed: list[tuple[str, int]],
    stage_days: dict[str, list[tuple[str, float]]],
) -> None:
    acme = {
        r[0]
        for r in conn.execute(
            'SELECT "Id" FROM "Opportunity" WHERE "Competitor__c" = \'Acme Corp\''
        )
    }
    stalled = {
        opp_id
        for opp_id in acme
        if any(stage in MIDDLE and days > 30 for stage, days in stage_days.get(opp_id, []))
    }
    stall_rate, count = win_rate(closed, stalled)
    other_rate, _ = win_rate(closed, acme - stalled)
    assert count >= 40
    assert stall_rate < 0.15
    assert other_rate >= 0.25
    assert win_rate(closed)[0] >= 0.25


def test_pattern_healthcare_partner_referrals_win(conn: sqlite3.Connection) -> None:
    rates = {
        partner: (rate, count)
        for partner, rate, count in conn.execute(
            'SELECT o."LeadSource" = \'Partner Referral\', AVG(o."IsWon"), COUNT(*) '
            'FROM "Opportunity" o JOIN "Account" a ON a."Id" = o."AccountId" '
            'WHERE o."IsClosed" = 1 AND a."Industry" = \'Healthcare\' GROUP BY 1'
        )
    }
    assert rates[1][1] >= 40
    assert rates[0][1] >= 40
    assert rates[1][0] > 0.55
    assert rates[0][0] < 0.25


def test_pattern_slipping_deals_lose(
    conn: sqlite3.Connection, closed: list[tuple[str, int]]
) -> None:
    slipped_often = {
        r[0]
        for r in conn.execute(
            'SELECT "OpportunityId" FROM "OpportunityFieldHistory" '
            'WHERE "Field" = \'CloseDate\' AND "NewValue" > "OldValue" '
            'GROUP BY "OpportunityId" HAVING COUNT(*) >= 3'
        )
    }
    often_rate, count = win_rate(closed, slipped_often)
    others = {opp_id for opp_id, _ in closed} - slipped_often
    assert count >= 80
    assert often_rate < 0.20
    assert win_rate(closed, others)[0] >= 0.25


def test_seed_file_database_reopens(tmp_path: Path) -> None:
    db = OrgDatabase(tmp_path / "small.sqlite3")
    result = seed_org(db, opportunities=0, seed=3, today=TODAY)
    db.close()
    again = OrgDatabase(tmp_path / "small.sqlite3")
    try:
        assert again.is_seeded
        assert result.opportunities == 0
        assert one(again.conn, 'SELECT COUNT(*) FROM "Account"') == 30
    finally:
        again.close()
