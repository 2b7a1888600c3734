"""The read side of alerts and health (store.alerts), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine

from rules.process import AlertKind, AlertStatus, Severity
from store import alert_rules, alerts
from store.alerts import AlertFilter, alert_key
from store.models import Opportunity
from store.process_models import Alert, EvaluationSettings, OpportunityHealth
from store.queries import Visibility
from tests import factories as f
from tests import process_factories as pf
from tests.store_backends import counting

EVERYONE = Visibility(f.ORG_A, None)


def _ids(rows: list[Alert]) -> list[str]:
    return [row.id for row in rows]


def _at(hours: int) -> dict[str, object]:
    return {"opened_at": f.NOW - timedelta(hours=hours)}


def test_an_opportunitys_alerts_newest_first_without_pending_ones(store_engine: Engine) -> None:
    team = f.team(store_engine)
    deal, other = (f.opportunity(store_engine, team.reps[0]) for _ in range(2))
    closing, silent = pf.rule(store_engine, f.ORG_A), pf.rule(store_engine, f.ORG_A, name="S")
    old = pf.alert(store_engine, closing, deal, AlertStatus.RESOLVED, **_at(5))
    new = pf.alert(store_engine, closing, deal, AlertStatus.OPEN, **_at(1))
    snoozed = pf.alert(store_engine, silent, deal, AlertStatus.SNOOZED, **_at(3))
    pf.alert(store_engine, silent, other, AlertStatus.PENDING)
    with counting(store_engine) as statements:
        found = alerts.alerts_by_opportunity(store_engine, f.ORG_A, [deal.id, other.id])
    assert len(statements) == 1
    assert {k: _ids(v) for k, v in found.items()} == {deal.id: [new.id, snoozed.id, old.id]}
    live = alerts.alerts_by_opportunity(
        store_engine, f.ORG_A, [deal.id], statuses=[AlertStatus.OPEN, AlertStatus.SNOOZED]
    )
    assert _ids(live[deal.id]) == [new.id, snoozed.id]
    pending = alerts.alerts_by_opportunity(
        store_engine, f.ORG_A, [other.id], statuses=[AlertStatus.PENDING]
    )
    assert [a.status for a in pending[other.id]] == ["PENDING"]


def test_kind_is_the_alerts_version_kind(store_engine: Engine) -> None:
    team = f.team(store_engine)
    deal = f.opportunity(store_engine, team.reps[0])
    rule = pf.rule(store_engine, f.ORG_A)  # FIX_REQUIRED at version 1
    opened_under_v1 = pf.alert(store_engine, rule, deal)
    alert_rules.update_rule(
        store_engine, f.ORG_A, rule.id, {"kind": AlertKind.INFORMATIVE}, None, f.NOW
    )

    def kinds(*wanted: AlertKind) -> list[str]:
        found = alerts.alerts_by_opportunity(store_engine, f.ORG_A, [deal.id], kinds=wanted)
        return _ids(found.get(deal.id, []))

    # Until the next evaluation re-points it, the alert is what its version said.
    assert kinds(AlertKind.FIX_REQUIRED) == [opened_under_v1.id]
    assert kinds(AlertKind.INFORMATIVE) == []
    assert kinds(AlertKind.INFORMATIVE, AlertKind.FIX_REQUIRED) == [opened_under_v1.id]


def _arranged(engine: Engine) -> tuple[f.Team, dict[str, Alert], dict[str, Opportunity]]:
    """Alerts on deals of three reps (two under the first manager), of two rules."""
    team = f.team(engine)
    f.org(engine, f.ORG_B)
    east1, east2, west1 = team.reps[0], team.reps[1], team.reps[2]
    deals = {
        "east1": f.opportunity(engine, east1),
        "east2": f.opportunity(engine, east2),
        "west1": f.opportunity(engine, west1),
        "deleted": f.opportunity(engine, east1, is_deleted=True),
    }
    fix = pf.rule(engine, f.ORG_A, severity=Severity.HIGH)
    info = pf.rule(
        engine, f.ORG_A, name="Stuck", kind=AlertKind.INFORMATIVE, severity=Severity.LOW,
        fix_fields=(),
    )  # fmt: skip
    made = {
        "east1 fix": pf.alert(engine, fix, deals["east1"], **_at(1)),
        "east1 info": pf.alert(engine, info, deals["east1"], AlertStatus.DISMISSED, **_at(2)),
        "east2 fix": pf.alert(engine, fix, deals["east2"], AlertStatus.SNOOZED, **_at(3)),
        "west1 info": pf.alert(engine, info, deals["west1"], **_at(4)),
        "west1 fix": pf.alert(engine, fix, deals["west1"], AlertStatus.RESOLVED, **_at(5)),
        "deleted": pf.alert(engine, fix, deals["deleted"], **_at(6)),
    }
    pf.alert(engine, info, deals["east2"], AlertStatus.PENDING)
    return team, made, deals


def _listed(engine: Engine, visibility: Visibility, **where: object) -> list[str]:
    page = alerts.list_alerts(engine, visibility, AlertFilter(**where), first=100)  # type: ignore[arg-type]
    assert not page.has_next
    count = alerts.count_alerts(engine, visibility, AlertFilter(**where))  # type: ignore[arg-type]
    assert count == len(page.rows)
    return _ids(page.rows)


def test_the_connection_holds_what_the_caller_may_see(store_engine: Engine) -> None:
    team, made, _ = _arranged(store_engine)
    names = {alert.id: name for name, alert in made.items()}

    def listed(visibility: Visibility) -> list[str]:
        return [names[i] for i in _listed(store_engine, visibility)]

    assert listed(EVERYONE) == ["east1 fix", "east1 info", "east2 fix", "west1 info", "west1 fix"]
    rep = Visibility(f.ORG_A, frozenset({team.reps[0].id}))
    assert listed(rep) == ["east1 fix", "east1 info"]
    manager = Visibility(f.ORG_A, frozenset({team.managers[0].id, *(r.id for r in team.reps[:2])}))
    assert listed(manager) == ["east1 fix", "east1 info", "east2 fix"]
    assert listed(Visibility(f.ORG_B, None)) == []


def test_the_connection_filters_combine(store_engine: Engine) -> None:
    team, made, _ = _arranged(store_engine)
    names = {alert.id: name for name, alert in made.items()}
    fix_rule = made["east1 fix"].rule_id

    def listed(**where: object) -> list[str]:
        return [names[i] for i in _listed(store_engine, EVERYONE, **where)]

    assert listed(kinds=(AlertKind.INFORMATIVE,)) == ["east1 info", "west1 info"]
    assert listed(severities=(Severity.HIGH,)) == ["east1 fix", "east2 fix", "west1 fix"]
    assert listed(statuses=(AlertStatus.OPEN,)) == ["east1 fix", "west1 info"]
    assert listed(rule_ids=(fix_rule,), statuses=(AlertStatus.OPEN, AlertStatus.SNOOZED)) == [
        "east1 fix",
        "east2 fix",
    ]
    assert listed(owner_ids=(team.reps[2].id,), kinds=(AlertKind.FIX_REQUIRED,)) == ["west1 fix"]
    # PENDING alerts are listed only when asked for by status (the one on east2's deal).
    assert len(_listed(store_engine, EVERYONE, statuses=(AlertStatus.PENDING,))) == 1


def test_pages_continue_after_a_key_and_an_alert_opened_meanwhile_shifts_none(
    store_engine: Engine,
) -> None:
    _, _, deals = _arranged(store_engine)
    expected = _listed(store_engine, EVERYONE)
    walked: list[str] = []
    after = None
    while True:
        page = alerts.list_alerts(store_engine, EVERYONE, AlertFilter(), first=2, after=after)
        walked += _ids(page.rows)
        if not page.has_next:
            break
        after = alert_key(page.rows[-1])
        if len(walked) == 2:  # a newer alert opens between two requests
            late = pf.rule(store_engine, f.ORG_A, name="Late")
            pf.alert(store_engine, late, deals["east2"], opened_at=f.NOW)
    assert walked == expected


def test_alerts_opened_at_the_same_moment_page_by_id(store_engine: Engine) -> None:
    team = f.team(store_engine)
    rule = pf.rule(store_engine, f.ORG_A)
    same = [pf.alert(store_engine, rule, f.opportunity(store_engine, team.reps[0])) for _ in "abc"]
    first = alerts.list_alerts(store_engine, EVERYONE, AlertFilter(), first=1)
    rest = alerts.list_alerts(
        store_engine, EVERYONE, AlertFilter(), first=5, after=alert_key(first.rows[0])
    )
    assert _ids(first.rows) + _ids(rest.rows) == sorted((a.id for a in same), reverse=True)
    assert (first.has_next, rest.has_next) == (True, False)


def test_stored_health_by_opportunity(store_engine: Engine) -> None:
    f.org(store_engine)
    f.org(store_engine, f.ORG_B)
    breakdown = [{"label": "Progress: 1 of 2 milestones (weight 1 of 2)", "points": 50}]
    f.add(
        store_engine,
        OpportunityHealth(
            org_id=f.ORG_A, opportunity_id="006000000000001AAA", score=40, progress=0.5,
            penalty=10, breakdown=breakdown, computed_at=f.NOW,
        ),
        OpportunityHealth(
            org_id=f.ORG_B, opportunity_id="006000000000002AAA", score=1, progress=0.0,
            penalty=0, computed_at=f.NOW,
        ),
    )  # fmt: skip
    with counting(store_engine) as statements:
        found = alerts.health_by_opportunity(
            store_engine, f.ORG_A, ["006000000000001AAA", "006000000000002AAA"]
        )
    assert len(statements) == 1
    [(deal, health)] = found.items()
    assert deal == "006000000000001AAA"
    assert (health.score, health.progress, health.penalty, health.breakdown) == (
        40, 0.5, 10, breakdown,
    )  # fmt: skip


def test_severity_weights_are_set_keeping_what_the_pass_recorded(store_engine: Engine) -> None:
    f.org(store_engine)
    f.org(store_engine, f.ORG_B)
    assert alerts.evaluation_settings(store_engine, f.ORG_A).severity_weights == {}
    first = alerts.set_severity_weights(store_engine, f.ORG_A, {Severity.HIGH: 15})
    assert first.severity_weights == {"HIGH": 15}
    f.add(
        store_engine,
        EvaluationSettings(org_id=f.ORG_B, severity_weights={"LOW": 1}, last_local_date="x"),
    )
    again = alerts.set_severity_weights(store_engine, f.ORG_B, {Severity.CRITICAL: 30})
    assert (again.severity_weights, again.last_local_date) == ({"CRITICAL": 30}, "x")
    assert alerts.evaluation_settings(store_engine, f.ORG_A).severity_weights == {"HIGH": 15}
    with pytest.raises(ValueError, match=">= 0"):
        alerts.set_severity_weights(store_engine, f.ORG_A, {Severity.LOW: -1})
    assert alerts.evaluation_settings(store_engine, f.ORG_A).severity_weights == {"HIGH": 15}
