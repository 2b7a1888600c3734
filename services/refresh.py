"""The mirror refresh pipeline: one incremental sync of an org, then the derived facts of the
opportunities it changed (all of them after a first, full load, and when the org's
Organization record arrives or changes: its time zone is the one the facts' dates are in).

Called through `services.passes` (the sync pass and the clock tick), which the CLI, the
scheduler of `dealpulse serve` and the request-time freshness check run. Everything here
blocks: async callers run it in a worker thread.

If the sync fails half-way, the facts of the opportunities it already changed are still
refreshed (their rows are committed and their watermark may have moved), then the error is
raised again.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any

from sqlalchemy import Engine

from rules.fact_registry import Moment, StoredInputs, stored_values
from rules.facts import (
    ActivityEntry,
    FieldChange,
    HistoryEntry,
    OpportunitySnapshot,
    StageInfo,
    parse_date,
    parse_datetime,
)
from rules.time_zones import org_time_zone
from salesforce.gateway import Gateway
from salesforce.sync import PageHook, SyncReport, sync_org
from services.evaluation import EvaluationReport
from store.mirror import READ_CHUNK, FactInputs, Mirror, OpportunityFactRow


@dataclass(frozen=True)
class RefreshResult:
    sync: SyncReport
    facts_refreshed: int
    # The evaluation of what the pass changed (services.passes.sync_pass); None when nothing
    # changed, or the evaluation failed.
    evaluation: EvaluationReport | None = None


def _snapshot(row: OpportunityFactRow) -> OpportunitySnapshot:
    return OpportunitySnapshot(
        id=row.id,
        stage_name=row.stage_name,
        amount=row.amount,
        close_date=row.close_date,
        created_date=row.created_date,
        last_stage_change_date=parse_datetime(row.last_stage_change_date),
        last_activity_date=parse_date(row.last_activity_date),
        next_meeting_date=parse_date(row.next_meeting_date),
    )


def _fact_rows(
    inputs: FactInputs, stages: Sequence[StageInfo], now: datetime, tz: tzinfo
) -> list[dict[str, Any]]:
    rows = []
    moment = Moment(now, tz)
    for opp in inputs.opportunities:
        history = [
            HistoryEntry(h.id, h.created_date, h.stage_name, h.amount, h.close_date)
            for h in inputs.history.get(opp.id, ())
            if h.created_date is not None
        ]
        changes = [
            FieldChange(c.id, c.created_date, c.field, c.old_value, c.new_value)
            for c in inputs.close_date_changes.get(opp.id, ())
            if c.created_date is not None
        ]
        activities = [
            ActivityEntry(a.kind, a.activity_date, a.start_datetime, a.is_closed)
            for a in inputs.activities.get(opp.id, ())
        ]
        opp_inputs = StoredInputs(_snapshot(opp), history, changes, activities, stages, moment)
        rows.append({"opportunity_id": opp.id, **stored_values(opp_inputs), "computed_at": now})
    return rows


def refresh_facts(
    engine: Engine,
    org_id: str,
    opportunity_ids: Sequence[str] | None = None,
    *,
    now: datetime | None = None,
) -> int:
    """Recompute and store DerivedFacts for `opportunity_ids` (None: every live opportunity of
    the org, e.g. on a daily clock tick), their dates in the org's time zone. 2 queries (stages,
    time zone) + 4 per 500 opportunities + the upserts. Returns how many opportunities got
    facts."""
    mirror = Mirror(engine, org_id)
    now = now or datetime.now(UTC)
    tz = org_time_zone(mirror.time_zone())
    ids = list(opportunity_ids) if opportunity_ids is not None else mirror.opportunity_ids()
    stages = [
        StageInfo(s.api_name, s.sort_order, s.is_active, s.is_closed) for s in mirror.load_stages()
    ]
    done = 0
    for start in range(0, len(ids), READ_CHUNK):
        inputs = mirror.load_fact_inputs(ids[start : start + READ_CHUNK])
        rows = _fact_rows(inputs, stages, now, tz)
        mirror.save_facts(rows)
        done += len(rows)
    return done


def refresh_org(
    engine: Engine,
    gateway: Gateway,
    org_id: str,
    *,
    now: datetime | None = None,
    on_page: PageHook | None = None,
    objects: Collection[str] | None = None,
) -> RefreshResult:
    """Sync `org_id` incrementally (in full the first time), then refresh the derived facts of
    what changed. `objects` limits the pass (HOT_OBJECTS: the request-time pass, one API call);
    an org never synced in full gets a full pass whatever `objects` says. Raises the sync's
    error (a salesforce.errors.GatewayError, usually) after refreshing the facts of what it
    had already committed."""
    mirror = Mirror(engine, org_id)
    if mirror.synced_at() is None:
        objects = None
    # Before a pass that mirrors the Organization record: a new time zone moves stored dates.
    zone_before = mirror.time_zone() if objects is None or "Organization" in objects else None
    report = SyncReport(org_id=org_id, started_at=datetime.now(UTC))
    try:
        sync_org(gateway, mirror, report=report, on_page=on_page, objects=objects)
    finally:
        refreshed = _refresh_changed(engine, mirror, report, now, zone_before)
    return RefreshResult(report, refreshed)


def _refresh_changed(
    engine: Engine,
    mirror: Mirror,
    report: SyncReport,
    now: datetime | None,
    zone_before: str | None,
) -> int:
    if report.deleted_opportunity_ids:
        mirror.delete_facts(sorted(report.deleted_opportunity_ids))
    # The Organization record came (it comes again within the overlap): did the zone move?
    zone_moved = bool(report.counts.get("Organization")) and mirror.time_zone() != zone_before
    if report.full.get("Opportunity") or zone_moved:
        return refresh_facts(engine, mirror.org_id, None, now=now)
    changed = sorted(report.changed_opportunity_ids - report.deleted_opportunity_ids)
    return refresh_facts(engine, mirror.org_id, changed, now=now) if changed else 0
