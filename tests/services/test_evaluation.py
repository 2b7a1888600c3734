"""The evaluation pass over a mirror arranged row by row: alerts open exactly where a rule's
condition holds, with their message rendered; clearing the condition resolves them; hold
time, snooze expiry, rule edits and retirement, a rule that errors, closed and deleted deals;
formula milestones and health. (tests/services/test_evaluation_devorg.py runs it over a synced
devorg.)"""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from rules.health import MilestoneSpec, PenaltyAlert, compute_health
from rules.process import Severity
from services import evaluation, evaluation_formulas
from services.evaluation import evaluate_org
from services.evaluation_steps import combined_health
from store.models import FieldCatalog, Opportunity
from store.process_models import AlertRule
from tests import factories as f
from tests.services import evaluation_rows as rows
from tests.store_backends import counting, empty_all_tables

NOW = f.NOW


@pytest.fixture(autouse=True, params=["rows", "tables"])
def steps(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every scenario both ways a pass's steps run (services.evaluation_steps): over Python
    values (a pass over a few deals) and over tables (many)."""
    monkeypatch.setattr(evaluation, "ROWS_PASS", 10**9 if request.param == "rows" else -1)
    return str(request.param)


@pytest.fixture
def team(store_engine: Engine) -> f.Team:
    """An org with its team and its Opportunity describe."""
    org_team = f.team(store_engine)
    rows.describe(store_engine)
    return org_team


def set_amount(engine: Engine, opp: Opportunity, amount: Decimal | None, **values: object) -> None:
    with Session(engine) as session:
        row = session.get(Opportunity, (opp.org_id, opp.id))
        assert row is not None
        for name, value in values.items():
            setattr(row, name, value)
        row.amount = amount
        row.fields = {**row.fields, "Amount": None if amount is None else float(amount)}
        session.add(row)
        session.commit()


def test_alerts_open_exactly_where_the_condition_holds_and_resolve_when_it_clears(
    store_engine: Engine, team: f.Team
) -> None:
    big = f.opportunity(
        store_engine, team.reps[0], amount=Decimal("250000.50"), fields={"Name": "Big"}
    )
    small = f.opportunity(store_engine, team.reps[1], name="Small", amount=Decimal("10.00"))
    blank = f.opportunity(store_engine, team.reps[2], name="Blank", amount=None)
    rule = rows.rule(store_engine, "Amount > 100000", "{!Name} is worth {!Amount}", name="Big deal")

    report = evaluate_org(store_engine, f.ORG_A, now=NOW)

    assert (report.rules_evaluated, report.alerts_opened, report.alerts_open) == (1, 1, 1)
    assert (report.alerts_resolved, report.errors, report.opportunities_evaluated) == (0, {}, 3)
    [alert] = rows.alerts(store_engine)
    assert (alert.opportunity_id, alert.status, alert.rule_version) == (big.id, "OPEN", 1)
    assert alert.message == "Big is worth 250,000.50"
    assert (alert.opened_at, alert.matched_since) == (NOW, NOW)
    assert rows.events(store_engine, alert.id) == [("OPENED", "OPEN", None)]
    health = rows.health(store_engine)
    assert set(health) == {big.id, small.id, blank.id}
    assert (health[big.id].score, health[big.id].penalty) == (90, 10)
    assert health[big.id].breakdown == [
        {"label": "Progress: no milestones apply", "points": 100},
        {"label": "HIGH alert: Big deal", "points": -10},
    ]
    assert health[small.id].score == 100
    with Session(store_engine) as session:
        stored = session.get(AlertRule, (f.ORG_A, rule.id))
        assert stored is not None
        assert (stored.last_evaluated_at, stored.last_error, stored.error_count) == (NOW, None, 0)

    # Nothing changed: nothing happens. The deal's name changes: its message follows.
    later = NOW + timedelta(minutes=5)
    again = evaluate_org(store_engine, f.ORG_A, now=later)
    assert (again.alerts_opened, again.alerts_resolved, again.alerts_open) == (0, 0, 1)
    assert {h.computed_at for h in rows.health(store_engine).values()} == {NOW}  # not rewritten
    set_amount(store_engine, big, Decimal("300000.00"), fields={**big.fields, "Name": "Bigger"})
    evaluate_org(store_engine, f.ORG_A, opportunity_ids=[big.id], now=later)
    [alert] = rows.alerts(store_engine)
    assert alert.message == "Bigger is worth 300,000.00"

    set_amount(store_engine, big, Decimal("5.00"))
    cleared = evaluate_org(store_engine, f.ORG_A, opportunity_ids=[big.id], now=later)
    assert (cleared.alerts_resolved, cleared.alerts_open) == (1, 0)
    [alert] = rows.alerts(store_engine)
    assert (alert.status, alert.resolution, alert.resolved_at) == (
        "RESOLVED", "CONDITION_CLEARED", later,
    )  # fmt: skip
    assert rows.events(store_engine, alert.id)[-1] == ("RESOLVED", "RESOLVED", "CONDITION_CLEARED")
    assert rows.health(store_engine)[big.id].score == 100

    # Firing again is a new alert; the resolved one is history.
    set_amount(store_engine, big, Decimal("999999.00"))
    evaluate_org(store_engine, f.ORG_A, opportunity_ids=[big.id], now=later + timedelta(hours=1))
    assert sorted(a.status for a in rows.alerts(store_engine)) == ["OPEN", "RESOLVED"]
    assert len(rows.live(store_engine)) == 1


def test_a_hold_time_keeps_the_alert_pending_until_the_condition_held_that_long(
    store_engine: Engine, team: f.Team
) -> None:
    deal = f.opportunity(store_engine, team.reps[0], amount=None)
    rule = rows.rule(store_engine, "ISBLANK(Amount)", hold_seconds=3600)
    first = evaluate_org(store_engine, f.ORG_A, now=NOW)
    assert (first.alerts_opened, first.alerts_open) == (0, 0)
    [pending] = rows.alerts(store_engine)
    assert (pending.status, pending.opened_at) == ("PENDING", None)
    assert rows.health(store_engine)[deal.id].penalty == 0  # a pending alert is no alert yet
    evaluate_org(store_engine, f.ORG_A, now=NOW + timedelta(minutes=59))
    assert rows.alerts(store_engine)[0].status == "PENDING"
    opened = evaluate_org(store_engine, f.ORG_A, now=NOW + timedelta(hours=1))
    assert opened.alerts_opened == 1
    [alert] = rows.alerts(store_engine)
    assert (alert.id, alert.status, alert.matched_since) == (pending.id, "OPEN", NOW)
    assert rows.health(store_engine)[deal.id].penalty == 10
    # A pending alert whose condition clears is dropped: it never was an alert.
    other = f.opportunity(store_engine, team.reps[1], amount=None)
    evaluate_org(store_engine, f.ORG_A, now=NOW + timedelta(hours=2))
    set_amount(store_engine, other, Decimal("1.00"))
    evaluate_org(store_engine, f.ORG_A, now=NOW + timedelta(hours=2, minutes=1))
    assert [a.opportunity_id for a in rows.alerts(store_engine)] == [deal.id]
    assert rule.id in {a.rule_id for a in rows.alerts(store_engine)}


def test_an_expired_snooze_reopens_the_alert_while_the_condition_holds(
    store_engine: Engine, team: f.Team
) -> None:
    f.opportunity(store_engine, team.reps[0], amount=None)
    rows.rule(store_engine, "ISBLANK(Amount)")
    evaluate_org(store_engine, f.ORG_A, now=NOW)
    [alert] = rows.alerts(store_engine)
    until = NOW + timedelta(days=1)
    rows.set_alert(store_engine, alert.id, status="SNOOZED", snoozed_until=until)
    evaluate_org(store_engine, f.ORG_A, now=until - timedelta(seconds=1))
    assert rows.alerts(store_engine)[0].status == "SNOOZED"
    evaluate_org(store_engine, f.ORG_A, now=until)
    [reopened] = rows.alerts(store_engine)
    assert (reopened.id, reopened.status, reopened.snoozed_until) == (alert.id, "OPEN", None)
    assert rows.events(store_engine, alert.id)[-1] == ("REOPENED", "OPEN", None)


def test_editing_a_rule_repoints_or_replaces_its_alerts_and_retiring_resolves_them(
    store_engine: Engine, team: f.Team
) -> None:
    deal = f.opportunity(store_engine, team.reps[0], amount=None, fields={"Name": "Acme"})
    rule = rows.rule(store_engine, "ISBLANK(Amount)", "Old text")
    evaluate_org(store_engine, f.ORG_A, now=NOW)
    [first] = rows.alerts(store_engine)

    # The message only: the same alert, pointed at version 2 and re-rendered.
    rows.edit_rule(store_engine, rule, message="{!Name} has no amount")
    evaluate_org(store_engine, f.ORG_A, rule_ids=[rule.id], now=NOW + timedelta(minutes=1))
    [same] = rows.alerts(store_engine)
    assert (same.id, same.rule_version, same.message) == (first.id, 2, "Acme has no amount")
    assert rows.events(store_engine, first.id)[-1] == ("RERENDERED", "OPEN", None)

    # The condition: the old alert resolved RULE_CHANGED, a new one opened by version 3.
    rows.edit_rule(store_engine, rule, condition="ISBLANK(Amount) && Name = 'Acme'")
    changed = evaluate_org(
        store_engine, f.ORG_A, rule_ids=[rule.id], now=NOW + timedelta(minutes=2)
    )
    assert (changed.alerts_resolved, changed.alerts_opened) == (1, 1)
    by_id = {a.id: a for a in rows.alerts(store_engine)}
    assert (by_id[first.id].status, by_id[first.id].resolution) == ("RESOLVED", "RULE_CHANGED")
    [(_, new)] = rows.live(store_engine).items()
    assert (new.rule_version, new.opportunity_id, new.status) == (3, deal.id, "OPEN")

    # Retired: its alerts resolve RULE_RETIRED, whatever the record says.
    rows.edit_rule(store_engine, rule, active=False)
    evaluate_org(store_engine, f.ORG_A, rule_ids=[rule.id], now=NOW + timedelta(minutes=3))
    assert rows.live(store_engine) == {}
    assert {a.resolution for a in rows.alerts(store_engine)} == {"RULE_CHANGED", "RULE_RETIRED"}


def test_a_rule_that_cannot_be_evaluated_keeps_its_alerts_and_says_why(
    store_engine: Engine, team: f.Team
) -> None:
    f.opportunity(store_engine, team.reps[0], amount=None, fields={"NextStep": None})
    rule = rows.rule(store_engine, "ISBLANK(NextStep)")
    evaluate_org(store_engine, f.ORG_A, now=NOW)
    assert len(rows.live(store_engine)) == 1
    # The field is gone from the org's describe: the formula no longer compiles.
    with Session(store_engine) as session:
        catalog = session.get(FieldCatalog, (f.ORG_A, "Opportunity"))
        assert catalog is not None
        kept = [x for x in rows.DESCRIBE_FIELDS if x["name"] != "NextStep"]
        catalog.describe = {"fields": kept}
        session.add(catalog)
        session.commit()
    report = evaluate_org(store_engine, f.ORG_A, now=NOW + timedelta(minutes=5))
    assert report.rules_evaluated == 0
    assert "no longer compiles" in report.errors[rule.id]
    assert len(rows.live(store_engine)) == 1
    with Session(store_engine) as session:
        stored = session.get(AlertRule, (f.ORG_A, rule.id))
        assert stored is not None
        assert stored.last_error is not None
        assert "NextStep" in stored.last_error


def test_division_by_zero_rows_keep_their_alerts_and_are_counted(
    store_engine: Engine, team: f.Team
) -> None:
    f.opportunity(store_engine, team.reps[0], amount=Decimal("0.00"))
    fine = f.opportunity(store_engine, team.reps[1], amount=Decimal("4.00"))
    rule = rows.rule(store_engine, "100 / Amount > 10")
    report = evaluate_org(store_engine, f.ORG_A, now=NOW)
    assert [a.opportunity_id for a in rows.alerts(store_engine)] == [fine.id]
    with Session(store_engine) as session:
        stored = session.get(AlertRule, (f.ORG_A, rule.id))
        assert stored is not None
        assert stored.error_count == 1
        assert stored.last_error == "1 record could not be evaluated: division by zero"
    assert report.errors == {rule.id: stored.last_error}
    # The deal that fired now faults too: its alert stands (nothing is known of it).
    set_amount(store_engine, fine, Decimal("0.00"))
    evaluate_org(store_engine, f.ORG_A, now=NOW + timedelta(minutes=5))
    [alert] = rows.alerts(store_engine)
    assert (alert.opportunity_id, alert.status) == (fine.id, "OPEN")
    with Session(store_engine) as session:
        stored = session.get(AlertRule, (f.ORG_A, rule.id))
        assert stored is not None
        assert stored.last_error == "2 records could not be evaluated: division by zero"
    # A pass over one deal (a write's) cannot count the others: rule health stays the full
    # pass's, error and time.
    clean = f.opportunity(store_engine, team.reps[1], amount=Decimal("1.00"))
    evaluate_org(store_engine, f.ORG_A, opportunity_ids=[clean.id], now=NOW + timedelta(hours=1))
    with Session(store_engine) as session:
        stored = session.get(AlertRule, (f.ORG_A, rule.id))
        assert stored is not None
        assert (stored.error_count, stored.last_evaluated_at) == (2, NOW + timedelta(minutes=5))


def test_closed_and_deleted_deals_resolve_their_alerts_and_freeze_their_health(
    store_engine: Engine, team: f.Team
) -> None:
    won = f.opportunity(store_engine, team.reps[0], amount=None)
    gone = f.opportunity(store_engine, team.reps[1], amount=None)
    rows.rule(store_engine, "ISBLANK(Amount)")
    evaluate_org(store_engine, f.ORG_A, now=NOW)
    assert rows.health(store_engine)[won.id].score == 90
    set_amount(store_engine, won, None, is_closed=True, stage_name="Closed Won")
    set_amount(store_engine, gone, None, is_deleted=True)
    later = NOW + timedelta(hours=1)
    report = evaluate_org(store_engine, f.ORG_A, now=later)
    assert (report.alerts_resolved, report.alerts_open, report.opportunities_evaluated) == (2, 0, 0)
    resolutions = {a.opportunity_id: a.resolution for a in rows.alerts(store_engine)}
    assert resolutions == {won.id: "OPPORTUNITY_CLOSED", gone.id: "OPPORTUNITY_DELETED"}
    health = rows.health(store_engine)
    assert set(health) == {won.id}
    assert (health[won.id].score, health[won.id].closed_at) == (90, later)


def test_formula_milestones_complete_themselves_and_make_up_health(
    store_engine: Engine, team: f.Team
) -> None:
    deal = f.opportunity(
        store_engine, team.reps[0], stage="Proposal", fields={"Decision_Maker__c": "Ann"}
    )
    early = f.opportunity(store_engine, team.reps[1], stage="Prospecting")
    decided = rows.milestone(
        store_engine, "Decision maker", formula="NOT(ISBLANK(Decision_Maker__c))", weight=2
    )
    call = rows.milestone(store_engine, "Discovery call", stage="Qualification", position=1)
    rows.milestone(store_engine, "Contract", stage="Negotiation", position=2)
    rows.complete(store_engine, call, deal.id, NOW)
    report = evaluate_org(store_engine, f.ORG_A, now=NOW)
    assert (report.milestones_completed, report.milestones_uncompleted) == (1, 0)
    health = rows.health(store_engine)
    assert (health[deal.id].score, health[deal.id].progress) == (100, 1.0)
    assert health[deal.id].breakdown[0]["label"] == "Progress: 2 of 2 milestones (weight 3 of 3)"
    assert (health[early.id].score, health[early.id].progress) == (0, 0.0)
    [formula_done] = [c for c in rows.completions(store_engine) if c.how == "FORMULA"]
    assert (formula_done.milestone_id, formula_done.opportunity_id) == (decided.id, deal.id)

    with Session(store_engine) as session:
        row = session.get(Opportunity, (f.ORG_A, deal.id))
        assert row is not None
        row.fields = {**row.fields, "Decision_Maker__c": None}
        session.add(row)
        session.commit()
    again = evaluate_org(store_engine, f.ORG_A, opportunity_ids=[deal.id], now=NOW)
    assert (again.milestones_completed, again.milestones_uncompleted) == (0, 1)
    assert rows.health(store_engine)[deal.id].score == 33  # weight 1 of 3
    manual = [c for c in rows.completions(store_engine) if c.how == "MANUAL"]
    assert [c.uncompleted_at for c in manual] == [None]  # a formula never undoes a rep's tick


def _passes_statements(engine: Engine, team: f.Team, deals: int) -> list[int]:
    """Statements of a first pass (every alert new), a steady one, one that resolves and
    uncompletes everything, and one over the deals by id, with `deals` opportunities."""
    made = [
        f.opportunity(engine, team.reps[n % 4], amount=None, fields={"Decision_Maker__c": "A"})
        for n in range(deals)
    ]
    rows.rule(engine, "ISBLANK(Amount)", "{!Name}: {!Amount} ({!StageName})")
    rows.rule(engine, "ISBLANK(Amount)", severity="LOW", hold_seconds=60)
    rows.milestone(engine, "Decision maker", formula="NOT(ISBLANK(Decision_Maker__c))")
    rows.milestone(engine, "Call", stage="Qualification")
    counts = []
    with counting(engine) as statements:
        evaluate_org(engine, f.ORG_A, now=NOW)
    counts.append(len(statements))
    with counting(engine) as statements:
        evaluate_org(engine, f.ORG_A, now=NOW + timedelta(minutes=5))
    counts.append(len(statements))
    for deal in made:
        set_amount(engine, deal, Decimal(1), fields={**deal.fields, "Decision_Maker__c": None})
    with counting(engine) as statements:
        evaluate_org(engine, f.ORG_A, now=NOW + timedelta(minutes=10))
    counts.append(len(statements))
    with counting(engine) as statements:
        evaluate_org(engine, f.ORG_A, opportunity_ids=[d.id for d in made], now=NOW)
    counts.append(len(statements))
    return counts


def test_a_pass_costs_the_same_statements_for_3_deals_as_for_60(
    store_engine: Engine, team: f.Team
) -> None:
    few = _passes_statements(store_engine, team, 3)
    empty_all_tables(store_engine)
    team = f.team(store_engine)
    rows.describe(store_engine)
    many = _passes_statements(store_engine, team, 60)
    assert few == many
    assert max(few) <= 25


def test_health_combined_from_progress_and_alerts_is_compute_health() -> None:
    rnd = random.Random(8)
    milestones = [MilestoneSpec(f"m{i}", f"M{i}", None, rnd.choice([0.5, 1, 2.5]), True, i)
                  for i in range(6)]  # fmt: skip
    weights = {Severity.LOW: 3, Severity.MEDIUM: 5, Severity.HIGH: 40, Severity.CRITICAL: 60}
    for _ in range(200):
        applicable = rnd.sample(milestones, rnd.randint(0, 6))
        completed = {m.id for m in milestones if rnd.random() < 0.5}
        alerts = [PenaltyAlert(f"rule {rnd.randint(0, 9)}", rnd.choice(list(Severity)))
                  for _ in range(rnd.randint(0, 4))]  # fmt: skip
        direct = compute_health(applicable, completed, alerts, weights)
        progress = compute_health(applicable, completed, (), weights)
        penalty = compute_health((), (), alerts, weights)
        assert combined_health(progress, penalty) == direct


def _mixed_pass(engine: Engine) -> tuple[list[tuple[str, str, str]], list[tuple[str, int]]]:
    """A pass over deals of every shape; (deal, rule, message) of each alert, rule health."""
    team = f.team(engine)
    rows.describe(engine)
    for n, amount in enumerate([None, "0.00", "4.00", "2500.50", "123456.78", "99.99"]):
        f.opportunity(
            engine, team.reps[n % 4], stage=["Prospecting", "Proposal"][n % 2],
            amount=None if amount is None else Decimal(amount),
            fields={"Name": f"Deal {n}", "NextStep": ["Call", None][n % 2]},
        )  # fmt: skip
    rules = [
        rows.rule(engine, "100 / Amount > 10", "{!Name}: {!100 / Amount}", name="ratio"),
        rows.rule(engine, "ISBLANK(NextStep)", "{!Name} in {!TEXT(StageName)}", name="next"),
        rows.rule(engine, "Amount > 1000", "{!Amount} over {!DaysInStage}", name="big"),
    ]
    rows.milestone(engine, "Has next step", formula="NOT(ISBLANK(NextStep))")
    evaluate_org(engine, f.ORG_A, now=NOW)
    names = {o.id: o.fields["Name"] for o in f_opportunities(engine)}
    alerts = sorted((names[a.opportunity_id], a.rule_id, a.message) for a in rows.alerts(engine))
    by_id = {rule.id: rule.name for rule in rules}
    with Session(engine) as session:
        stored = session.exec(select(AlertRule)).all()
        health = sorted((by_id[r.id], r.error_count) for r in stored)
    return sorted((deal, by_id[rule], message) for deal, rule, message in alerts), health


def f_opportunities(engine: Engine) -> list[Opportunity]:
    with Session(engine) as session:
        return list(session.exec(select(Opportunity)).all())


def test_a_few_rows_are_interpreted_with_the_bulk_path_s_results(
    store_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    interpreted = _mixed_pass(store_engine)
    empty_all_tables(store_engine)
    monkeypatch.setattr(evaluation_formulas, "INTERPRETED_ROWS", 0)
    assert _mixed_pass(store_engine) == interpreted
    alerts, health = interpreted
    assert {rule for _, rule, _ in alerts} == {"ratio", "next", "big"}
    assert ("ratio", 1) in health  # Amount 0: #Error!, counted on both paths
