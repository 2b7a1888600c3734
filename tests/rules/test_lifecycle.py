"""The alert lifecycle (rules.lifecycle.alert_transitions), case by case: hold time, snooze
expiry, rule change, retirement, a failed rule, closed and deleted opportunities."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from rules.lifecycle import (
    Change,
    LiveAlert,
    Observation,
    RuleSpec,
    Transition,
    alert_transitions,
)
from rules.process import AlertKind, AlertStatus, Resolution

pytestmark = pytest.mark.sqlite_only

NOW = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
EARLIER = NOW - timedelta(days=2)
RULE = RuleSpec(
    "rule_a", version=1, condition_version=1, kind=AlertKind.FIX_REQUIRED, hold_seconds=0
)
HELD = RuleSpec(
    "rule_h", version=1, condition_version=1, kind=AlertKind.INFORMATIVE, hold_seconds=3600
)


def live(
    status: AlertStatus,
    *,
    rule: RuleSpec = RULE,
    version: int | None = None,
    opportunity_id: str = "006A",
    matched_since: datetime = EARLIER,
    snoozed_until: datetime | None = None,
    alert_id: str = "alert_1",
) -> LiveAlert:
    return LiveAlert(
        alert_id=alert_id,
        rule_id=rule.rule_id,
        rule_version=rule.version if version is None else version,
        opportunity_id=opportunity_id,
        status=status,
        matched_since=matched_since,
        snoozed_until=snoozed_until,
    )


def seen(
    rule: RuleSpec, evaluated: set[str], firing: set[str], *, failed: bool = False
) -> Observation:
    return Observation(rule, frozenset(evaluated), frozenset(firing), failed)


def one(transitions: list[Transition]) -> Transition:
    assert len(transitions) == 1, transitions
    return transitions[0]


# -- opening ---------------------------------------------------------------------------------


def test_a_firing_condition_with_no_hold_time_opens_an_alert() -> None:
    t = one(alert_transitions([], [seen(RULE, {"006A", "006B"}, {"006A"})], NOW))
    assert t == Transition(
        change=Change.OPEN,
        rule_id="rule_a",
        rule_version=1,
        opportunity_id="006A",
        alert_id=None,
        status=AlertStatus.OPEN,
        resolution=None,
        at=NOW,
        matched_since=NOW,
    )


def test_nothing_fires_nothing_changes() -> None:
    assert alert_transitions([], [seen(RULE, {"006A", "006B"}, set())], NOW) == []


def test_an_open_alert_whose_condition_still_holds_is_left_alone() -> None:
    assert alert_transitions([live(AlertStatus.OPEN)], [seen(RULE, {"006A"}, {"006A"})], NOW) == []


def test_a_firing_id_is_taken_as_evaluated() -> None:
    t = one(alert_transitions([], [seen(RULE, set(), {"006Z"})], NOW))
    assert (t.change, t.opportunity_id) == (Change.OPEN, "006Z")


# -- hold time -------------------------------------------------------------------------------


def test_a_hold_time_makes_a_new_match_pending() -> None:
    t = one(alert_transitions([], [seen(HELD, {"006A"}, {"006A"})], NOW))
    assert (t.change, t.status, t.alert_id, t.matched_since) == (
        Change.PEND,
        AlertStatus.PENDING,
        None,
        NOW,
    )


def test_a_pending_alert_not_yet_held_long_enough_stays_pending() -> None:
    pending = live(AlertStatus.PENDING, rule=HELD, matched_since=NOW - timedelta(seconds=3599))
    assert alert_transitions([pending], [seen(HELD, {"006A"}, {"006A"})], NOW) == []


def test_a_pending_alert_held_exactly_the_hold_time_opens_under_its_id() -> None:
    since = NOW - timedelta(seconds=3600)
    pending = live(AlertStatus.PENDING, rule=HELD, matched_since=since)
    t = one(alert_transitions([pending], [seen(HELD, {"006A"}, {"006A"})], NOW))
    assert (t.change, t.status, t.alert_id, t.matched_since) == (
        Change.OPEN,
        AlertStatus.OPEN,
        "alert_1",
        since,
    )


def test_a_pending_alert_whose_condition_cleared_is_dropped() -> None:
    pending = live(AlertStatus.PENDING, rule=HELD)
    t = one(alert_transitions([pending], [seen(HELD, {"006A"}, set())], NOW))
    assert (t.change, t.alert_id, t.status, t.resolution) == (
        Change.DROP,
        "alert_1",
        AlertStatus.PENDING,
        Resolution.CONDITION_CLEARED,
    )


def test_a_hold_time_removed_by_an_edit_opens_a_pending_alert_at_once() -> None:
    edited = RuleSpec(
        "rule_h", version=2, condition_version=1, kind=AlertKind.INFORMATIVE, hold_seconds=0
    )
    pending = live(AlertStatus.PENDING, rule=HELD, matched_since=NOW - timedelta(seconds=5))
    t = one(alert_transitions([pending], [seen(edited, {"006A"}, {"006A"})], NOW))
    assert (t.change, t.alert_id, t.rule_version) == (Change.OPEN, "alert_1", 2)


# -- resolution by the condition -------------------------------------------------------------


@pytest.mark.parametrize("status", [AlertStatus.OPEN, AlertStatus.SNOOZED, AlertStatus.DISMISSED])
def test_an_alert_whose_condition_cleared_is_resolved(status: AlertStatus) -> None:
    alert = live(
        status, snoozed_until=NOW + timedelta(days=1) if status is AlertStatus.SNOOZED else None
    )
    t = one(alert_transitions([alert], [seen(RULE, {"006A"}, set())], NOW))
    assert t == Transition(
        change=Change.RESOLVE,
        rule_id="rule_a",
        rule_version=1,
        opportunity_id="006A",
        alert_id="alert_1",
        status=AlertStatus.RESOLVED,
        resolution=Resolution.CONDITION_CLEARED,
        at=NOW,
        matched_since=EARLIER,
    )


def test_a_dismissed_alert_stays_dismissed_while_its_condition_holds() -> None:
    dismissed = live(AlertStatus.DISMISSED)
    assert alert_transitions([dismissed], [seen(RULE, {"006A"}, {"006A"})], NOW) == []


# -- snooze ----------------------------------------------------------------------------------


def test_a_snooze_not_yet_expired_keeps_the_alert_snoozed() -> None:
    snoozed = live(AlertStatus.SNOOZED, snoozed_until=NOW + timedelta(seconds=1))
    assert alert_transitions([snoozed], [seen(RULE, {"006A"}, {"006A"})], NOW) == []


@pytest.mark.parametrize("until", [NOW, NOW - timedelta(hours=3)])
def test_an_expired_snooze_reopens_the_alert_if_the_condition_holds(until: datetime) -> None:
    snoozed = live(AlertStatus.SNOOZED, snoozed_until=until)
    t = one(alert_transitions([snoozed], [seen(RULE, {"006A"}, {"006A"})], NOW))
    assert (t.change, t.alert_id, t.status, t.matched_since) == (
        Change.REOPEN,
        "alert_1",
        AlertStatus.OPEN,
        EARLIER,
    )


def test_a_snooze_without_an_end_never_expires() -> None:
    snoozed = live(AlertStatus.SNOOZED, snoozed_until=None)
    assert alert_transitions([snoozed], [seen(RULE, {"006A"}, {"006A"})], NOW) == []


# -- rule change -----------------------------------------------------------------------------

CHANGED = RuleSpec(
    "rule_a", version=3, condition_version=3, kind=AlertKind.FIX_REQUIRED, hold_seconds=0
)
REWORDED = RuleSpec(
    "rule_a", version=3, condition_version=2, kind=AlertKind.FIX_REQUIRED, hold_seconds=0
)


def test_a_changed_condition_resolves_the_old_alert_and_opens_a_new_one() -> None:
    old = live(AlertStatus.OPEN, version=2)
    resolved, opened = alert_transitions([old], [seen(CHANGED, {"006A"}, {"006A"})], NOW)
    assert (resolved.change, resolved.alert_id, resolved.resolution, resolved.rule_version) == (
        Change.RESOLVE,
        "alert_1",
        Resolution.RULE_CHANGED,
        2,
    )
    assert (opened.change, opened.alert_id, opened.rule_version, opened.matched_since) == (
        Change.OPEN,
        None,
        3,
        NOW,
    )


def test_a_changed_condition_that_no_longer_fires_only_resolves() -> None:
    old = live(AlertStatus.SNOOZED, version=1, snoozed_until=NOW + timedelta(days=3))
    t = one(alert_transitions([old], [seen(CHANGED, {"006A"}, set())], NOW))
    assert (t.change, t.resolution) == (Change.RESOLVE, Resolution.RULE_CHANGED)


def test_a_pending_alert_of_a_changed_condition_is_dropped_and_pends_anew() -> None:
    held = RuleSpec(
        "rule_h", version=2, condition_version=2, kind=AlertKind.INFORMATIVE, hold_seconds=60
    )
    old = live(AlertStatus.PENDING, rule=HELD, version=1)
    dropped, pending = alert_transitions([old], [seen(held, {"006A"}, {"006A"})], NOW)
    assert (dropped.change, dropped.resolution) == (Change.DROP, Resolution.RULE_CHANGED)
    assert (pending.change, pending.alert_id, pending.matched_since) == (Change.PEND, None, NOW)


@pytest.mark.parametrize("status", [AlertStatus.OPEN, AlertStatus.DISMISSED, AlertStatus.PENDING])
def test_a_reworded_rule_repoints_its_alerts(status: AlertStatus) -> None:
    alert = live(status, version=2)
    rule = RuleSpec("rule_a", 3, 2, AlertKind.FIX_REQUIRED, hold_seconds=10**6)
    t = one(alert_transitions([alert], [seen(rule, {"006A"}, {"006A"})], NOW))
    assert (t.change, t.alert_id, t.status, t.rule_version, t.matched_since) == (
        Change.REPOINT,
        "alert_1",
        status,
        3,
        EARLIER,
    )


def test_a_reworded_rule_repoints_a_snoozed_alert_that_stays_snoozed() -> None:
    alert = live(AlertStatus.SNOOZED, version=2, snoozed_until=NOW + timedelta(hours=1))
    t = one(alert_transitions([alert], [seen(REWORDED, {"006A"}, {"006A"})], NOW))
    assert (t.change, t.status, t.rule_version) == (Change.REPOINT, AlertStatus.SNOOZED, 3)


def test_an_expired_snooze_of_a_reworded_rule_reopens_at_the_new_version() -> None:
    alert = live(AlertStatus.SNOOZED, version=2, snoozed_until=NOW - timedelta(hours=1))
    t = one(alert_transitions([alert], [seen(REWORDED, {"006A"}, {"006A"})], NOW))
    assert (t.change, t.status, t.rule_version) == (Change.REOPEN, AlertStatus.OPEN, 3)


def test_a_reworded_rule_whose_condition_cleared_resolves_at_the_alerts_version() -> None:
    alert = live(AlertStatus.OPEN, version=2)
    t = one(alert_transitions([alert], [seen(REWORDED, {"006A"}, set())], NOW))
    assert (t.change, t.resolution, t.rule_version) == (
        Change.RESOLVE,
        Resolution.CONDITION_CLEARED,
        2,
    )


# -- retirement, failure, closed and deleted opportunities -----------------------------------


def test_a_retired_rule_resolves_its_alerts_and_opens_none() -> None:
    alerts = [
        live(AlertStatus.OPEN, opportunity_id="006A", alert_id="alert_1"),
        live(AlertStatus.PENDING, opportunity_id="006B", alert_id="alert_2"),
    ]
    observed = [seen(RULE, {"006A", "006B", "006C"}, {"006A", "006B", "006C"})]
    resolved, dropped = alert_transitions(alerts, observed, NOW, retired_rule_ids={"rule_a"})
    assert (resolved.change, resolved.alert_id, resolved.resolution) == (
        Change.RESOLVE,
        "alert_1",
        Resolution.RULE_RETIRED,
    )
    assert (dropped.change, dropped.alert_id, dropped.resolution) == (
        Change.DROP,
        "alert_2",
        Resolution.RULE_RETIRED,
    )


def test_a_retired_rule_needs_no_observation() -> None:
    t = one(alert_transitions([live(AlertStatus.DISMISSED)], [], NOW, retired_rule_ids=["rule_a"]))
    assert t.resolution is Resolution.RULE_RETIRED


def test_a_failed_rule_keeps_its_alerts_and_opens_none() -> None:
    alerts = [
        live(AlertStatus.OPEN, opportunity_id="006A", alert_id="alert_1"),
        live(AlertStatus.SNOOZED, opportunity_id="006B", alert_id="alert_2", snoozed_until=EARLIER),
        live(AlertStatus.PENDING, rule=HELD, alert_id="alert_3", matched_since=EARLIER),
    ]
    observed = [
        seen(RULE, {"006A", "006B", "006C"}, {"006B", "006C"}, failed=True),
        seen(HELD, {"006A"}, {"006A"}, failed=True),
    ]
    assert alert_transitions(alerts, observed, NOW) == []


def test_a_failed_rule_still_loses_its_alerts_on_closed_opportunities() -> None:
    observed = [seen(RULE, {"006A"}, set(), failed=True)]
    t = one(alert_transitions([live(AlertStatus.OPEN)], observed, NOW, closed_ids={"006A"}))
    assert t.resolution is Resolution.OPPORTUNITY_CLOSED


@pytest.mark.parametrize(
    ("closed", "deleted", "retired", "expected"),
    [
        ({"006A"}, set(), set(), Resolution.OPPORTUNITY_CLOSED),
        (set(), {"006A"}, set(), Resolution.OPPORTUNITY_DELETED),
        ({"006A"}, {"006A"}, {"rule_a"}, Resolution.OPPORTUNITY_DELETED),
        ({"006A"}, set(), {"rule_a"}, Resolution.OPPORTUNITY_CLOSED),
    ],
)
def test_closed_and_deleted_opportunities_resolve_their_alerts_whatever_fires(
    closed: set[str], deleted: set[str], retired: set[str], expected: Resolution
) -> None:
    observed = [seen(RULE, {"006A"}, {"006A"})]
    t = one(
        alert_transitions(
            [live(AlertStatus.OPEN)],
            observed,
            NOW,
            closed_ids=closed,
            deleted_ids=deleted,
            retired_rule_ids=retired,
        )
    )
    assert (t.change, t.resolution) == (Change.RESOLVE, expected)


def test_a_pending_alert_on_a_closed_opportunity_is_dropped() -> None:
    pending = live(AlertStatus.PENDING, rule=HELD)
    t = one(alert_transitions([pending], [], NOW, closed_ids={"006A"}))
    assert (t.change, t.resolution) == (Change.DROP, Resolution.OPPORTUNITY_CLOSED)


def test_nothing_opens_on_a_closed_or_deleted_opportunity() -> None:
    observed = [seen(RULE, {"006A", "006B"}, {"006A", "006B"})]
    assert alert_transitions([], observed, NOW, closed_ids={"006A"}, deleted_ids={"006B"}) == []


def test_alerts_of_rules_not_observed_and_of_ids_not_evaluated_are_untouched() -> None:
    alerts = [
        live(AlertStatus.OPEN, rule=HELD, opportunity_id="006A", alert_id="alert_1"),
        live(AlertStatus.OPEN, opportunity_id="006B", alert_id="alert_2"),
    ]
    assert alert_transitions(alerts, [seen(RULE, {"006A"}, set())], NOW) == []


def test_a_rule_observed_twice_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="observed twice"):
        alert_transitions([], [seen(RULE, set(), set()), seen(RULE, set(), set())], NOW)


def test_the_order_is_by_rule_then_opportunity_whatever_the_input_order() -> None:
    rules = [RuleSpec(f"rule_{n}", 1, 1, AlertKind.INFORMATIVE, 0) for n in "cab"]
    ids = {"006C", "006A", "006B"}
    alerts = [
        live(AlertStatus.OPEN, rule=rule, opportunity_id=i, alert_id=f"{rule.rule_id}{i}")
        for rule in rules
        for i in ("006A", "006C")
    ]
    observed = [seen(rule, ids, {"006B"}) for rule in rules]
    expected = alert_transitions(alerts, observed, NOW)
    keys = [(t.rule_id, t.opportunity_id) for t in expected]
    assert keys == sorted(keys)
    assert len(expected) == 9
    shuffler = random.Random(8)
    for _ in range(5):
        shuffler.shuffle(alerts)
        shuffler.shuffle(observed)
        assert alert_transitions(alerts, observed, NOW) == expected
