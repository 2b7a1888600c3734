"""The org-level passes, as plain blocking functions of an org: what the scheduler of
`dealpulse serve`, the CLI and the request-time freshness check run (a job queue can run them
later). One pass of an org at a time is the caller's job (`services.orgs.OrgRefresher` holds
the org's pass lock around each).

- `sync_pass`: sync (incremental; in full the first time), then the derived facts of what
  changed, then the evaluation of what changed (rules, formula milestones, health; closed
  and deleted deals resolve their alerts) and of the open deals whose account, owner or
  owner's role changed (formulas read them: Account.Industry), of everything after a full
  load or when the org's time zone moved. `hot=True` is the request-time variant: the
  HOT_OBJECTS only, one API call when little changed.
- `clock_tick`: time moves with no record change, so the time-dependent stored facts of every
  open opportunity are recomputed, then every open opportunity is evaluated. No Salesforce
  call.

An evaluation that crashes (a bug: a rule that cannot be evaluated is recorded as its error,
not raised) is logged, and the pass's sync stands: the next pass evaluates again.

Every evaluation here and in services.orgs runs through `evaluate_retrying`: the pass lock is
per process, so a `dealpulse evaluate` beside a `dealpulse serve` can open the same alert as
the server's pass at the same time; the unique live-alert index (uq_alert_live) refuses the
second, whose pass rolls back whole. Run again, that pass reads the other's alerts and writes
what is still to write; a second refusal is a PassCollision that says so, not a traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import replace
from datetime import datetime

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from salesforce.gateway import Gateway
from salesforce.sync import HOT_OBJECTS, PageHook, safe_error
from services.alert_events import AlertBroker
from services.evaluation import EvaluationReport, evaluate_org
from services.refresh import RefreshResult, refresh_facts, refresh_org
from store.mirror import Mirror

logger = logging.getLogger(__name__)


class PassCollision(RuntimeError):
    """An evaluation pass refused twice by a unique index: another process kept writing the
    same rows. Its message is safe to show (no SQL, no values)."""


def evaluate_retrying(
    engine: Engine,
    org_id: str,
    *,
    opportunity_ids: Collection[str] | None = None,
    rule_ids: Collection[str] | None = None,
    now: datetime | None = None,
    events: AlertBroker | None = None,
) -> EvaluationReport:
    """services.evaluation.evaluate_org, run once more when a unique index refused one of its
    writes (the whole pass rolled back: nothing of it stands). PassCollision if it is refused
    again."""
    for attempt in (1, 2):
        try:
            return evaluate_org(
                engine, org_id, opportunity_ids=opportunity_ids, rule_ids=rule_ids, now=now,
                events=events,
            )  # fmt: skip
        except IntegrityError:
            if attempt == 2:
                break
            logger.warning(
                "evaluation of org %s collided with another process's pass (a unique index "
                "refused a write); running it again",
                org_id,
            )
    raise PassCollision(
        f"the evaluation of org {org_id} collided twice with another process evaluating it at "
        "the same time (a unique index refused its writes, so nothing of it was saved); the "
        "next pass evaluates it again"
    )


def pass_error(error: BaseException) -> str:
    """What to say of a failed pass: a collision in its own words, else safe_error's."""
    return str(error) if isinstance(error, PassCollision) else safe_error(error)


def _evaluate(
    engine: Engine,
    org_id: str,
    opportunity_ids: Collection[str] | None,
    now: datetime | None,
    events: AlertBroker | None,
) -> EvaluationReport | None:
    try:
        return evaluate_retrying(
            engine, org_id, opportunity_ids=opportunity_ids, now=now, events=events
        )
    except PassCollision as error:  # not a bug: no traceback
        logger.warning("%s", error)
        return None
    except Exception as error:
        logger.exception("evaluation of org %s failed: %s", org_id, safe_error(error))
        return None


def sync_pass(
    engine: Engine,
    gateway: Gateway,
    org_id: str,
    *,
    hot: bool = False,
    on_page: PageHook | None = None,
    now: datetime | None = None,
    events: AlertBroker | None = None,
) -> RefreshResult:
    """One sync pass of `org_id`. Raises the sync's error (a GatewayError, usually) after
    refreshing the facts of what it had already committed (see `refresh_org`)."""
    objects = HOT_OBJECTS if hot else None
    zone_before = Mirror(engine, org_id).time_zone()
    result = refresh_org(engine, gateway, org_id, now=now, on_page=on_page, objects=objects)
    report = result.sync
    changed = report.changed_opportunity_ids | report.deleted_opportunity_ids
    if report.full.get("Opportunity") or Mirror(engine, org_id).time_zone() != zone_before:
        return replace(result, evaluation=_evaluate(engine, org_id, None, now, events))
    # An account, owner or role that changed moves the formulas reading it through them.
    changed |= Mirror(engine, org_id).open_opportunities_reaching(report.changed_related_ids)
    if changed:
        return replace(result, evaluation=_evaluate(engine, org_id, changed, now, events))
    return result


def clock_tick(
    engine: Engine,
    org_id: str,
    *,
    now: datetime | None = None,
    events: AlertBroker | None = None,
) -> int:
    """Recompute the stored facts of every open opportunity of `org_id` at `now` (last
    activity and next meeting move when a meeting happens), then evaluate the org in full
    (TODAY() and day counts move with the clock). Returns how many got facts."""
    open_ids = Mirror(engine, org_id).opportunity_ids(open_only=True)
    refreshed = refresh_facts(engine, org_id, open_ids, now=now) if open_ids else 0
    _evaluate(engine, org_id, None, now, events)
    return refreshed
