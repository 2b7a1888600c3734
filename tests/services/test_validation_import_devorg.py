"""The import over a synced devorg (real HTTP): its three continuous rules imported and their
alerts opened exactly on the deals an independent predicate over the mirror picks (devorg runs
its rules with dealpulse's engine, so the engine is not the judge), the PRIORVALUE rule skipped
with its reason, a second run idempotent, an edit in Salesforce an UPDATED re-import that
re-renders the open alerts, and a rule deactivated in Salesforce retired at the re-import (its
alerts resolved RULE_RETIRED; a manual rule of the same name untouched)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from services.evaluation import evaluate_org
from services.orgs import OrgRefresher
from services.validation_import import ImportOutcome, import_validation_rules
from store.alert_rules import create_rule, list_rules
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
    expected = {name: {o.id for o in deals if p(o, today)} for name, p in PREDICATES.items()}
    for name, ids in expected.items():
        assert set(alerts.get(rules[name].id, {})) == ids, name
    # The seed breaks each rule on a few deals (meetings in the past on many): not vacuous.
    assert len(expected["Next Meeting Not In Past"]) >= 5
    meeting_rule = rules["Next Meeting Not In Past"]
    first_alerts = alerts[meeting_rule.id]
    assert {a.message for a in first_alerts.values()} == {
        "The next meeting date is in the past: set the date of the next meeting."
    }

    # Again: nothing to do.
    again = import_validation_rules(store_engine, gateway, org_id, admin, now)
    assert [r.outcome for r in again] == [ImportOutcome.UNCHANGED] * 3 + [ImportOutcome.SKIPPED]
    assert alerts_by_rule(store_engine) == alerts

    # The message changes in Salesforce: the rule is UPDATED and its open alerts re-rendered.
    restore_rules.execute(
        'UPDATE "ValidationRule" SET "ErrorMessage" = ? WHERE "ValidationName" = ?',
        ["Book the next meeting.", "Next_Meeting_Not_In_Past"],
    )
    updated = import_validation_rules(store_engine, gateway, org_id, admin, now)
    assert [r.outcome for r in updated] == [
        ImportOutcome.UNCHANGED, ImportOutcome.UNCHANGED, ImportOutcome.UPDATED,
        ImportOutcome.SKIPPED,
    ]  # fmt: skip
    after = alerts_by_rule(store_engine)[meeting_rule.id]
    assert {o: a.id for o, a in after.items()} == {o: a.id for o, a in first_alerts.items()}
    assert {(a.rule_version, a.message) for a in after.values()} == {(2, "Book the next meeting.")}


def alerts_of(engine: Engine, rule_id: str) -> list[Alert]:
    with Session(engine) as session:
        return list(session.exec(select(Alert).where(col(Alert.rule_id) == rule_id)))


def test_a_rule_deactivated_in_salesforce_is_retired(
    store_engine: Engine,
    refresher: OrgRefresher,
    devorg: RunningDevorg,
    restore_rules: sqlite3.Connection,
) -> None:
    org_id, admin = devorg.seed.org_id, devorg.seed.users["admin"].user_id
    gateway = refresher.gateway(org_id)
    now = datetime.now(UTC)
    import_validation_rules(store_engine, gateway, org_id, admin, now)
    rules = {r.name: r for r in list_rules(store_engine, org_id)}
    meeting = rules["Next Meeting Not In Past"]
    # An admin's own rule of the same name and condition, with alerts of its own.
    manual = create_rule(
        store_engine, org_id,
        {"name": meeting.name, "kind": "FIX_REQUIRED", "severity": "LOW",
         "condition": meeting.condition, "message": "Mine."},
        admin, now,
    )  # fmt: skip
    evaluate_org(store_engine, org_id, rule_ids=[manual.id], now=now)
    opened = {a.id for a in alerts_of(store_engine, meeting.id)}
    assert len(opened) >= 5
    assert {a.status for a in alerts_of(store_engine, manual.id)} == {"OPEN"}

    restore_rules.execute(
        'UPDATE "ValidationRule" SET "Active" = 0 WHERE "ValidationName" = ?',
        ["Next_Meeting_Not_In_Past"],
    )
    results = import_validation_rules(store_engine, gateway, org_id, admin, now)

    assert [(r.name, r.outcome, r.reason, r.rule_id) for r in results] == [
        ("Amount_Required_Late_Stage", ImportOutcome.UNCHANGED, None, results[0].rule_id),
        ("Decision_Maker_Before_Proposal", ImportOutcome.UNCHANGED, None, results[1].rule_id),
        ("Stage_Cannot_Move_Backwards", ImportOutcome.SKIPPED, results[2].reason, None),
        ("Next_Meeting_Not_In_Past", ImportOutcome.SKIPPED,
         "no longer active in Salesforce: its alert rule was retired", meeting.id),
    ]  # fmt: skip
    after = {r.id: r for r in list_rules(store_engine, org_id, include_retired=True)}
    assert (after[meeting.id].active, after[meeting.id].retired_at) == (False, now)
    retired_alerts = alerts_of(store_engine, meeting.id)
    assert {a.id for a in retired_alerts} == opened
    assert {(a.status, a.resolution) for a in retired_alerts} == {("RESOLVED", "RULE_RETIRED")}
    assert (after[manual.id].active, after[manual.id].retired_at) == (True, None)
    assert {a.status for a in alerts_of(store_engine, manual.id)} == {"OPEN"}
    other_rules = [
        rules["Amount Required Late Stage"].id,
        rules["Decision Maker Before Proposal"].id,
    ]
    assert all(after[i].retired_at is None for i in other_rules)

    # Again: the retired rule is not reported again, and nothing changes.
    again = import_validation_rules(store_engine, gateway, org_id, admin, now)
    assert [r.name for r in again] == [r.name for r in results[:3]]
    assert {(a.id, a.status) for a in alerts_of(store_engine, meeting.id)} == {
        (a.id, a.status) for a in retired_alerts
    }
