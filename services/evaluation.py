"""The evaluation pass: every active rule and formula milestone over the open opportunities of
an org (all of them, or those a sync or a write touched), then the alert transitions, the
formula completions, health and rule health, stored in one transaction.

Rules and milestones are evaluated in bulk (rules.formula.bulk over one frame of the fields
they read, store.evaluation_frame), dates in the org's time zone; a pass over a few deals (a
write's) runs the interpreter instead, which gives the same values for less. The lifecycle
is rules.lifecycle's pure `alert_transitions`; health is rules.health's. A rule that cannot
be evaluated (its formula no longer compiles against the org's catalog, or evaluating it
raised) records its error and keeps its alerts; rows of a rule that evaluate to #Error! keep
theirs too, and are counted in its health ("12 records could not be evaluated: division by
zero"). A formula milestone is completed wherever its formula holds (whether it applies in
the deal's stage or not: health counts only the applicable ones) and un-completed where it
no longer does; a completion made by hand is never undone.

Who runs it (services.passes, services.orgs): every sync pass, on the opportunities it
changed, closed or deleted and those whose account, owner or owner's role it changed (on all
of them after a full load or a change of the org's zone);
the clock tick and the evaluation clock (every DEALPULSE_EVALUATION_INTERVAL_SECONDS and just
after the org's midnight), on all of them; a write dealpulse makes, on what it touched
(RequestContext.evaluate). A steady pass writes little: health only where it changed, alert
messages only where they changed (on the clock, the ones that read the clock or a fact, once
a day; on a sync, those of the records it brought).

Blocking: async callers run it in a worker thread; `services.orgs.OrgRefresher.evaluate`
runs it under the org's pass lock (two passes of an org must not interleave their writes).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from time import perf_counter
from typing import Protocol

from sqlalchemy import Engine

from rules.catalog import rule_catalog
from rules.fact_registry import Moment
from rules.formula.bulk_frame import BulkFrame
from rules.lifecycle import Change, Transition
from rules.time_zones import local_date, org_time_zone
from services.alert_events import AlertBroker, publish_stored_events
from services.evaluation_formulas import (
    RuleOutcome,
    Unevaluable,
    compile_formulas,
    evaluate_compiled,
)
from services.evaluation_rows import row_steps
from services.evaluation_steps import ROWS_PASS, PassInput
from services.evaluation_tables import table_steps
from store.evaluation_frame import load_evaluation_frame
from store.evaluation_state import (
    OPPORTUNITY,
    EvaluationState,
    alert_messages,
    ended_opportunities,
    load_evaluation_state,
)
from store.evaluation_writes import AlertChange, EvaluationWrites, RuleHealthUpdate, save_evaluation

# Changes that (re)render the alert's message from the rule's current version.
RENDERED = (Change.PEND, Change.OPEN, Change.REOPEN, Change.REPOINT)


@dataclass(frozen=True)
class EvaluationReport:
    org_id: str
    rules_evaluated: int
    alerts_opened: int
    alerts_resolved: int
    # OPEN alerts on the opportunities evaluated, after the pass (a full pass: of the org).
    alerts_open: int
    milestones_completed: int
    milestones_uncompleted: int
    errors: dict[str, str] = field(default_factory=dict)  # rule (or milestone) id -> why
    seconds: float = 0.0
    opportunities_evaluated: int = 0


class Evaluate(Protocol):
    """An evaluation pass of one org, as `services.orgs.OrgRefresher.evaluate` runs it (under
    the org's pass lock): what the request context calls after a write."""

    def __call__(
        self,
        org_id: str,
        *,
        opportunity_ids: Collection[str] | None = None,
        rule_ids: Collection[str] | None = None,
        now: datetime | None = None,
    ) -> EvaluationReport: ...


STAGE = "StageName"


def _stage_names(frame: BulkFrame) -> list[str | None]:
    if STAGE not in frame.frame.columns:
        return [None] * frame.height
    return [name or None for name in frame.frame.get_column(STAGE).to_list()]


def _catalog(state: EvaluationState) -> dict[str, str]:
    related = {name: d for name, d in state.describes.items() if name != OPPORTUNITY}
    return rule_catalog(state.describes.get(OPPORTUNITY, {"fields": []}), related)


def _rule_error(outcome: RuleOutcome | Unevaluable) -> tuple[str | None, int]:
    """The rule health of a rule's outcome: its error (if any) and its #Error! row count."""
    if isinstance(outcome, Unevaluable):
        return str(outcome), 0
    return outcome.condition.summary, len(outcome.condition.failed_rows)


def _changes(
    transitions: Sequence[Transition],
    outcomes: Mapping[str, RuleOutcome | Unevaluable],
    rows: Mapping[str, int],
) -> list[AlertChange]:
    changes = []
    for t in transitions:
        outcome = outcomes.get(t.rule_id)
        message = None
        if t.change in RENDERED and isinstance(outcome, RuleOutcome) and t.opportunity_id in rows:
            message = outcome.render(rows[t.opportunity_id])
        changes.append(AlertChange(t, message))
    return changes


def _rerendered(
    outcomes: Mapping[str, RuleOutcome | Unevaluable],
    opportunity_ids: Collection[str] | None,
    *,
    new_day: bool,
) -> frozenset[str]:
    """The rules whose live alerts no transition touched get their message rendered anew
    (kept where it changed): on a pass over some opportunities, every rule's; on a pass over
    every opportunity (the clock's: changed records are evaluated by the sync pass that
    brought them), only those whose message moves with time (it reads the clock or a fact,
    which count days), once the org's day has changed since its last full pass."""
    return frozenset(
        rule_id
        for rule_id, outcome in outcomes.items()
        if isinstance(outcome, RuleOutcome)
        and (opportunity_ids is not None or (new_day and outcome.moves_with_time))
    )


def _changed_messages(
    engine: Engine,
    org_id: str,
    rendered: Mapping[str, str],
    rule_ids: Collection[str],
    opportunity_ids: Collection[str] | None,
) -> dict[str, str]:
    if not rendered:
        return {}
    stored = alert_messages(engine, org_id, rule_ids=rule_ids, opportunity_ids=opportunity_ids)
    return {alert_id: text for alert_id, text in rendered.items() if stored.get(alert_id) != text}


def evaluate_org(
    engine: Engine,
    org_id: str,
    *,
    opportunity_ids: Collection[str] | None = None,
    rule_ids: Collection[str] | None = None,
    now: datetime | None = None,
    events: AlertBroker | None = None,
) -> EvaluationReport:
    """Evaluate `rule_ids` (None: every active rule) and every formula milestone over
    `opportunity_ids` (None: every open opportunity of the org; closed and deleted ones among
    them get their alerts resolved and their health frozen or removed), at `now`. The alert
    changes it stored are published to `events` once committed (live updates)."""
    started = perf_counter()
    now = now or datetime.now(UTC)
    ids_asked = None if opportunity_ids is None else sorted(set(opportunity_ids))
    state = load_evaluation_state(engine, org_id, ids_asked)
    tz = org_time_zone(state.time_zone)
    catalog = _catalog(state)
    chosen = [r for r in state.rules if rule_ids is None or r.id in set(rule_ids)]
    compiled = compile_formulas(chosen, state.formulas, catalog)
    # Only what the formulas read, and the stage (which milestones apply).
    references = compiled.references | ({STAGE} if STAGE in catalog else set())
    loaded = load_evaluation_frame(
        engine, org_id, catalog, Moment(now, tz), references=references,
        opportunity_ids=ids_asked,
    )  # fmt: skip
    formulas = evaluate_compiled(compiled, loaded.frame, now, tz)
    rerendered = _rerendered(
        formulas.rules, ids_asked, new_day=state.last_local_date != local_date(now, tz)
    )
    # closed, deleted: among those asked for, or those with alerts or health not found open
    ended = state.not_among(loaded.ids) if ids_asked is None else ids_asked
    closed, deleted = ended_opportunities(engine, org_id, ended)
    pass_ = PassInput(
        state, chosen, formulas.rules, formulas.milestones, loaded.ids,
        _stage_names(loaded.frame), now, rerendered, closed, deleted,
    )  # fmt: skip
    steps = row_steps(pass_) if len(loaded.ids) <= ROWS_PASS else table_steps(pass_)
    rule_health = [RuleHealthUpdate(r.id, *_rule_error(formulas.rules[r.id])) for r in chosen]
    # Rule health is a full pass's: a pass over a few deals cannot say how many of all the
    # open ones a rule could not evaluate; it records only a rule that failed as a whole.
    stored_health = [
        update for update in rule_health
        if ids_asked is None or isinstance(formulas.rules[update.rule_id], Unevaluable)
    ]  # fmt: skip
    full = opportunity_ids is None and rule_ids is None
    rows = {opportunity_id: row for row, opportunity_id in enumerate(loaded.ids)}
    writes = EvaluationWrites(
        now=now,
        alerts=_changes(steps.transitions, formulas.rules, rows),
        messages=_changed_messages(engine, org_id, steps.rendered, rerendered, ids_asked),
        completed=steps.completed,
        uncompleted=steps.uncompleted,
        health=steps.health,
        frozen_ids=closed,
        deleted_ids=deleted,
        rule_health=stored_health,
        local_date=local_date(now, tz) if full else None,
    )
    stored_events = save_evaluation(engine, org_id, writes)
    publish_stored_events(engine, org_id, stored_events, events)
    errors = {r.rule_id: r.error for r in rule_health if r.error is not None}
    errors |= {m: str(o) for m, o in formulas.milestones.items() if isinstance(o, Unevaluable)}
    kinds = Counter(t.change for t in steps.transitions)
    return EvaluationReport(
        org_id=org_id,
        rules_evaluated=sum(1 for r in chosen if isinstance(formulas.rules[r.id], RuleOutcome)),
        alerts_opened=kinds[Change.OPEN],
        alerts_resolved=kinds[Change.RESOLVE],
        alerts_open=steps.open_alerts,
        milestones_completed=len(steps.completed),
        milestones_uncompleted=len(steps.uncompleted),
        errors=errors,
        seconds=perf_counter() - started,
        opportunities_evaluated=len(loaded.ids),
    )
