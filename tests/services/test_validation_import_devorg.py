"""The import over a synced devorg (real HTTP): its three continuous rules imported and their
alerts opened exactly on the deals an independent predicate over the mirror picks (devorg runs
its rules with dealpulse's engine, so the engine is not the judge), the PRIORVALUE rule skipped
with its reason, a second run idempotent, and an edit in Salesforce an UPDATED re-import that
re-renders the open alerts."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from services.orgs import OrgRefresher
from services.validation_import import ImportOutcome, import_validation_rules
from store.alert_rules import list_rules
from store.models import Opportunity
from store.process_models import Alert
from tests.devorg_server import RunningDevorg

LATE_STAGES = ("Proposal/Price Quote", "Negotiation/Review")
Predicate = Callable[[Opportunity, date], bool]
# Each seeded validation rule, read off its formula and written in Python over the mirror.
PREDICATES: dict[str, Predicate] = {
    "Amount Required Late Stage": lambda o, today: o.stage_name in LATE_STAGES and o.amount is None,
    "Decision Maker Before Proposal": lambda o, today: (
        o.stage_name in LATE_STAGES and not o.fields.get("Decision_Maker__c")
    ),
    "Next Meeting Not In Past": lambda o, today: (
        not o.is_closed
        and o.fields.get("Next_Meeting_Date__c") is not None
        and date.fromisoformat(o.fields["Next_Meeting_Date__c"]) < today
    ),
}


def alerts_by_rule(engine: Engine) -> dict[str, dict[str, Alert]]:
    with Session(engine) as session:
        found: dict[str, dict[str, Alert]] = {}
        for alert in session.exec(select(Alert).where(col(Alert.status) != "RESOLVED")):
            found.setdefault(alert.rule_id, {})[alert.opportunity_id] = alert
        return found


def open_deals(engine: Engine, org_id: str) -> list[Opportunity]:
    query = select(Opportunity).where(
        col(Opportunity.org_id) == org_id,
        col(Opportunity.is_closed).is_(False),
        col(Opportunity.is_deleted).is_(False),
    )
    with Session(engine) as session:
        return list(session.exec(query))


@pytest.fixture
def restore_rules(devorg: RunningDevorg) -> Iterator[sqlite3.Connection]:
    """The session devorg's database, its validation rules put back after the test."""
    conn = sqlite3.connect(devorg.database, isolation_level=None)
    saved = conn.execute('SELECT "Id", "ErrorMessage" FROM "ValidationRule"').fetchall()
    yield conn
    conn.executemany(
        'UPDATE "ValidationRule" SET "ErrorMessage" = ? WHERE "Id" = ?',
        [(message, rule_id) for rule_id, message in saved],
    )
    conn.close()


def test_import_over_devorg(
    store_engine: Engine,
    refresher: OrgRefresher,
    devorg: RunningDevorg,
    restore_rules: sqlite3.Connection,
) -> None:
    org_id, admin = devorg.seed.org_id, devorg.seed.users["admin"].user_id
    gateway = refresher.gateway(org_id)
    now = datetime.now(UTC)
    today = now.astimezone(ZoneInfo("America/Los_Angeles")).date()

    results = import_validation_rules(store_engine, gateway, org_id, admin, now)

    assert [(r.name, r.outcome) for r in results] == [
        ("Amount_Required_Late_Stage", ImportOutcome.IMPORTED),
        ("Decision_Maker_Before_Proposal", ImportOutcome.IMPORTED),
        ("Next_Meeting_Not_In_Past", ImportOutcome.IMPORTED),
        ("Stage_Cannot_Move_Backwards", ImportOutcome.SKIPPED),
    ]
    assert "PRIORVALUE" in (results[3].reason or "")
    rules = {r.name: r for r in list_rules(store_engine, org_id)}
    assert {name: r.fix_fields for name, r in rules.items()} == {
        "Amount Required Late Stage": ["Amount"],
        "Decision Maker Before Proposal": ["StageName", "Decision_Maker__c"],  # top of page
        "Next Meeting Not In Past": ["Next_Meeting_Date__c"],
    }
    alerts = alerts_by_rule(store_engine)
    deals = open_deals(store_engine, org_id)
    for name, predicate in PREDICATES.items():
        expected = {o.id for o in deals if predicate(o, today)}
        assert expected, f"the seed breaks {name}"
        assert set(alerts.get(rules[name].id, {})) == expected, name
    amount_rule = rules["Amount Required Late Stage"]
    first_alerts = alerts[amount_rule.id]
    assert {a.message for a in first_alerts.values()} == {
        "Enter the amount before moving the deal to proposal or negotiation."
    }

    # Again: nothing to do.
    again = import_validation_rules(store_engine, gateway, org_id, admin, now)
    assert [r.outcome for r in again] == [ImportOutcome.UNCHANGED] * 3 + [ImportOutcome.SKIPPED]
    assert alerts_by_rule(store_engine).keys() == alerts.keys()

    # The message changes in Salesforce: the rule is UPDATED and its open alerts re-rendered.
    restore_rules.execute(
        'UPDATE "ValidationRule" SET "ErrorMessage" = ? WHERE "ValidationName" = ?',
        ["Late-stage deals need an amount.", "Amount_Required_Late_Stage"],
    )
    updated = import_validation_rules(store_engine, gateway, org_id, admin, now)
    assert [r.outcome for r in updated][:2] == [ImportOutcome.UPDATED, ImportOutcome.UNCHANGED]
    after = alerts_by_rule(store_engine)[amount_rule.id]
    assert {o: a.id for o, a in after.items()} == {o: a.id for o, a in first_alerts.items()}
    assert {(a.rule_version, a.message) for a in after.values()} == {
        (2, "Late-stage deals need an amount.")
    }
