"""The org's validation rules on Opportunity: the three seeded ones, and how devorg runs them.

Each rule is its real Salesforce formula (what the Tooling API returns and what dealpulse
imports). devorg evaluates the formulas of the rules stored in its ValidationRule table with
dealpulse's formula engine (`rules.formula`, pure, no I/O) on the merged record, on insert and
update; a rule fires only when its formula is true (blank or #Error! does not fire), as in
Salesforce. Dates are taken in the org's time zone (Organization.TimeZoneSidKey; UTC when the
key is missing or unknown): TODAY() is the org's date, as it is the running user's on
Salesforce, and as dealpulse evaluates the same rules, so both agree at midnight.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from devorg import catalog
from devorg.db import parse_sf_datetime
from rules.formula import CompiledFormula, FormulaError, compile_formula
from rules.time_zones import org_time_zone


@dataclass(frozen=True)
class ValidationRuleDef:
    name: str
    description: str
    formula: str
    message: str
    display_field: str | None


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
    ),
    ValidationRuleDef(
        name="Next_Meeting_Not_In_Past",
        description="An open deal's next meeting date cannot lie in the past.",
        formula="AND(NOT(IsClosed), NOT(ISBLANK(Next_Meeting_Date__c)), "
        "Next_Meeting_Date__c < TODAY())",
        message="The next meeting date is in the past: set the date of the next meeting.",
        display_field="Next_Meeting_Date__c",
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
    ),
)


# describe types of Opportunity's fields, as the formula engine's field catalog.
_FIELD_TYPES = {f.name: f.type for f in catalog.OPPORTUNITY.fields}


@lru_cache(maxsize=128)
def _compiled(formula: str) -> CompiledFormula | None:
    try:
        return compile_formula(formula, fields=_FIELD_TYPES)
    except FormulaError:
        return None  # Salesforce refuses to save such a rule; devorg ignores it


def _formula_record(row: Mapping[str, Any]) -> dict[str, Any]:
    """A stored row (checkboxes 0/1, Salesforce datetime text) as formula record values."""
    record: dict[str, Any] = {}
    for name, value in row.items():
        fld = catalog.OPPORTUNITY.field(name)
        if fld is None or value is None:
            record[name] = value
        elif fld.type == "boolean":
            record[name] = bool(value)
        elif fld.type == "datetime":
            record[name] = parse_sf_datetime(str(value))
        else:
            record[name] = value
    return record


def failing_rules(
    rules: Iterable[ValidationRuleDef],
    row: Mapping[str, Any],
    now: datetime,
    *,
    time_zone: str | None = None,
) -> list[ValidationRuleDef]:
    """The rules whose error condition formula is true for the stored row at `now`, dates taken
    in `time_zone` (a TimeZoneSidKey)."""
    record = _formula_record(row)
    zone = org_time_zone(time_zone)
    failing = []
    for rule in rules:
        compiled = _compiled(rule.formula)
        if compiled is not None and compiled.evaluate(record, now=now, tz=zone) is True:
            failing.append(rule)
    return failing
