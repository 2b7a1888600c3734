"""The rule set of the evaluation benchmark, written down: the demo's six rules and seven
milestones (as services/demo_process.py defines them) plus 44 generated rules of the kinds an
org writes many of (one per stage or threshold), 50 rules in all, over the fields of
bench_data.FIELDS. Each comes with the same condition written by hand as a Polars expression
over the evaluation frame's columns (Decimal numbers, Date dates, String text with blank as
"", Boolean checkboxes): the yardstick of bench (c).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import polars as pl
from bench_data import COMPETITORS, STAGES

from rules.definitions import MilestoneDraft, RuleDraft
from rules.process import AlertKind, MilestoneCompletionMode, Severity

FIX, INFO = AlertKind.FIX_REQUIRED, AlertKind.INFORMATIVE
FORMULA, MANUAL = MilestoneCompletionMode.FORMULA, MilestoneCompletionMode.MANUAL
# A condition by hand: today's date in the org's zone -> a Boolean expression (null: no match).
ByHand = Callable[[date], pl.Expr]


@dataclass(frozen=True)
class BenchRule:
    draft: RuleDraft
    by_hand: ByHand


def c(name: str) -> pl.Expr:
    return pl.col(name)


def d(value: str | int) -> pl.Expr:
    return pl.lit(Decimal(value))


def _days_to(name: str, today: date) -> pl.Expr:
    return (c(name) - pl.lit(today)).dt.total_days()


def _rule(
    name: str, condition: str, by_hand: ByHand, *, fix: tuple[str, ...] = (),
    severity: Severity = Severity.MEDIUM, message: str = "{!Name} needs a look.",
) -> BenchRule:  # fmt: skip
    kind = FIX if fix else INFO
    recommendation = None if fix else "Talk it through with your manager."
    return BenchRule(
        RuleDraft(name, kind, severity, condition, message, recommendation, fix), by_hand
    )


DEMO_RULES = [
    _rule("Next meeting date is in the past",
          "AND(NOT(ISBLANK(Next_Meeting_Date__c)), Next_Meeting_Date__c < TODAY())",
          lambda t: c("Next_Meeting_Date__c").is_not_null() & (c("Next_Meeting_Date__c") < t),
          fix=("Next_Meeting_Date__c",),
          message="The next meeting of {!Name} was due on {!Next_Meeting_Date__c}: set the "
          "date of the next meeting."),
    _rule("Close date in the past on an open deal", "AND(NOT(IsClosed), CloseDate < TODAY())",
          lambda t: ~c("IsClosed") & (c("CloseDate") < t), fix=("CloseDate",),
          severity=Severity.HIGH,
          message="{!Name} was due to close on {!CloseDate}: move the close date, or close "
          "the deal."),
    _rule("Amount missing from stage 3 on", "AND(StageNumber >= 3, ISBLANK(Amount))",
          lambda t: (c("StageNumber") >= d(3)) & c("Amount").is_null(), fix=("Amount",),
          severity=Severity.HIGH,
          message="{!Name} is in {!TEXT(StageName)} without an amount: enter the deal's amount."),
    _rule("No activity in 14 days",
          "IF(ISBLANK(DaysSinceLastActivity), AgeInDays >= 14, DaysSinceLastActivity >= 14)",
          lambda t: pl.when(c("DaysSinceLastActivity").is_null())
          .then(c("AgeInDays") >= d(14)).otherwise(c("DaysSinceLastActivity") >= d(14)),
          fix=("NextStep",),
          message="Nothing has happened on {!Name} for 14 days or more: say what the next step "
          "is."),
    _rule("Stuck in stage 3 for 30+ days on a high-value deal against a known competitor: "
          "recommend an executive visit",
          "AND(StageNumber = 3, DaysInStage >= 30, Amount >= 100000, NOT(ISBLANK(Competitor__c)))",
          lambda t: (c("StageNumber") == d(3)) & (c("DaysInStage") >= d(30))
          & (c("Amount") >= d(100000)) & (c("Competitor__c") != ""),
          message="{!Name} ({!Amount}) has been in {!TEXT(StageName)} for {!DaysInStage} days "
          "against {!Competitor__c}."),
    _rule("Close date pushed 3 or more times", "CloseDatePushCount >= 3",
          lambda t: c("CloseDatePushCount") >= d(3), severity=Severity.LOW,
          message="The close date of {!Name} has moved {!CloseDatePushCount} times."),
]  # fmt: skip

SINGLE_RULES = [
    _rule("No next step from stage 2 on", "AND(ISBLANK(NextStep), StageNumber >= 2)",
          lambda t: (c("NextStep") == "") & (c("StageNumber") >= d(2)), fix=("NextStep",)),
    _rule("Close date more than a year out", "CloseDate - TODAY() > 365",
          lambda t: _days_to("CloseDate", t) > 365, fix=("CloseDate",)),
    _rule("Negotiating without a confirmed budget",
          "AND(ISPICKVAL(StageName, 'Negotiation/Review'), NOT(Budget_Confirmed__c))",
          lambda t: (c("StageName") == "Negotiation/Review") & ~c("Budget_Confirmed__c"),
          fix=("Budget_Confirmed__c",)),
    _rule("Commit forecast at low probability",
          "AND(TEXT(ForecastCategoryName) = 'Commit', Probability < 0.7)",
          lambda t: (c("ForecastCategoryName") == "Commit") & (c("Probability") < d("0.7")),
          fix=("Probability",)),
    _rule("Lead source missing", "ISBLANK(TEXT(LeadSource))",
          lambda t: c("LeadSource") == "", fix=("LeadSource",), severity=Severity.LOW),
    _rule("Next meeting after the close date", "Next_Meeting_Date__c > CloseDate",
          lambda t: c("Next_Meeting_Date__c") > c("CloseDate"), fix=("CloseDate",)),
    _rule("Big weighted deal gone quiet",
          "AND(Amount * Probability > 400000, DaysSinceLastActivity > 14)",
          lambda t: (c("Amount") * c("Probability") > d(400000))
          & (c("DaysSinceLastActivity") > d(14)), severity=Severity.HIGH),
    _rule("Large new customer still early",
          "AND(ISPICKVAL(Type, 'New Customer'), Amount > 1000000, StageNumber < 3)",
          lambda t: (c("Type") == "New Customer") & (c("Amount") > d(1000000))
          & (c("StageNumber") < d(3))),
    _rule("Deep discount before negotiation",
          "AND(Discount__c > 0.3, NOT(ISPICKVAL(StageName, 'Negotiation/Review')))",
          lambda t: (c("Discount__c") > d("0.3")) & (c("StageName") != "Negotiation/Review"),
          fix=("Discount__c",)),
]  # fmt: skip


def _stuck(stage: str, days: int) -> BenchRule:
    return _rule(
        f"Stuck in {stage} for more than {days} days",
        f"AND(ISPICKVAL(StageName, '{stage}'), DaysInStage > {days})",
        lambda t: (c("StageName") == stage) & (c("DaysInStage") > d(days)),
        message=f"{{!Name}} has been in {stage} for {{!DaysInStage}} days.",
    )


def _big_and_unlikely(amount: int, stage: int) -> BenchRule:
    probability = f"0.{stage}"
    return _rule(
        f"Deal of {amount} or more at stage {stage}+ below {stage}0 %",
        f"AND(Amount >= {amount}, StageNumber >= {stage}, Probability < {probability})",
        lambda t: (c("Amount") >= d(amount)) & (c("StageNumber") >= d(stage))
        & (c("Probability") < d(probability)),
        fix=("Probability",), severity=Severity.HIGH,
    )  # fmt: skip


def _pushed(pushes: int, amount: int) -> BenchRule:
    return _rule(
        f"Pushed {pushes}+ times, amount over {amount}",
        f"AND(CloseDatePushCount >= {pushes}, Amount > {amount})",
        lambda t: (c("CloseDatePushCount") >= d(pushes)) & (c("Amount") > d(amount)),
        message="{!Name} was pushed {!CloseDatePushCount} times.",
    )


def _quiet(competitor: str) -> BenchRule:
    return _rule(
        f"Quiet for 20 days against {competitor}",
        f"AND(Competitor__c = '{competitor}', DaysSinceLastActivity > 20)",
        lambda t: (c("Competitor__c") == competitor) & (c("DaysSinceLastActivity") > d(20)),
        fix=("NextStep",),
    )


GENERATED_RULES = [
    *(_stuck(stage, days + index) for index, (stage, _) in enumerate(STAGES[:8])
      for days in (21, 45)),
    *(_big_and_unlikely(amount, stage) for amount in (50000, 100000, 250000, 500000, 1000000)
      for stage in (4, 6)),
    *(_pushed(pushes, amount) for pushes in (2, 4) for amount in (0, 100000)),
    *(_quiet(competitor) for competitor in COMPETITORS),
]  # fmt: skip

RULES: list[BenchRule] = [*DEMO_RULES, *SINGLE_RULES, *GENERATED_RULES]
assert len(RULES) == 50, len(RULES)

MILESTONES: list[tuple[MilestoneDraft, ByHand | None]] = [
    (MilestoneDraft("Decision maker identified", "The person who signs is named on the deal.",
                    None, 2.0, FORMULA, "NOT(ISBLANK(Decision_Maker__c))"),
     lambda t: c("Decision_Maker__c") != ""),
    (MilestoneDraft("Budget confirmed", "The buyer confirmed the budget for this purchase.",
                    None, 2.0, FORMULA, "Budget_Confirmed__c"),
     lambda t: c("Budget_Confirmed__c")),
    (MilestoneDraft("Next meeting booked", "The next meeting with the buyer is on the calendar.",
                    None, 1.0, FORMULA, "Next_Meeting_Date__c >= TODAY()"),
     lambda t: c("Next_Meeting_Date__c") >= t),
    (MilestoneDraft("Discovery call held", "A call to learn the buyer's needs, goals and "
                    "timeline.", "Qualification", 1.0, MANUAL), None),
    (MilestoneDraft("Success criteria agreed", "The buyer said what a successful purchase "
                    "looks like.", "Needs Analysis", 1.0, MANUAL), None),
    (MilestoneDraft("Proposal sent", "The priced proposal is with the buyer.",
                    "Proposal/Price Quote", 1.5, MANUAL), None),
    (MilestoneDraft("Mutual close plan agreed", "Buyer and seller agreed the steps and dates "
                    "to signature.", "Negotiation/Review", 1.5, MANUAL), None),
]  # fmt: skip
