"""Properties of rules.lifecycle.alert_transitions over random stores and observations: the
transitions applied leave a store that agrees with what fires, and applying the function
again at the same moment changes nothing (it is a fixpoint)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rules.lifecycle import Change, LiveAlert, Observation, RuleSpec, Transition, alert_transitions
from rules.process import AlertKind, AlertStatus, Resolution

pytestmark = pytest.mark.sqlite_only

NOW = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
RULE_IDS = ("rule_a", "rule_b", "rule_c")
OPPORTUNITY_IDS = ("006A", "006B", "006C", "006D")
LIVE = (AlertStatus.PENDING, AlertStatus.OPEN, AlertStatus.SNOOZED, AlertStatus.DISMISSED)
moments = st.integers(-7200, 7200).map(lambda s: NOW + timedelta(seconds=s))


@st.composite
def specs(draw: st.DrawFn, rule_id: str) -> RuleSpec:
    version = draw(st.integers(1, 4))
    return RuleSpec(
        rule_id,
        version,
        draw(st.integers(1, version)),
        draw(st.sampled_from(AlertKind)),
        draw(st.sampled_from([0, 60, 3600])),
    )


@st.composite
def scenarios(
    draw: st.DrawFn,
) -> tuple[list[LiveAlert], list[Observation], set[str], set[str], set[str]]:
    rules = {rule_id: draw(specs(rule_id)) for rule_id in RULE_IDS}
    alerts: list[LiveAlert] = []
    for number, (rule_id, opportunity_id) in enumerate(
        draw(st.sets(st.tuples(st.sampled_from(RULE_IDS), st.sampled_from(OPPORTUNITY_IDS))))
    ):
        status = draw(st.sampled_from(LIVE))
        alerts.append(
            LiveAlert(
                f"alert_{number}",
                rule_id,
                draw(st.integers(1, rules[rule_id].version)),
                opportunity_id,
                status,
                draw(moments.filter(lambda m: m <= NOW)),
                draw(st.one_of(st.none(), moments)) if status is AlertStatus.SNOOZED else None,
            )
        )
    observations = []
    for rule_id in draw(st.sets(st.sampled_from(RULE_IDS))):
        evaluated = draw(st.frozensets(st.sampled_from(OPPORTUNITY_IDS)))
        firing = draw(st.frozensets(st.sampled_from(OPPORTUNITY_IDS)))
        observations.append(Observation(rules[rule_id], evaluated, firing, draw(st.booleans())))
    closed = draw(st.sets(st.sampled_from(OPPORTUNITY_IDS), max_size=2))
    deleted = draw(st.sets(st.sampled_from(OPPORTUNITY_IDS), max_size=1))
    retired = draw(st.sets(st.sampled_from(RULE_IDS), max_size=1))
    return alerts, observations, closed, deleted, retired


def apply(alerts: list[LiveAlert], transitions: list[Transition]) -> list[LiveAlert]:
    """The live alerts after the transitions, as a store would write them."""
    by_id = {alert.alert_id: alert for alert in alerts}
    for number, t in enumerate(transitions):
        if t.change in (Change.RESOLVE, Change.DROP):
            assert t.alert_id is not None
            del by_id[t.alert_id]
        elif t.alert_id is None:
            new_id = f"new_{number}"
            by_id[new_id] = LiveAlert(
                new_id, t.rule_id, t.rule_version, t.opportunity_id, t.status, t.matched_since
            )
        else:
            old = by_id[t.alert_id]
            snoozed_until = old.snoozed_until if t.status is AlertStatus.SNOOZED else None
            by_id[t.alert_id] = replace(
                old, rule_version=t.rule_version, status=t.status, snoozed_until=snoozed_until
            )
    return list(by_id.values())


@settings(max_examples=400, derandomize=True, deadline=None)
@given(scenario=scenarios())
def test_transitions_agree_with_what_fires_and_are_a_fixpoint(
    scenario: tuple[list[LiveAlert], list[Observation], set[str], set[str], set[str]],
) -> None:
    alerts, observations, closed, deleted, retired = scenario
    kwargs = {"closed_ids": closed, "deleted_ids": deleted, "retired_rule_ids": retired}
    transitions = alert_transitions(alerts, observations, NOW, **kwargs)

    touched = [t.alert_id for t in transitions if t.alert_id is not None]
    assert len(touched) == len(set(touched)), "an alert changed twice"
    assert all(t.at == NOW for t in transitions)
    after = apply(alerts, transitions)
    keys = [(a.rule_id, a.opportunity_id) for a in after]
    assert len(keys) == len(set(keys)), "two live alerts of one rule x opportunity"
    assert not [a for a in after if a.opportunity_id in closed | deleted]
    assert not [a for a in after if a.rule_id in retired]

    by_key = {(a.rule_id, a.opportunity_id): a for a in after}
    for observation in observations:
        rule = observation.rule
        if rule.rule_id in retired:
            continue
        for opportunity_id in (
            (observation.evaluated_ids | observation.firing_ids) - closed - deleted
        ):
            alert = by_key.get((rule.rule_id, opportunity_id))
            before = [
                a for a in alerts if (a.rule_id, a.opportunity_id) == (rule.rule_id, opportunity_id)
            ]
            if observation.failed:
                assert [alert] == before or (alert is None and not before)
            elif opportunity_id in observation.firing_ids:
                assert alert is not None
                assert alert.rule_version == rule.version
                # an alert of the same condition is kept; one of an older condition replaced
                kept = [a.alert_id for a in before if a.rule_version >= rule.condition_version]
                assert [alert.alert_id] == kept or (not kept and alert.alert_id.startswith("new"))
            else:
                assert alert is None
    # untouched: alerts of rules not observed, on ids not evaluated, not closed, not retired
    observed = {o.rule.rule_id: o for o in observations}
    for alert in alerts:
        o = observed.get(alert.rule_id)
        spared = o is None or alert.opportunity_id not in o.evaluated_ids | o.firing_ids
        if spared and alert.opportunity_id not in closed | deleted and alert.rule_id not in retired:
            assert alert in after

    assert alert_transitions(after, observations, NOW, **kwargs) == []


@settings(max_examples=200, derandomize=True, deadline=None)
@given(scenario=scenarios())
def test_resolutions_name_their_cause(
    scenario: tuple[list[LiveAlert], list[Observation], set[str], set[str], set[str]],
) -> None:
    alerts, observations, closed, deleted, retired = scenario
    transitions = alert_transitions(
        alerts, observations, NOW, closed_ids=closed, deleted_ids=deleted, retired_rule_ids=retired
    )
    for t in transitions:
        if t.change in (Change.RESOLVE, Change.DROP):
            assert t.resolution is not None
            if t.resolution is Resolution.OPPORTUNITY_DELETED:
                assert t.opportunity_id in deleted
            elif t.resolution is Resolution.OPPORTUNITY_CLOSED:
                assert t.opportunity_id in closed
                assert t.opportunity_id not in deleted
            elif t.resolution is Resolution.RULE_RETIRED:
                assert t.rule_id in retired
            assert (t.change is Change.DROP) == (t.status is AlertStatus.PENDING)
        else:
            assert t.resolution is None
