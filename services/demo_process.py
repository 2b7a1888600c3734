"""The demo org's sales process, ready made: milestones, alert rules, the org's validation rules
imported, then a first evaluation, so the first query of `dealpulse demo` shows health and
alerts.

The definitions are data (`MILESTONES`: three global ones completed by formula and four stage
ones completed by hand; `RULES`: four that need a fix, two informative), written with the fact
names of rules.fact_registry (StageNumber, DaysInStage, DaysSinceLastActivity, CloseDatePushCount,
AgeInDays) and devorg's fields. Each is checked like an admin's (rules.definitions) against the
org's catalog before it is created through the store repositories; a definition that fails its
check is a bug in this file, raised as DemoDefinitionError. Idempotent: a definition whose name
the org already has (retired or not) is left alone, so a second run creates nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from rules.definitions import MilestoneDraft, Problem, RuleDraft, check_milestone, check_rule
from rules.process import AlertKind, MilestoneCompletionMode, RuleOrigin, Severity
from services.evaluation import EvaluationReport, evaluate_org
from services.org_catalog import OrgCatalog, org_catalog
from services.validation_import import (
    Evaluate,
    ImportResult,
    ValidationRuleReader,
    import_validation_rules,
)
from store.alert_rules import create_rule, list_rules
from store.milestones import create_milestone, list_milestones

FORMULA, MANUAL = MilestoneCompletionMode.FORMULA, MilestoneCompletionMode.MANUAL
FIX, INFO = AlertKind.FIX_REQUIRED, AlertKind.INFORMATIVE

MILESTONES: tuple[MilestoneDraft, ...] = (
    MilestoneDraft(
        "Decision maker identified", "The person who signs is named on the deal.", None, 2.0,
        FORMULA, "NOT(ISBLANK(Decision_Maker__c))",
    ),
    MilestoneDraft(
        "Budget confirmed", "The buyer confirmed the budget for this purchase.", None, 2.0,
        FORMULA, "Budget_Confirmed__c",
    ),
    MilestoneDraft(
        # Completed while the meeting lies ahead: a date that passes un-completes it.
        "Next meeting booked", "The next meeting with the buyer is on the calendar.", None, 1.0,
        FORMULA, "Next_Meeting_Date__c >= TODAY()",
    ),
    MilestoneDraft(
        "Discovery call held", "A call to learn the buyer's needs, goals and timeline.",
        "Qualification", 1.0, MANUAL,
    ),
    MilestoneDraft(
        "Success criteria agreed", "The buyer said what a successful purchase looks like.",
        "Needs Analysis", 1.0, MANUAL,
    ),
    MilestoneDraft(
        "Proposal sent", "The priced proposal is with the buyer.", "Proposal/Price Quote", 1.5,
        MANUAL,
    ),
    MilestoneDraft(
        "Mutual close plan agreed", "Buyer and seller agreed the steps and dates to signature.",
        "Negotiation/Review", 1.5, MANUAL,
    ),
)  # fmt: skip

RULES: tuple[RuleDraft, ...] = (
    RuleDraft(
        "Next meeting date is in the past", FIX, Severity.MEDIUM,
        "AND(NOT(ISBLANK(Next_Meeting_Date__c)), Next_Meeting_Date__c < TODAY())",
        "The next meeting of {!Name} was due on {!Next_Meeting_Date__c}: set the date of the "
        "next meeting.",
        fix_fields=("Next_Meeting_Date__c",),
    ),
    RuleDraft(
        "Close date in the past on an open deal", FIX, Severity.HIGH,
        "AND(NOT(IsClosed), CloseDate < TODAY())",
        "{!Name} was due to close on {!CloseDate}: move the close date, or close the deal.",
        fix_fields=("CloseDate",),
    ),
    RuleDraft(
        "Amount missing from stage 3 on", FIX, Severity.HIGH,
        "AND(StageNumber >= 3, ISBLANK(Amount))",
        "{!Name} is in {!TEXT(StageName)} without an amount: enter the deal's amount.",
        fix_fields=("Amount",),
    ),
    RuleDraft(
        # A deal never worked on counts from its creation.
        "No activity in 14 days", FIX, Severity.MEDIUM,
        "IF(ISBLANK(DaysSinceLastActivity), AgeInDays >= 14, DaysSinceLastActivity >= 14)",
        "Nothing has happened on {!Name} for 14 days or more: say what the next step is.",
        fix_fields=("NextStep",),
    ),
    RuleDraft(
        "Stuck in stage 3 for 30+ days on a high-value deal against a known competitor: "
        "recommend an executive visit", INFO, Severity.MEDIUM,
        "AND(StageNumber = 3, DaysInStage >= 30, Amount >= 100000, NOT(ISBLANK(Competitor__c)))",
        "{!Name} ({!Amount}) has been in {!TEXT(StageName)} for {!DaysInStage} days against "
        "{!TEXT(Competitor__c)}.",
        recommendation="Propose an executive visit: deals that stall this long against a "
        "competitor are mostly lost unless a sponsor on both sides steps in.",
    ),
    RuleDraft(
        "Close date pushed 3 or more times", INFO, Severity.LOW,
        "CloseDatePushCount >= 3",
        "The close date of {!Name} has moved {!CloseDatePushCount} times.",
        recommendation="Check the timeline with the buyer and agree a mutual close plan before "
        "moving the date again.",
    ),
)  # fmt: skip


class DemoDefinitionError(ValueError):
    """A ready-made definition fails the checks an admin's would (a bug in this module)."""


