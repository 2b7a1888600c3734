"""Alert rules and their versions (store.alert_rules), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from rules.process import AlertKind, AlertStatus, RuleOrigin, Severity
from store import alert_rules
from store.alert_rules import NO_ALERTS, RuleHealthFigures, condition_version
from store.process_models import AlertRule, AlertRuleVersion
from tests import factories as f
from tests import process_factories as pf
from tests.store_backends import counting

LATER = f.NOW + timedelta(hours=1)


def _versions(engine: Engine) -> list[tuple[str, int, str]]:
    with Session(engine) as session:
        rows = session.exec(select(AlertRuleVersion)).all()
        return sorted((row.rule_id, row.version, row.condition) for row in rows)


def _rules(engine: Engine) -> list[AlertRule]:
    with Session(engine) as session:
        return list(session.exec(select(AlertRule)).all())


def test_a_new_rule_is_version_one_with_its_version_row(store_engine: Engine) -> None:
    f.org(store_engine)
    rule = pf.rule(store_engine, f.ORG_A, author_id="005000000000001AAA", hold_seconds=600)
    assert rule.id.startswith("rule_")
    assert (rule.version, rule.kind, rule.severity, rule.origin) == (
        1, "FIX_REQUIRED", "HIGH", "MANUAL",
    )  # fmt: skip
    stored = alert_rules.rules_by_ids(store_engine, f.ORG_A, [rule.id])[rule.id]
    assert stored.fix_fields == ["CloseDate"]
    assert (stored.created_at, stored.updated_at, stored.hold_seconds) == (f.NOW, f.NOW, 600)
    [version] = alert_rules.rule_versions(store_engine, f.ORG_A, rule.id)
    assert (version.version, version.condition, version.fix_fields) == (
        1, "CloseDate < TODAY()", ["CloseDate"],
    )  # fmt: skip
    assert (version.author_id, version.created_at) == ("005000000000001AAA", f.NOW)


def test_bad_values_are_refused_before_anything_is_written(store_engine: Engine) -> None:
    f.org(store_engine)
    with pytest.raises(KeyError, match="colour"):
        pf.rule(store_engine, f.ORG_A, colour="red")
    with pytest.raises(KeyError, match="condition"):
        pf.rule(store_engine, f.ORG_A, condition=None)
    rule = pf.rule(store_engine, f.ORG_A)
    with pytest.raises(KeyError, match="version"):
        alert_rules.update_rule(store_engine, f.ORG_A, rule.id, {"version": 9}, None, LATER)
    assert [r.version for r in _rules(store_engine)] == [1]


def test_editing_the_definition_adds_a_version(store_engine: Engine) -> None:
    f.org(store_engine)
    rule = pf.rule(store_engine, f.ORG_A)
    edited = alert_rules.update_rule(
        store_engine,
        f.ORG_A,
        rule.id,
        {"condition": "CloseDate < TODAY() - 7", "severity": Severity.CRITICAL},
        "005000000000009AAA",
        LATER,
    )
    assert edited is not None
    assert (edited.version, edited.severity, edited.updated_at) == (2, "CRITICAL", LATER)
    assert edited.created_at == f.NOW
    versions = alert_rules.rule_versions(store_engine, f.ORG_A, rule.id)
    assert [(v.version, v.condition, v.severity) for v in versions] == [
        (1, "CloseDate < TODAY()", "HIGH"),
        (2, "CloseDate < TODAY() - 7", "CRITICAL"),
    ]
    assert (versions[1].author_id, versions[1].created_at) == ("005000000000009AAA", LATER)


def test_an_edit_that_changes_no_definition_adds_no_version(store_engine: Engine) -> None:
    f.org(store_engine)
    rule = pf.rule(store_engine, f.ORG_A)
    same = {"condition": rule.condition, "fix_fields": ("CloseDate",), "active": False}
    edited = alert_rules.update_rule(store_engine, f.ORG_A, rule.id, same, None, LATER)
    assert edited is not None
    assert (edited.version, edited.active) == (1, False)
    assert len(alert_rules.rule_versions(store_engine, f.ORG_A, rule.id)) == 1


def test_no_edit_reaches_another_orgs_or_a_retired_rule(store_engine: Engine) -> None:
    f.org(store_engine)
    f.org(store_engine, f.ORG_B)
    theirs = pf.rule(store_engine, f.ORG_B)
    retired = pf.rule(store_engine, f.ORG_A, name="Old")
    assert alert_rules.retire_rule(store_engine, f.ORG_A, retired.id, None, LATER) is not None
    before = _versions(store_engine)
    for rule_id in (theirs.id, retired.id, "rule_missing"):
        assert (
            alert_rules.update_rule(
                store_engine, f.ORG_A, rule_id, {"condition": "true"}, None, LATER
            )
            is None
        )
    assert alert_rules.retire_rule(store_engine, f.ORG_A, theirs.id, None, LATER) is None
    assert _versions(store_engine) == before
    assert alert_rules.rules_by_ids(store_engine, f.ORG_B, [theirs.id])[theirs.id].active


def test_retiring_deactivates_for_good_and_keeps_the_versions(store_engine: Engine) -> None:
    f.org(store_engine)
    rule = pf.rule(store_engine, f.ORG_A)
    retired = alert_rules.retire_rule(store_engine, f.ORG_A, rule.id, "005000000000009AAA", LATER)
    assert retired is not None
    assert (retired.active, retired.retired_at, retired.version) == (False, LATER, 1)
    # A second retirement is refused and changes nothing (the first's time and author stay).
    assert (
        alert_rules.retire_rule(store_engine, f.ORG_A, rule.id, None, LATER + timedelta(1)) is None
    )
    [kept] = alert_rules.rules_by_ids(store_engine, f.ORG_A, [rule.id]).values()
    assert (kept.retired_at, kept.author_id) == (LATER, "005000000000009AAA")
    assert [r.id for r in alert_rules.list_rules(store_engine, f.ORG_A)] == []
    everything = alert_rules.list_rules(store_engine, f.ORG_A, include_retired=True)
    assert [r.id for r in everything] == [rule.id]
    assert len(alert_rules.rule_versions(store_engine, f.ORG_A, rule.id)) == 1


def test_rules_are_listed_by_name(store_engine: Engine) -> None:
    f.org(store_engine)
    names = ["No activity", "Amount missing", "Stuck in stage"]
    for name in names:
        pf.rule(store_engine, f.ORG_A, name=name)
    listed = alert_rules.list_rules(store_engine, f.ORG_A)
    assert [r.name for r in listed] == sorted(names)


def test_an_imported_rule_is_found_by_its_source(store_engine: Engine) -> None:
    f.org(store_engine)
    source = "03d000000000001AAA"
    imported = pf.rule(
        store_engine, f.ORG_A, origin=RuleOrigin.VALIDATION_RULE, source_id=source,
        source_digest="d1",
    )  # fmt: skip
    pf.rule(store_engine, f.ORG_A)  # a manual rule: no source
    found = alert_rules.rule_by_source(store_engine, f.ORG_A, source)
    assert found is not None
    assert (found.id, found.origin, found.source_digest) == (imported.id, "VALIDATION_RULE", "d1")
    alert_rules.retire_rule(store_engine, f.ORG_A, imported.id, None, LATER)
    retired = alert_rules.rule_by_source(store_engine, f.ORG_A, source)
    assert retired is not None
    assert retired.id == imported.id  # re-importing finds it rather than colliding
    assert alert_rules.rule_by_source(store_engine, f.ORG_A, "03d000000000002AAA") is None


def test_versions_are_read_by_rule_and_number_in_one_query(store_engine: Engine) -> None:
    f.org(store_engine)
    first, second = pf.rule(store_engine, f.ORG_A), pf.rule(store_engine, f.ORG_A, name="B")
    alert_rules.update_rule(store_engine, f.ORG_A, first.id, {"message": "m2"}, None, LATER)
    keys = [(first.id, 1), (first.id, 2), (second.id, 1), (second.id, 2)]
    with counting(store_engine) as statements:
        found = alert_rules.versions_by_keys(store_engine, f.ORG_A, keys)
    assert len(statements) == 1
    assert {key: row.message for key, row in found.items()} == {
        (first.id, 1): "Close date {!CloseDate} is in the past",
        (first.id, 2): "m2",
        (second.id, 1): "Close date {!CloseDate} is in the past",
    }
    assert alert_rules.versions_by_keys(store_engine, f.ORG_A, []) == {}


def _version(number: int, condition: str, fix_fields: list[str] | None = None) -> AlertRuleVersion:
    return AlertRuleVersion(
        org_id=f.ORG_A, rule_id="rule_x", version=number, name="r", kind="INFORMATIVE",
        severity="LOW", condition=condition, message="m", fix_fields=fix_fields or [],
    )  # fmt: skip


def test_condition_version_counts_back_without_a_gap() -> None:
    assert condition_version([_version(1, "A")]) == 1
    assert condition_version([_version(2, "A"), _version(1, "A")]) == 1  # a message edit
    assert condition_version([_version(1, "A"), _version(2, "B")]) == 2
    assert condition_version([_version(1, "A"), _version(2, "B"), _version(3, "A")]) == 3
    fix_changed = [_version(1, "A", ["CloseDate"]), _version(2, "A", ["Amount"])]
    assert condition_version(fix_changed) == 2
    with pytest.raises(ValueError, match="at least one version"):
        condition_version([])


def test_condition_versions_of_the_org_in_one_query(store_engine: Engine) -> None:
    f.org(store_engine)
    f.org(store_engine, f.ORG_B)
    reworded, redefined = pf.rule(store_engine, f.ORG_A), pf.rule(store_engine, f.ORG_A)
    pf.rule(store_engine, f.ORG_B)
    alert_rules.update_rule(store_engine, f.ORG_A, reworded.id, {"message": "m"}, None, LATER)
    for condition in ("Amount > 0", "Amount > 1"):
        alert_rules.update_rule(
            store_engine, f.ORG_A, redefined.id, {"condition": condition}, None, LATER
        )
    with counting(store_engine) as statements:
        found = alert_rules.condition_versions(store_engine, f.ORG_A)
    assert len(statements) == 1
    assert found == {reworded.id: 1, redefined.id: 3}
    assert alert_rules.condition_versions(store_engine, f.ORG_A, [reworded.id]) == {reworded.id: 1}


def test_rule_health_counts_outstanding_alerts_and_their_amount(store_engine: Engine) -> None:
    team = f.team(store_engine)
    rep = team.reps[0]
    big, small = (f.opportunity(store_engine, rep, amount=Decimal(a)) for a in ("1250.10", "5"))
    unpriced = f.opportunity(store_engine, rep, amount=None)
    other = f.opportunity(store_engine, rep, amount=Decimal("999.00"))
    rule, quiet = pf.rule(store_engine, f.ORG_A), pf.rule(store_engine, f.ORG_A, name="Quiet")
    pf.alert(store_engine, rule, big, AlertStatus.OPEN)
    pf.alert(store_engine, rule, small, AlertStatus.SNOOZED, snoozed_until=LATER)
    pf.alert(store_engine, rule, unpriced, AlertStatus.OPEN)
    pf.alert(store_engine, rule, other, AlertStatus.RESOLVED)  # none of these count
    pf.alert(store_engine, rule, other, AlertStatus.DISMISSED)
    pf.alert(store_engine, quiet, other, AlertStatus.PENDING)
    with counting(store_engine) as statements:
        figures = alert_rules.rule_health(store_engine, f.ORG_A, [rule.id, quiet.id])
    assert len(statements) == 1
    assert figures == {
        rule.id: RuleHealthFigures(open_alerts=3, pipeline_amount=Decimal("1255.10")),
        quiet.id: NO_ALERTS,
    }
    assert str(figures[quiet.id].pipeline_amount) == "0.00"


def test_an_enum_given_by_name_is_stored_the_same(store_engine: Engine) -> None:
    f.org(store_engine)
    by_member = pf.rule(store_engine, f.ORG_A, kind=AlertKind.INFORMATIVE)
    by_name = pf.rule(store_engine, f.ORG_A, kind="INFORMATIVE")
    assert by_member.kind == by_name.kind == AlertKind.INFORMATIVE.name
