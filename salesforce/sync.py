"""Full and incremental sync of one org into its mirror.

For each object of `salesforce.sync_objects.object_specs` (the Organization record, roles,
users, accounts, opportunities, their history, field history, competitors, tasks, events), the
first page of up to five objects' queries comes in one Composite call (`composite_batches`:
the five HOT_OBJECTS first, then the other five), the following pages one call each:

- **First sync** (no watermark): every live row, with `query`.
- **Incremental**: rows with `modstamp_field > watermark - overlap`, through `queryAll` for
  objects with IsDeleted, so deletions arrive in the same call (as rows with IsDeleted = true,
  stored with `is_deleted`; reads filter them out). When nothing changed a pass costs two API
  calls and no describe (the describe and stages are persisted in the store and reused;
  `refresh_metadata()` reads them again); a hot pass (`objects=HOT_OBJECTS`) costs one.
- Each page is upserted in its own transaction. Upserts are idempotent, so the overlap and a
  repeated page never double anything.
- The **watermark** of an object is the later of the newest modstamp received and Salesforce's
  own clock when it answered the first page (its HTTP `Date`), so a quiet org's next pass asks
  only for the last `overlap` before that answer, not for every row that shares an old
  timestamp (a bulk update stamps thousands of rows alike). It moves only after all the
  object's pages are committed: a pass that fails or is killed half-way leaves the mirror
  consistent and the failing object's watermark where it was; the next pass fetches that
  object again from there. The overlap covers transactions that commit after they stamp.

`SyncState` keeps per object: watermark, last_success_at, last_attempt_at, last_error (no
secrets: gateway messages only) and records_synced; the `_org` row's last_success_at is when
the last complete pass started (the mirror is at least that fresh).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from salesforce.errors import GatewayError
from salesforce.gateway import MAX_COMPOSITE_QUERIES, Gateway
from salesforce.soql import since
from salesforce.sync_objects import ObjectSpec, object_specs, sf_datetime, stage_row
from store.mirror import ORG_PASS, Mirror

DEFAULT_OVERLAP = timedelta(minutes=2)
OPPORTUNITY = "Opportunity"
# What a request-time sync refreshes, in ONE composite API call: the opportunities and what
# their derived facts and alerts read. The Organization record, users, roles, accounts and
# tasks (Opportunity's own LastActivityDate covers completed tasks) follow with every full
# pass, the background loop and `dealpulse sync`, in one more composite call.
HOT_OBJECTS = (
    "Opportunity",
    "OpportunityHistory",
    "OpportunityFieldHistory",
    "OpportunityCompetitor",
    "Event",
)
# Called after each committed page: (sobject, page number from 1, records in the page).
PageHook = Callable[[str, int, int], None]


@dataclass
class SyncReport:
    """What one pass did. Filled as the pass goes, so a failed pass still tells what it did."""

    org_id: str
    started_at: datetime
    finished_at: datetime | None = None
    counts: dict[str, int] = field(default_factory=dict)  # records received per object
    deleted: dict[str, int] = field(default_factory=dict)  # of which deletions
    pages: dict[str, int] = field(default_factory=dict)
    full: dict[str, bool] = field(default_factory=dict)  # object loaded in full (first sync)
    # Optional objects Salesforce refused this pass (see ObjectSpec.optional): the error.
    skipped: dict[str, str] = field(default_factory=dict)
    changed_opportunity_ids: set[str] = field(default_factory=set)
    deleted_opportunity_ids: set[str] = field(default_factory=set)
    # Ids of the changed records formulas read through opportunities (Account, User, UserRole;
    # ObjectSpec.read_through_opportunities), by sObject.
    changed_related_ids: dict[str, set[str]] = field(default_factory=dict)
    api_calls: int = 0
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.finished_at is not None and self.error is None


def safe_error(exc: BaseException) -> str:
    """A message fit for SyncState.last_error: the gateway's own text (secret-free by
    construction), or only the exception type for anything else."""
    if isinstance(exc, GatewayError):
        return f"{type(exc).__name__}: {exc}"[:1000]
    return type(exc).__name__


class MirrorSync:
    """Syncs one org (a Gateway) into its Mirror. Not re-entrant: one pass at a time per org."""

    def __init__(
        self,
        gateway: Gateway,
        mirror: Mirror,
        *,
        overlap: timedelta = DEFAULT_OVERLAP,
        on_page: PageHook | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.gateway = gateway
        self.mirror = mirror
        self.overlap = overlap
        self.on_page = on_page
        self.clock = clock

    # -- metadata -------------------------------------------------------------------------------
    def refresh_metadata(self) -> dict[str, Any]:
        """Read the Opportunity describe and the stages again and persist them (2 API calls)."""
        self.gateway.refresh_metadata()
        return self._fetch_metadata()

    def _fetch_metadata(self) -> dict[str, Any]:
        describe = self.gateway.describe(OPPORTUNITY, refresh=True)
        self.mirror.save_catalog(OPPORTUNITY, describe, self.clock())
        self.mirror.save_stages([stage_row(r) for r in self.gateway.stages(refresh=True)])
        return describe

    def opportunity_describe(self) -> dict[str, Any]:
        """The persisted describe (primed into the gateway's cache), else fetched and saved."""
        describe = self.mirror.load_catalog(OPPORTUNITY)
        if describe is None or not self.mirror.load_stages():
            return self._fetch_metadata()
        self.gateway.prime_describe(OPPORTUNITY, describe)
        return describe

    # -- the pass -------------------------------------------------------------------------------
    def run(
        self, report: SyncReport | None = None, *, objects: Collection[str] | None = None
    ) -> SyncReport:
        """One pass over every object (or only `objects`, e.g. HOT_OBJECTS). Raises what failed
        (a GatewayError, usually) after recording it; `report` (pass your own to read it after
        a failure) is filled as we go."""
        report = report or SyncReport(org_id=self.mirror.org_id, started_at=self.clock())
        calls_before = self.gateway.api_calls
        try:
            describe = self.opportunity_describe()
            states = self.mirror.sync_states()
            specs = [s for s in object_specs(describe) if objects is None or s.sobject in objects]
            for batch in composite_batches(specs):
                watermarks = {
                    s.sobject: None
                    if states.get(s.sobject) is None
                    else states[s.sobject].watermark
                    for s in batch
                }
                self._sync_batch(batch, watermarks, report)
            report.finished_at = self.clock()
            self.mirror.record_success(
                ORG_PASS, watermark=None, records=sum(report.counts.values()),
                at=report.started_at,
            )  # fmt: skip
        except BaseException as exc:
            report.error = safe_error(exc)
            self.mirror.record_failure(ORG_PASS, error=report.error, at=report.started_at)
            raise
        finally:
            report.api_calls = self.gateway.api_calls - calls_before
        return report

    def _sync_batch(
        self,
        batch: list[ObjectSpec],
        watermarks: dict[str, datetime | None],
        report: SyncReport,
    ) -> None:
        """Fetch the first page of every object of `batch` in one composite call, then each
        object's remaining pages; commit page by page, move each watermark at its end."""
        started = self.clock()
        queries: list[tuple[str, bool]] = []
        optional = {number for number, spec in enumerate(batch) if spec.optional}
        for spec in batch:
            self.mirror.record_attempt(spec.sobject, started)
            watermark = watermarks[spec.sobject]
            after = None if watermark is None else watermark - self.overlap
            soql = since(
                spec.sobject, spec.fields, modstamp_field=spec.modstamp_field, after=after,
                extra_where=spec.extra_where,
            )  # fmt: skip
            queries.append((soql, after is not None and spec.has_is_deleted))
            report.full[spec.sobject] = watermark is None
        try:
            first_pages = self.gateway.first_pages(queries, optional=optional)
            answered_at = self.gateway.server_time
        except BaseException as exc:
            for spec in batch:
                self.mirror.record_failure(spec.sobject, error=safe_error(exc), at=started)
            raise
        for spec, first in zip(batch, first_pages, strict=True):
            if isinstance(first, GatewayError):  # an optional object Salesforce refused
                reason = safe_error(first)
                report.skipped[spec.sobject] = reason
                self.mirror.record_failure(spec.sobject, error=reason, at=started)
                continue
            self._sync_object(spec, watermarks[spec.sobject], first, report, started, answered_at)

    def _sync_object(
        self,
        spec: ObjectSpec,
        watermark: datetime | None,
        first_page: dict[str, Any],
        report: SyncReport,
        started: datetime,
        answered_at: datetime | None,
    ) -> None:
        newest = watermark
        received = 0
        try:
            for number, page in enumerate(self.gateway.pages_from(first_page), start=1):
                rows = [spec.to_row(record) for record in page]
                self.mirror.upsert(spec.model, rows)
                received += len(rows)
                report.counts[spec.sobject] = report.counts.get(spec.sobject, 0) + len(rows)
                report.pages[spec.sobject] = number
                gone = sum(1 for r in page if r.get("IsDeleted"))
                report.deleted[spec.sobject] = report.deleted.get(spec.sobject, 0) + gone
                for record in page:
                    stamp = sf_datetime(record.get(spec.modstamp_field))
                    if stamp is not None and (newest is None or stamp > newest):
                        newest = stamp
                    if spec.read_through_opportunities and isinstance(record.get("Id"), str):
                        report.changed_related_ids.setdefault(spec.sobject, set()).add(record["Id"])
                    if spec.opportunity_key:
                        opp_id = record.get(spec.opportunity_key)
                        if isinstance(opp_id, str) and opp_id.startswith("006"):
                            report.changed_opportunity_ids.add(opp_id)
                            if spec.sobject == OPPORTUNITY and record.get("IsDeleted"):
                                report.deleted_opportunity_ids.add(opp_id)
                if self.on_page is not None:
                    self.on_page(spec.sobject, number, len(rows))
        except BaseException as exc:
            self.mirror.record_failure(spec.sobject, error=safe_error(exc), at=started)
            raise
        report.counts.setdefault(spec.sobject, 0)
        if answered_at is not None and (newest is None or answered_at > newest):
            newest = answered_at
        self.mirror.record_success(spec.sobject, watermark=newest, records=received, at=started)


def composite_batches(specs: list[ObjectSpec]) -> list[list[ObjectSpec]]:
    """The objects grouped for composite calls: the hot objects together first (one API call
    when nothing is paged), then the others, at most MAX_COMPOSITE_QUERIES a call."""
    hot = [s for s in specs if s.sobject in HOT_OBJECTS]
    cold = [s for s in specs if s.sobject not in HOT_OBJECTS]
    size = MAX_COMPOSITE_QUERIES
    return [group[i : i + size] for group in (hot, cold) for i in range(0, len(group), size)]


def sync_org(
    gateway: Gateway,
    mirror: Mirror,
    *,
    report: SyncReport | None = None,
    on_page: PageHook | None = None,
    overlap: timedelta = DEFAULT_OVERLAP,
    objects: Collection[str] | None = None,
) -> SyncReport:
    """One sync pass of `mirror.org_id` through `gateway` (see MirrorSync.run)."""
    return MirrorSync(gateway, mirror, overlap=overlap, on_page=on_page).run(
        report, objects=objects
    )