@dataclass(frozen=True)
class DemoProcessReport:
    milestones_created: list[str]  # names
    rules_created: list[str]
    imports: list[ImportResult]
    evaluation: EvaluationReport


def _raise_problems(name: str, problems: Sequence[Problem[Any]]) -> None:
    if problems:
        details = "; ".join(f"{p.field}: {p.message}" for p in problems)
        raise DemoDefinitionError(f"demo definition {name!r}: {details}")


def create_demo_milestones(
    engine: Engine, org_id: str, known: OrgCatalog, now: datetime
) -> list[str]:
    """The MILESTONES the org has none of the same name of, created in order; their names."""
    existing = {m.name for m in list_milestones(engine, org_id, include_retired=True)}
    created = []
    for draft in MILESTONES:
        if draft.name in existing:
            continue
        _raise_problems(draft.name, check_milestone(draft, known.catalog, known.open_stage_names))
        create_milestone(engine, org_id, asdict(draft), now)  # its fields are columns
        created.append(draft.name)
    return created


def create_demo_rules(
    engine: Engine, org_id: str, known: OrgCatalog, author_id: str | None, now: datetime
) -> list[str]:
    """The RULES the org has none of the same name of, created in order; their names."""
    existing = {r.name for r in list_rules(engine, org_id, include_retired=True)}
    describe = known.opportunity_describe or {"fields": []}
    created = []
    for draft in RULES:
        if draft.name in existing:
            continue
        _raise_problems(draft.name, check_rule(draft, known.catalog, describe))
        values = {**asdict(draft), "origin": RuleOrigin.MANUAL}  # its fields are columns
        create_rule(engine, org_id, values, author_id, now)
        created.append(draft.name)
    return created


def set_up_demo_process(
    engine: Engine,
    gateway: ValidationRuleReader,
    org_id: str,
    author_id: str | None,
    now: datetime,
    *,
    evaluate: Evaluate | None = None,
) -> DemoProcessReport:
    """Milestones, rules and the imported validation rules of a synced org, then one full
    evaluation pass, finished when this returns (`evaluate`: the org refresher's, under the
    org's pass lock; None: services.evaluation.evaluate_org on `engine`)."""
    known = org_catalog(engine, org_id)
    milestones = create_demo_milestones(engine, org_id, known, now)
    rules = create_demo_rules(engine, org_id, known, author_id, now)
    imports = import_validation_rules(engine, gateway, org_id, author_id, now, then_evaluate=False)
    if evaluate is None:
        evaluation = evaluate_org(engine, org_id, now=now)
    else:
        evaluation = evaluate(org_id, now=now)
    return DemoProcessReport(milestones, rules, imports, evaluation)
