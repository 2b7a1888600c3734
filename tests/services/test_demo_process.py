"""The demo's ready-made process over a synced devorg: every definition passes the checks an
admin's would, the first run creates it all, imports the validation rules and finishes a first
evaluation (alerts and health are there when it returns), and a second run creates nothing."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from services.demo_process import MILESTONES, RULES, set_up_demo_process
from services.orgs import OrgRefresher
from services.validation_import import ImportOutcome
from store.alert_rules import list_rules
from store.milestones import list_milestones
from store.models import Opportunity
from store.process_models import Alert, OpportunityHealth
from tests.devorg_server import RunningDevorg


def live_alerts(engine: Engine) -> Counter[str]:
    with Session(engine) as session:
        query = select(Alert.rule_id).where(col(Alert.status) == "OPEN")
        return Counter(session.exec(query).all())


def test_the_demo_process(
    store_engine: Engine, refresher: OrgRefresher, devorg: RunningDevorg
) -> None:
    org_id, admin = devorg.seed.org_id, devorg.seed.users["admin"].user_id
    now = datetime.now(UTC)

    report = set_up_demo_process(store_engine, refresher.gateway(org_id), org_id, admin, now)

    assert report.milestones_created == [m.name for m in MILESTONES]
    assert report.rules_created == [r.name for r in RULES]
    assert Counter(r.outcome for r in report.imports) == {
        ImportOutcome.IMPORTED: 3,
        ImportOutcome.SKIPPED: 1,
    }
    evaluation = report.evaluation
    assert (evaluation.rules_evaluated, evaluation.errors) == (len(RULES) + 3, {})
    rules = {r.name: r for r in list_rules(store_engine, org_id)}
    open_alerts = live_alerts(store_engine)
    assert evaluation.alerts_open == sum(open_alerts.values()) > 0
    quiet = [name for name, rule in rules.items() if not open_alerts[rule.id]]
    assert quiet == [], "every rule fires somewhere in the seeded org"
    with Session(store_engine) as session:
        open_ids = set(
            session.exec(
                select(Opportunity.id).where(
                    col(Opportunity.org_id) == org_id,
                    col(Opportunity.is_closed).is_(False),
                    col(Opportunity.is_deleted).is_(False),
                )
            ).all()
        )
        healthy = set(session.exec(select(OpportunityHealth.opportunity_id)).all())
        overdue = set(
            session.exec(
                select(Opportunity.id).where(
                    col(Opportunity.id).in_(open_ids),
                    col(Opportunity.close_date)
                    < now.astimezone(ZoneInfo("America/Los_Angeles")).date(),
                )
            ).all()
        )
        overdue_rule = rules["Close date in the past on an open deal"].id
        alerted = set(
            session.exec(
                select(Alert.opportunity_id).where(
                    col(Alert.rule_id) == overdue_rule, col(Alert.status) == "OPEN"
                )
            ).all()
        )
    assert healthy == open_ids
    assert alerted == overdue  # a predicate over the mirror, not the formula engine

    again = set_up_demo_process(store_engine, refresher.gateway(org_id), org_id, admin, now)

    assert (again.milestones_created, again.rules_created) == ([], [])
    assert Counter(r.outcome for r in again.imports) == {
        ImportOutcome.UNCHANGED: 3,
        ImportOutcome.SKIPPED: 1,
    }
    assert len(list_rules(store_engine, org_id)) == len(RULES) + 3
    assert len(list_milestones(store_engine, org_id)) == len(MILESTONES)
    assert again.evaluation.alerts_opened == 0
