"""The org-level passes, as plain blocking functions of an org: what the scheduler of
`dealpulse serve`, the CLI and the request-time freshness check run (a job queue can run them
later). One pass of an org at a time is the caller's job (`services.orgs.OrgRefresher` holds
the org's pass lock around each).

- `sync_pass`: sync (incremental; in full the first time), then the derived facts of what
  changed, then evaluation (the next issue). `hot=True` is the request-time variant: the
  HOT_OBJECTS only, one API call when little changed.
- `clock_tick`: time moves with no record change, so the time-dependent stored facts of every
  open opportunity are recomputed (then, next issue, the time-based rules evaluated). No
  Salesforce call.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine

from salesforce.gateway import Gateway
from salesforce.sync import HOT_OBJECTS, PageHook
from services.refresh import RefreshResult, refresh_facts, refresh_org
from store.mirror import Mirror


def sync_pass(
    engine: Engine,
    gateway: Gateway,
    org_id: str,
    *,
    hot: bool = False,
    on_page: PageHook | None = None,
    now: datetime | None = None,
) -> RefreshResult:
    """One sync pass of `org_id`. Raises the sync's error (a GatewayError, usually) after
    refreshing the facts of what it had already committed (see `refresh_org`)."""
    objects = HOT_OBJECTS if hot else None
    result = refresh_org(engine, gateway, org_id, now=now, on_page=on_page, objects=objects)
    # EVALUATION (next issue) goes here: rules and milestones over the opportunities this
    # pass changed (result.sync.changed_opportunity_ids; every one after a full load), then
    # the alert transitions.
    return result  # noqa: RET504 (the hook above goes between)


def clock_tick(engine: Engine, org_id: str, *, now: datetime | None = None) -> int:
    """Recompute the stored facts of every open opportunity of `org_id` at `now` (last
    activity and next meeting move when a meeting happens). Returns how many got facts."""
    open_ids = Mirror(engine, org_id).opportunity_ids(open_only=True)
    refreshed = refresh_facts(engine, org_id, open_ids, now=now) if open_ids else 0
    # TIME-BASED EVALUATION (next issue) goes here: the rules whose conditions depend on the
    # clock (TODAY(), NOW(), day counts), over the open opportunities.
    return refreshed  # noqa: RET504 (the hook above goes between)
