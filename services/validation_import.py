"""Import the org's Opportunity validation rules as FIX_REQUIRED alert rules, then evaluate them.

Each active validation rule (salesforce: one Tooling API query for the list, one per rule for
its formula) is converted by `rules.validation_import.imported_rule` and reported as:

- IMPORTED: first seen; a new rule of origin VALIDATION_RULE, severity HIGH, whose `source_id`
  is the validation rule's id and `source_digest` the digest of what was imported;
- UPDATED: the validation rule changed in Salesforce since (its digest differs): the imported
  parts (name, condition, message, fix fields) are written as a new version; what an admin set
  in dealpulse (severity, recommendation, hold time, active) is kept;
- UNCHANGED: same digest, nothing written (an admin's edits in dealpulse stay as they are);
- SKIPPED: it cannot run continuously, with the reason. A rule imported earlier whose
  validation rule became unimportable is kept as it was (the reason says so), and so is a
  retired one whose validation rule changed: retiring it was an admin's decision.

A rule imported earlier (origin VALIDATION_RULE, not retired) whose validation rule is no
longer among the active ones (deactivated or deleted in Salesforce) is retired, as
retireAlertRule retires it (store.alert_rules.retire_rule, then an evaluation that resolves its
alerts RULE_RETIRED): Salesforce no longer enforces it, so dealpulse stops alerting on it. It is
reported SKIPPED ("no longer active in Salesforce..."), after the active ones, by name; its
`name` is the API name its dealpulse name was made from (`validation_name`: spaces back to
underscores; if an admin renamed the rule in dealpulse, that name). MANUAL and RECOMMENDED
rules are never touched.

Re-running is idempotent: a second import reports every active rule UNCHANGED or SKIPPED and
writes nothing; a rule it retired is retired already, so it is not reported again (retired
rules are left alone). The imported, updated and retired rules are then evaluated over every
open opportunity (by default `services.evaluation.evaluate_org`; the API passes the org
refresher's entry point, which holds the org's pass lock; a caller that evaluates everything
next can skip it).

The formula catalog and the Opportunity describe are the ones the mirror stored at its last
sync (what evaluation compiles against), or the gateway's describe before the first sync.
Blocking: async callers run it in a worker thread.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any, Protocol

from sqlalchemy import Engine

from rules.process import RuleOrigin
from rules.validation_import import (
    ImportDraft,
    Skip,
    ValidationRuleRecord,
    imported_rule,
    validation_name,
)
from services.evaluation import EvaluationReport, evaluate_org
from services.org_catalog import OPPORTUNITY, org_catalog
from store.alert_rules import create_rule, list_rules, retire_rule, update_rule
from store.process_models import AlertRule


class ImportOutcome(Enum):
    IMPORTED = "IMPORTED"
    UPDATED = "UPDATED"
    UNCHANGED = "UNCHANGED"
    SKIPPED = "SKIPPED"


@dataclass(frozen=True)
class ImportResult:
    name: str  # the validation rule's API name, as Salesforce admins know it
    outcome: ImportOutcome
    reason: str | None = None  # why it was skipped
    rule_id: str | None = None  # the dealpulse rule it is (or was earlier) imported as
    retired: bool = False  # this import retired that rule: its alerts are to be resolved


RETIRED_REASON = "no longer active in Salesforce: its alert rule was retired"


def evaluated_rule_ids(results: list[ImportResult]) -> list[str]:
    """The rules an import wrote (imported, updated or retired): those to evaluate now."""
    written = (ImportOutcome.IMPORTED, ImportOutcome.UPDATED)
    return [r.rule_id for r in results if r.rule_id and (r.outcome in written or r.retired)]


class ValidationRuleReader(Protocol):
    """What the import needs of the org's Salesforce gateway (salesforce.gateway.Gateway)."""

    def validation_rules(self, sobject: str = OPPORTUNITY) -> list[ValidationRuleRecord]: ...

    def describe(self, sobject: str, *, refresh: bool = False) -> dict[str, Any]: ...


class Evaluate(Protocol):
    """An evaluation entry point of an org (services.orgs.OrgRefresher's, under the org's pass
    lock, or evaluate_org bound to an engine)."""

    def __call__(
        self, org_id: str, *, rule_ids: Collection[str] | None = None, now: datetime | None = None
    ) -> EvaluationReport: ...


# The parts of a rule that come from Salesforce (a re-import writes them)...
IMPORTED_FIELDS = ("name", "condition", "message", "fix_fields")
# ...and those set once, at the first import (an admin may change them in dealpulse).
INITIAL_FIELDS = ("kind", "severity", "recommendation", "hold_seconds")


