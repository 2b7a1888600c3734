"""The org's three active validation rules on Opportunity.

Each rule carries its real Salesforce formula (what the Tooling API returns and what dealpulse
imports) and, until dealpulse's formula engine exists, a Python predicate with the same meaning
that devorg runs on insert and update. Records are seen as stored (dates as ISO strings,
checkboxes as 0/1, blanks as None).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

_LATE_STAGES = ("Proposal/Price Quote", "Negotiation/Review")


@dataclass(frozen=True)
class ValidationRuleDef:
    name: str
    description: str
    formula: str
    message: str
    display_field: str | None
    fires: Callable[[Mapping[str, Any], date], bool]


def _amount_missing_late(record: Mapping[str, Any], today: date) -> bool:
    return record.get("StageName") in _LATE_STAGES and record.get("Amount") is None


def _meeting_in_past(record: Mapping[str, Any], today: date) -> bool:
    meeting = record.get("Next_Meeting_Date__c")
    return not record.get("IsClosed") and meeting is not None and meeting < today.isoformat()


def _decision_maker_missing(record: Mapping[str, Any], today: date) -> bool:
    return record.get("StageName") in _LATE_STAGES and not record.get("Decision_Maker__c")


RULES: tuple[ValidationRuleDef, ...] = (
    ValidationRuleDef(
        name="Amount_Required_Late_Stage",
        description="Deals in proposal or negotiation must carry an amount.",
        formula=(
            'AND(OR(ISPICKVAL(StageName, "Proposal/Price Quote"), '
            'ISPICKVAL(StageName, "Negotiation/Review")), ISBLANK(Amount))'
        ),
        message="Enter the amount before moving the deal to proposal or negotiation.",
        display_field="Amount",
        fires=_amount_missing_late,
    ),
    ValidationRuleDef(
        name="Next_Meeting_Not_In_Past",
        description="An open deal's next meeting date cannot lie in the past.",
        formula="AND(NOT(IsClosed), NOT(ISBLANK(Next_Meeting_Date__c)), "
        "Next_Meeting_Date__c < TODAY())",
        message="The next meeting date is in the past: set the date of the next meeting.",
        display_field="Next_Meeting_Date__c",
        fires=_meeting_in_past,
    ),
    ValidationRuleDef(
        name="Decision_Maker_Before_Proposal",
        description="Name the decision maker before a proposal goes out.",
        formula=(
            'AND(OR(ISPICKVAL(StageName, "Proposal/Price Quote"), '
            'ISPICKVAL(StageName, "Negotiation/Review")), ISBLANK(Decision_Maker__c))'
        ),
        message="Name the decision maker before sending a proposal.",
        display_field="Decision_Maker__c",
        fires=_decision_maker_missing,
    ),
)


def failing_rules(record: Mapping[str, Any], today: date) -> list[ValidationRuleDef]:
    return [rule for rule in RULES if rule.fires(record, today)]
