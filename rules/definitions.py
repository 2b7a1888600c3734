"""What an alert rule or a milestone definition must satisfy, as typed problems.

`check_rule` and `check_milestone` return every problem of a draft at once (an empty list:
it may be saved); each `Problem` names the input at fault by its GraphQL input field name
(`condition`, `fixFields`, `holdSeconds`..., the API puts it under its own input path) and, for
formulas and templates, the 1-based line and column of the problem in that text.

The code enums are the GraphQL error code enums themselves (the API registers them): besides
the problems found here they carry the codes the API answers with (FORBIDDEN, NOT_FOUND,
INVALID_ID, RETIRED, and for milestones NOT_MANUAL, ALREADY_COMPLETED, NOT_COMPLETED,
INVALID_ORDER).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any, Generic, TypeVar

from rules.formula import CompiledFormula, ErrorCode, FormulaError, FormulaType, compile_formula
from rules.formula.templates import CompiledTemplate, compile_template
from rules.process import AlertKind, MilestoneCompletionMode, Severity

__all__ = [
    "MAX_DESCRIPTION",
    "MAX_FIX_FIELDS",
    "MAX_HOLD_SECONDS",
    "MAX_MESSAGE",
    "MAX_NAME",
    "MAX_RECOMMENDATION",
    "MAX_WEIGHT",
    "AlertRuleErrorCode",
    "MilestoneDraft",
    "MilestoneErrorCode",
    "Problem",
    "RuleDraft",
    "check_milestone",
    "check_rule",
    "compiled_rule",
    "condition_changed",
]

MAX_NAME = 255
MAX_MESSAGE = 2_000  # a template, merge fields included
MAX_RECOMMENDATION = 2_000
MAX_DESCRIPTION = 2_000
MAX_FIX_FIELDS = 50
MAX_HOLD_SECONDS = 365 * 24 * 3600  # a year: longer is surely a unit mistake
MAX_WEIGHT = 1_000.0


class AlertRuleErrorCode(Enum):
    FORBIDDEN = "forbidden"
    INSUFFICIENT_SCOPE = "insufficient_scope"  # the token lacks the scope (extensions name it)
    NOT_FOUND = "not_found"
    INVALID_ID = "invalid_id"
    RETIRED = "retired"  # a retired rule cannot be edited
    REQUIRED = "required"
    TOO_LONG = "too_long"
    INVALID_FORMULA = "invalid_formula"
    NOT_CHECKBOX = "not_checkbox"  # the condition returns something else than true/false
    INVALID_TEMPLATE = "invalid_template"
    UNKNOWN_FIELD = "unknown_field"
    READ_ONLY_FIELD = "read_only_field"
    FIX_FIELDS_REQUIRED = "fix_fields_required"
    DUPLICATE_FIELD = "duplicate_field"
    INVALID_HOLD_TIME = "invalid_hold_time"


class MilestoneErrorCode(Enum):
    FORBIDDEN = "forbidden"
    INSUFFICIENT_SCOPE = "insufficient_scope"  # the token lacks the scope (extensions name it)
    NOT_FOUND = "not_found"
    INVALID_ID = "invalid_id"
    RETIRED = "retired"
    REQUIRED = "required"
    TOO_LONG = "too_long"
    INVALID_WEIGHT = "invalid_weight"
    UNKNOWN_STAGE = "unknown_stage"
    INVALID_FORMULA = "invalid_formula"
    NOT_CHECKBOX = "not_checkbox"
    FORMULA_REQUIRED = "formula_required"  # a FORMULA milestone needs its formula
    FORMULA_NOT_ALLOWED = "formula_not_allowed"  # a MANUAL one takes none
    NOT_MANUAL = "not_manual"  # formula milestones are completed by evaluation only
    ALREADY_COMPLETED = "already_completed"
    NOT_COMPLETED = "not_completed"
    OPPORTUNITY_CLOSED = "opportunity_closed"  # a closed deal keeps what it had when it closed
    INVALID_ORDER = "invalid_order"  # a reorder that is not a permutation of the milestones


Code = TypeVar("Code", AlertRuleErrorCode, MilestoneErrorCode)


@dataclass(frozen=True)
class Problem(Generic[Code]):
    field: str
    code: Code
    message: str
    line: int = 0  # 1-based, in the formula or template; 0: no position
    column: int = 0


@dataclass(frozen=True)
class RuleDraft:
    name: str
    kind: AlertKind
    severity: Severity
    condition: str
    message: str
    recommendation: str | None = None
    fix_fields: tuple[str, ...] = ()
    hold_seconds: int = 0


@dataclass(frozen=True)
class MilestoneDraft:
    name: str
    description: str | None
    stage_name: str | None  # None: GLOBAL
    weight: float
    completion: MilestoneCompletionMode
    formula: str | None = None


def _text_problems(
    codes: type[Code], field: str, value: str | None, limit: int, *, required: bool
) -> Iterator[Problem[Code]]:
    if value is None or not value.strip():
        if required:
            yield Problem(field, codes["REQUIRED"], f"{field} is required")
    elif len(value) > limit:
        yield Problem(
            field, codes["TOO_LONG"], f"{field} is {len(value)} characters; the limit is {limit}"
        )


def _checkbox_problems(
    codes: type[Code], field: str, text: str, catalog: Mapping[str, str]
) -> Iterator[Problem[Code]]:
    """A formula that must compile against `catalog` and return a checkbox."""
    try:
        compiled = compile_formula(text, catalog)
    except FormulaError as error:
        code = codes["TOO_LONG"] if error.code is ErrorCode.TOO_LONG else codes["INVALID_FORMULA"]
        yield Problem(field, code, error.message, error.line, error.column)
        return
    if compiled.result_type is not FormulaType.CHECKBOX:
        yield Problem(
            field,
            codes["NOT_CHECKBOX"],
            f"{field} must be true or false (a checkbox), not {compiled.result_type.value.lower()}",
            1,
            1,
        )


def _describe_fields(describe: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {str(f.get("name")): f for f in describe.get("fields", ()) if isinstance(f, Mapping)}


def _fix_field_problems(
    draft: RuleDraft, describe: Mapping[str, Any]
) -> Iterator[Problem[AlertRuleErrorCode]]:
    codes, field = AlertRuleErrorCode, "fixFields"
    if not draft.fix_fields and draft.kind is AlertKind.FIX_REQUIRED:
        yield Problem(
            field, codes.FIX_FIELDS_REQUIRED, "a rule that requires a fix names the fields to fix"
        )
    if len(draft.fix_fields) > MAX_FIX_FIELDS:
        yield Problem(field, codes.TOO_LONG, f"more than {MAX_FIX_FIELDS} fix fields")
        return  # one problem, not one per name of a list that long (10,000 names: 10,000)
    fields = _describe_fields(describe)
    by_folded = {name.lower(): name for name in fields}
    seen: set[str] = set()
    repeated: set[str] = set()
    for name in draft.fix_fields:
        folded = name.lower()
        if folded in seen:
            if folded not in repeated:
                repeated.add(folded)
                yield Problem(field, codes.DUPLICATE_FIELD, f"{name} is named more than once")
            continue
        seen.add(folded)
        described = fields.get(name)
        if described is None:
            spelled = by_folded.get(folded)
            hint = f" (did you mean {spelled}?)" if spelled else ""
            yield Problem(field, codes.UNKNOWN_FIELD, f"{name!r} is not an Opportunity field{hint}")
        elif not described.get("updateable"):
            yield Problem(
                field, codes.READ_ONLY_FIELD, f"{name} cannot be edited, so it cannot be fixed"
            )


def _template_problems(
    message: str, catalog: Mapping[str, str]
) -> Iterator[Problem[AlertRuleErrorCode]]:
    try:
        compile_template(message, catalog)
    except FormulaError as error:
        yield Problem(
            "message", AlertRuleErrorCode.INVALID_TEMPLATE, error.message, error.line, error.column
        )


def check_rule(
    draft: RuleDraft, catalog: Mapping[str, str], opportunity_describe: Mapping[str, Any]
) -> list[Problem[AlertRuleErrorCode]]:
    """Every problem of `draft` against the org's formula `catalog` (rules.catalog
    .rule_catalog) and its Opportunity describe (fix fields must be updateable fields)."""
    codes = AlertRuleErrorCode
    problems = [*_text_problems(codes, "name", draft.name, MAX_NAME, required=True)]
    if draft.condition.strip():  # its length is the formula engine's to bound
        problems += _checkbox_problems(codes, "condition", draft.condition, catalog)
    else:
        problems.append(Problem("condition", codes.REQUIRED, "condition is required"))
    message = [*_text_problems(codes, "message", draft.message, MAX_MESSAGE, required=True)]
    problems += message or [*_template_problems(draft.message, catalog)]
    problems += _text_problems(
        codes, "recommendation", draft.recommendation, MAX_RECOMMENDATION, required=False
    )
    problems += _fix_field_problems(draft, opportunity_describe)
    if not 0 <= draft.hold_seconds <= MAX_HOLD_SECONDS:
        problems.append(
            Problem(
                "holdSeconds",
                codes.INVALID_HOLD_TIME,
                f"the hold time must be between 0 and {MAX_HOLD_SECONDS} seconds (a year)",
            )
        )
    return problems


def compiled_rule(
    draft: RuleDraft, catalog: Mapping[str, str]
) -> tuple[CompiledFormula, CompiledTemplate]:
    """The condition and message of a draft `check_rule` found no problem with (FormulaError
    otherwise)."""
    return compile_formula(draft.condition, catalog), compile_template(draft.message, catalog)


def condition_changed(old: RuleDraft, new: RuleDraft) -> bool:
    """Whether an edit from `old` to `new` changes what the rule's alerts mean: the condition
    text or the fix fields (in order) differ. Such an edit resolves the old version's alerts
    (RULE_CHANGED); any other edit keeps them and re-renders their messages."""
    return old.condition != new.condition or old.fix_fields != new.fix_fields


def check_milestone(
    draft: MilestoneDraft, catalog: Mapping[str, str], open_stage_names: Collection[str]
) -> list[Problem[MilestoneErrorCode]]:
    """Every problem of `draft`: the org's formula `catalog`, and the api names of its open
    opportunity stages (a milestone of a closed stage would never count: a closed deal keeps
    the health it had when it closed)."""
    codes = MilestoneErrorCode
    problems = [*_text_problems(codes, "name", draft.name, MAX_NAME, required=True)]
    problems += _text_problems(
        codes, "description", draft.description, MAX_DESCRIPTION, required=False
    )
    if not (math.isfinite(draft.weight) and 0 < draft.weight <= MAX_WEIGHT):
        problems.append(
            Problem(
                "weight",
                codes.INVALID_WEIGHT,
                f"the weight must be above 0 and at most {MAX_WEIGHT:g}",
            )
        )
    if draft.stage_name is not None and draft.stage_name not in open_stage_names:
        problems.append(
            Problem(
                "stageName",
                codes.UNKNOWN_STAGE,
                f"{draft.stage_name!r} is not an open opportunity stage of this org",
            )
        )
    has_formula = draft.formula is not None and bool(draft.formula.strip())
    if draft.completion is MilestoneCompletionMode.FORMULA:
        if draft.formula is None or not has_formula:
            problems.append(
                Problem(
                    "formula",
                    codes.FORMULA_REQUIRED,
                    "a milestone completed by formula needs a formula",
                )
            )
        else:
            problems += _checkbox_problems(codes, "formula", draft.formula, catalog)
    elif has_formula:
        problems.append(
            Problem(
                "formula",
                codes.FORMULA_NOT_ALLOWED,
                "a milestone completed by hand takes no formula",
            )
        )
    return problems