def _imported_values(converted: ImportDraft) -> dict[str, Any]:
    values = {name: getattr(converted.draft, name) for name in IMPORTED_FIELDS}
    return {**values, "source_digest": converted.digest}


def _new_rule_values(converted: ImportDraft) -> dict[str, Any]:
    return {
        **_imported_values(converted),
        **{name: getattr(converted.draft, name) for name in INITIAL_FIELDS},
        "origin": RuleOrigin.VALIDATION_RULE,
        "source_id": converted.source_id,
    }


def _skipped(record: ValidationRuleRecord, reason: str, existing: AlertRule | None) -> ImportResult:
    if existing is not None:
        reason += f"; the rule imported from it earlier ({existing.name!r}) is kept as it was"
    return ImportResult(
        record.name, ImportOutcome.SKIPPED, reason, existing.id if existing else None
    )


def _import_one(
    engine: Engine,
    org_id: str,
    record: ValidationRuleRecord,
    converted: ImportDraft | Skip,
    existing: AlertRule | None,
    author_id: str | None,
    now: datetime,
) -> ImportResult:
    if isinstance(converted, Skip):
        return _skipped(record, converted.reason, existing)
    if existing is None:
        rule = create_rule(engine, org_id, _new_rule_values(converted), author_id, now)
        return ImportResult(record.name, ImportOutcome.IMPORTED, rule_id=rule.id)
    if existing.source_digest == converted.digest:
        return ImportResult(record.name, ImportOutcome.UNCHANGED, rule_id=existing.id)
    values = _imported_values(converted)
    updated = None
    if existing.retired_at is None:
        updated = update_rule(engine, org_id, existing.id, values, author_id, now)
    if updated is None:  # retired in dealpulse (now or meanwhile): an admin's decision
        reason = "it changed in Salesforce, but the rule imported from it was retired in dealpulse"
        return ImportResult(record.name, ImportOutcome.SKIPPED, reason, existing.id)
    return ImportResult(record.name, ImportOutcome.UPDATED, rule_id=updated.id)


def _retire_gone(
    engine: Engine,
    org_id: str,
    imported: list[AlertRule],
    active_ids: set[str],
    author_id: str | None,
    now: datetime,
) -> list[ImportResult]:
    """Retire the live imported rules whose validation rule is not among `active_ids`."""
    results = []
    for rule in imported:
        live_import = rule.origin == RuleOrigin.VALIDATION_RULE.value and rule.retired_at is None
        if not live_import or rule.source_id is None or rule.source_id in active_ids:
            continue
        retired = retire_rule(engine, org_id, rule.id, author_id, now)
        if retired is None:  # retired meanwhile, by an admin: nothing of this import's
            continue
        results.append(
            ImportResult(
                validation_name(rule.name), ImportOutcome.SKIPPED, RETIRED_REASON, rule.id,
                retired=True,
            )
        )  # fmt: skip
    return results


def import_validation_rules(
    engine: Engine,
    gateway: ValidationRuleReader,
    org_id: str,
    author_id: str | None,
    now: datetime,
    *,
    evaluate: Evaluate | None = None,
    then_evaluate: bool = True,
) -> list[ImportResult]:
    """Import the org's active Opportunity validation rules (see the module docstring), one
    result per rule in the order Salesforce lists them (by name); then, unless
    `then_evaluate` is false, evaluate the imported and updated rules with `evaluate` (None:
    services.evaluation.evaluate_org on `engine`)."""
    records = gateway.validation_rules(OPPORTUNITY)
    known = org_catalog(engine, org_id)
    if known.opportunity_describe is None:  # not synced yet
        known = org_catalog(engine, org_id, describe=gateway.describe(OPPORTUNITY))
    catalog, describe = known.catalog, known.opportunity_describe or {}
    rules = list_rules(engine, org_id, include_retired=True)  # by name
    imported = {rule.source_id: rule for rule in rules if rule.source_id is not None}
    results = []
    for record in records:
        converted = imported_rule(record, catalog, describe)
        existing = imported.get(record.id)
        results.append(_import_one(engine, org_id, record, converted, existing, author_id, now))
    active_ids = {record.id for record in records}
    results += _retire_gone(engine, org_id, rules, active_ids, author_id, now)
    changed = evaluated_rule_ids(results)
    if changed and then_evaluate:
        if evaluate is None:
            evaluate_org(engine, org_id, rule_ids=changed, now=now)
        else:
            evaluate(org_id, rule_ids=changed, now=now)
    return results


__all__ = [
    "Evaluate",
    "ImportOutcome",
    "ImportResult",
    "ValidationRuleReader",
    "evaluated_rule_ids",
    "import_validation_rules",
]
