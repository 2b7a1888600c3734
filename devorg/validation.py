"""The org's validation rules on Opportunity: the four seeded ones, and how devorg runs them.

Each rule is its real Salesforce formula (what the Tooling API returns and what dealpulse
imports). devorg evaluates the formulas of the rules stored in its ValidationRule table with
dealpulse's formula engine (`rules.formula`, pure, no I/O) on the merged record, on insert and
update; a rule fires only when its formula is true (blank or #Error! does not fire), as in
Salesforce. Dates are taken in the org's time zone (Organization.TimeZoneSidKey; UTC when the
key is missing or unknown): TODAY() is the org's date, as it is the running user's on
Salesforce, and as dealpulse evaluates the same rules, so both agree at midnight.

PRIORVALUE. Real orgs have rules that only mean something while a record is saved, such as
`Stage_Cannot_Move_Backwards`; dealpulse's engine rejects them (it evaluates current data, with
no "before"), and its import skips them. devorg still enforces them, with a small honest
implementation of PRIORVALUE(field) alone: each call in the formula (found through the parsed
tree, so text inside string literals is never touched) is replaced by a reference to a
stand-in field `PRIORVALUE__<field>` of the same type, which holds the field's stored value
before the save; on insert it holds the new value, as Salesforce's PRIORVALUE returns the
current value when a record is created. PRIORVALUE of a related field, ISCHANGED, ISNEW and
ISCLONE stay unsupported: such a rule does not compile and is ignored (Salesforce would have
refused to save an invalid rule; devorg seeds none).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from devorg import catalog
from devorg.db import parse_sf_datetime
from rules.formula import CompiledFormula, FormulaError, ast, compile_formula
from rules.formula.parser import parse
from rules.time_zones import org_time_zone


@dataclass(frozen=True)
class ValidationRuleDef:
    name: str
    description: str
    formula: str
    message: str
    display_field: str | None


def _stage_rank(expression: str) -> str:
    """A CASE giving each stage its rank by SortOrder, the closed stages one rank together."""
    last_open = max(order for _, order, closed, *_ in catalog.STAGES if not closed)
    pairs = ", ".join(
        f'"{name}", {last_open + 1 if closed else order}'
        for name, order, closed, *_ in catalog.STAGES
    )
    return f"CASE({expression}, {pairs}, 0)"


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
        # Shown at the top of the page, as many real orgs' rules are: two fields are involved.
        display_field=None,
    ),
    ValidationRuleDef(
        name="Stage_Cannot_Move_Backwards",
        description="A deal moves forward through the stages; it cannot go back to an earlier "
        "one (a closed deal may change between won and lost).",
        formula=f"{_stage_rank('StageName')} < {_stage_rank('PRIORVALUE(StageName)')}",
        message="A deal cannot move back to an earlier stage.",
        display_field="StageName",
    ),
)


# describe types of Opportunity's fields, as the formula engine's field catalog.
_FIELD_TYPES = {f.name: f.type for f in catalog.OPPORTUNITY.fields}


PRIOR_PREFIX = "PRIORVALUE__"


@dataclass(frozen=True)
class _RunnableRule:
    compiled: CompiledFormula
    # stand-in field -> the Opportunity field whose value before the save it holds
    prior_fields: Mapping[str, str] = field(default_factory=dict)


def _offset(text: str, line: int, column: int) -> int:
    """The index in `text` of the 1-based (line, column) the formula parser reports."""
    lines = text.split("\n")
    return sum(len(earlier) + 1 for earlier in lines[: line - 1]) + column - 1


def _without_prior_values(formula: str) -> tuple[str, dict[str, str]]:
    """`formula` with each PRIORVALUE(field) replaced by its stand-in field (see the module
    docstring); FormulaError when a PRIORVALUE call is not of an Opportunity field."""
    spans: list[tuple[int, int, str]] = []
    for node in ast.walk(parse(formula)):
        if not (isinstance(node, ast.Call) and node.name.upper() == "PRIORVALUE"):
            continue
        argument = node.args[0] if len(node.args) == 1 else None
        if not isinstance(argument, ast.FieldRef):
            raise FormulaError("unsupported_function", "devorg runs PRIORVALUE(field) only")
        fld = catalog.OPPORTUNITY.field(argument.name)
        if fld is None:
            raise FormulaError("unknown_field", f"no Opportunity field {argument.name}")
        end = _offset(formula, argument.line, argument.column) + len(argument.name)
        while end < len(formula) and formula[end].isspace():
            end += 1
        if formula[end : end + 1] != ")":  # e.g. a comment before ")": not worth supporting
            raise FormulaError("unsupported_function", "devorg runs PRIORVALUE(field) only")
        spans.append((_offset(formula, node.line, node.column), end + 1, fld.name))
    prior_fields: dict[str, str] = {}
    for start, end, name in sorted(spans, reverse=True):
        formula = formula[:start] + PRIOR_PREFIX + name + formula[end:]
        prior_fields[PRIOR_PREFIX + name] = name
    return formula, prior_fields


@lru_cache(maxsize=128)
def _compiled(formula: str) -> _RunnableRule | None:
    try:
        text, prior_fields = _without_prior_values(formula)
        fields = {**_FIELD_TYPES, **{p: _FIELD_TYPES[f] for p, f in prior_fields.items()}}
        return _RunnableRule(compile_formula(text, fields=fields), prior_fields)
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
    before: Mapping[str, Any] | None = None,
) -> list[ValidationRuleDef]:
    """The rules whose error condition formula is true for the row being saved at `now`, dates
    taken in `time_zone` (a TimeZoneSidKey); `before` is the stored row an update changes
    (PRIORVALUE reads it), None on insert."""
    record = _formula_record(row)
    prior = record if before is None else _formula_record(before)
    zone = org_time_zone(time_zone)
    failing = []
    for rule in rules:
        runnable = _compiled(rule.formula)
        if runnable is None:
            continue
        values = {**record, **{p: prior.get(f) for p, f in runnable.prior_fields.items()}}
        if runnable.compiled.evaluate(values, now=now, tz=zone) is True:
            failing.append(rule)
    return failing
