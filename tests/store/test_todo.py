"""The to-do list's reads (store.todo): only OPEN fix-alerts (kind of the alert's version) on
the owner's open, not deleted, visible opportunities; the describe and the org's weights."""

from __future__ import annotations

from sqlalchemy import Engine

from rules.process import AlertKind, AlertStatus, Severity
from store import alert_rules
from store.alerts import set_severity_weights
from store.queries import Visibility
from store.todo import todo_rows
from tests import factories as f
from tests import process_factories as pf


def test_only_open_fix_alerts_of_the_owners_open_visible_deals(store_engine: Engine) -> None:
    team = f.team(store_engine)
    f.team(store_engine, f.ORG_B)
    f.catalog(store_engine, f.ORG_A, [{"name": "CloseDate"}])
    set_severity_weights(store_engine, f.ORG_A, {Severity.HIGH: 7})
    rep = team.reps[0]
    fix = pf.rule(store_engine, f.ORG_A, fix_fields=("CloseDate", "NextStep"))
    info = pf.rule(store_engine, f.ORG_A, name="Info", kind=AlertKind.INFORMATIVE)
    listed = f.opportunity(store_engine, rep)
    first = pf.alert(store_engine, fix, listed)
    pf.alert(store_engine, info, listed)
    for status in (AlertStatus.PENDING, AlertStatus.SNOOZED, AlertStatus.DISMISSED):
        pf.alert(store_engine, fix, f.opportunity(store_engine, rep), status)
    pf.alert(store_engine, fix, f.opportunity(store_engine, rep, stage="Closed Lost"))
    pf.alert(store_engine, fix, f.opportunity(store_engine, rep, is_deleted=True))
    pf.alert(store_engine, fix, f.opportunity(store_engine, team.reps[1]))
    # A rule made informative later: its old fix-alert stays one (the version's kind).
    changed = pf.rule(store_engine, f.ORG_A, name="Was a fix")
    second = pf.alert(store_engine, changed, listed, opened_at=f.NOW)  # opened after `first`
    alert_rules.update_rule(
        store_engine, f.ORG_A, changed.id, {"kind": AlertKind.INFORMATIVE}, None, f.NOW
    )

    found = todo_rows(store_engine, Visibility(f.ORG_A, None), rep.id)
    assert [row.opportunity.id for row in found.rows] == [listed.id]
    assert {a.alert.id for a in found.rows[0].alerts} == {first.id, second.id}
    assert found.rows[0].alerts[0].fix_fields == ("CloseDate", "NextStep")
    assert found.describe == {"fields": [{"name": "CloseDate"}]}
    assert found.weights == {Severity.HIGH: 7}
    # The caller's visibility applies too, and nothing crosses orgs.
    assert todo_rows(store_engine, Visibility(f.ORG_A, frozenset({"005x"})), rep.id).rows == []
    assert todo_rows(store_engine, Visibility(f.ORG_B, None), rep.id).rows == []
