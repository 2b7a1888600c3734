"""What a rule or milestone definition must satisfy (rules.definitions): each problem, against
devorg's own Opportunity describe and the catalog dealpulse builds from it."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from devorg.catalog import API_VERSION, OPPORTUNITY, STAGE_NAMES
from devorg.describe import describe_sobject
from rules.catalog import rule_catalog
from rules.definitions import (
    MAX_HOLD_SECONDS,
    AlertRuleErrorCode,
    MilestoneDraft,
    MilestoneErrorCode,
    Problem,
    RuleDraft,
    check_milestone,
    check_rule,
    compiled_rule,
    condition_changed,
)
from rules.formula import FormulaError
from rules.formula.types import FormulaType
from rules.process import AlertKind, MilestoneCompletionMode, Severity

pytestmark = pytest.mark.sqlite_only

DESCRIBE: dict[str, Any] = describe_sobject(API_VERSION, OPPORTUNITY)
CATALOG = rule_catalog(DESCRIBE)
R = AlertRuleErrorCode
M = MilestoneErrorCode

GOOD_RULE = RuleDraft(
    name="Close date in the past on an open deal",
    kind=AlertKind.FIX_REQUIRED,
    severity=Severity.HIGH,
    condition="AND(NOT(IsClosed), CloseDate < TODAY())",
    message="Close date {!CloseDate} has passed for {!Name}",
    recommendation=None,
    fix_fields=("CloseDate",),
    hold_seconds=0,
)
GOOD_MILESTONE = MilestoneDraft(
    name="Decision maker identified",
    description="Someone who signs",
    stage_name=None,
    weight=2.0,
    completion=MilestoneCompletionMode.FORMULA,
    formula="NOT(ISBLANK(Decision_Maker__c))",
)


def codes(problems: list[Problem[Any]]) -> list[tuple[str, Any]]:
    return [(p.field, p.code) for p in problems]


def rule_problems(**changes: Any) -> list[Problem[AlertRuleErrorCode]]:
    return check_rule(replace(GOOD_RULE, **changes), CATALOG, DESCRIBE)


def milestone_problems(**changes: Any) -> list[Problem[MilestoneErrorCode]]:
    return check_milestone(replace(GOOD_MILESTONE, **changes), CATALOG, STAGE_NAMES)


# -- rules -----------------------------------------------------------------------------------


def test_a_good_rule_has_no_problem() -> None:
    assert rule_problems() == []


def test_an_informative_rule_needs_no_fix_fields() -> None:
    assert rule_problems(kind=AlertKind.INFORMATIVE, fix_fields=(), recommendation="Call") == []


def test_every_problem_is_reported_at_once() -> None:
    problems = rule_problems(name="", condition="Amount +", message="{!", hold_seconds=-1)
    assert codes(problems) == [
        ("name", R.REQUIRED),
        ("condition", R.INVALID_FORMULA),
        ("message", R.INVALID_TEMPLATE),
        ("holdSeconds", R.INVALID_HOLD_TIME),
    ]


@pytest.mark.parametrize("name", ["", "   ", "\n"])
def test_a_blank_name_is_required(name: str) -> None:
    assert codes(rule_problems(name=name)) == [("name", R.REQUIRED)]


def test_a_name_is_at_most_255_characters() -> None:
    assert rule_problems(name="n" * 255) == []
    [problem] = rule_problems(name="n" * 256)
    assert (problem.field, problem.code) == ("name", R.TOO_LONG)
    assert "256" in problem.message


def test_a_blank_condition_is_required() -> None:
    assert codes(rule_problems(condition=" ")) == [("condition", R.REQUIRED)]


def test_a_bad_formula_has_its_line_and_column() -> None:
    [problem] = rule_problems(condition="AND(\n  IsClosed,\n  Amont > 5)")
    assert (problem.field, problem.code, problem.line, problem.column) == (
        "condition",
        R.INVALID_FORMULA,
        3,
        3,
    )
    assert "Amont" in problem.message


def test_a_condition_of_the_wrong_type_is_not_a_checkbox() -> None:
    [problem] = rule_problems(condition="Amount * 2")
    assert (problem.field, problem.code) == ("condition", R.NOT_CHECKBOX)
    assert "currency" in problem.message


@pytest.mark.parametrize("function", ["ISCHANGED(StageName)", "ISNEW()", "PRIORVALUE(Amount) > 0"])
def test_edit_time_functions_are_rejected_with_their_message(function: str) -> None:
    [problem] = rule_problems(condition=function)
    assert (problem.code, problem.line, problem.column) == (R.INVALID_FORMULA, 1, 1)
    with pytest.raises(FormulaError) as raised:
        compiled_rule(replace(GOOD_RULE, condition=function), CATALOG)
    assert problem.message == raised.value.message


def test_a_formula_too_long_is_too_long() -> None:
    [problem] = rule_problems(condition="TRUE && " * 500 + "TRUE")
    assert (problem.field, problem.code) == ("condition", R.TOO_LONG)


def test_the_condition_may_use_facts_and_related_fields() -> None:
    condition = "AND(DaysInStage > 30, ISPICKVAL(Account.Industry, 'Technology'))"
    assert rule_problems(condition=condition) == []


def test_a_bad_template_is_positioned_in_the_template() -> None:
    [problem] = rule_problems(message="Close date\npassed: {!Clos_Date}")
    assert (problem.field, problem.code, problem.line, problem.column) == (
        "message",
        R.INVALID_TEMPLATE,
        2,
        11,
    )


def test_an_unclosed_merge_field_is_an_invalid_template() -> None:
    [problem] = rule_problems(message="Amount {!Amount is missing")
    assert (problem.code, problem.line, problem.column) == (R.INVALID_TEMPLATE, 1, 8)


def test_a_blank_message_is_required_and_a_long_one_too_long() -> None:
    assert codes(rule_problems(message="")) == [("message", R.REQUIRED)]
    assert codes(rule_problems(message="m" * 2001)) == [("message", R.TOO_LONG)]


def test_a_recommendation_is_optional_and_bounded() -> None:
    assert rule_problems(recommendation="") == []
    assert rule_problems(recommendation="r" * 2000) == []
    assert codes(rule_problems(recommendation="r" * 2001)) == [("recommendation", R.TOO_LONG)]


def test_a_fix_required_rule_names_fields_to_fix() -> None:
    assert codes(rule_problems(fix_fields=())) == [("fixFields", R.FIX_FIELDS_REQUIRED)]


def test_a_fix_field_must_be_an_opportunity_field() -> None:
    [problem] = rule_problems(fix_fields=("CloseDate", "Close_Date__c"))
    assert (problem.field, problem.code) == ("fixFields", R.UNKNOWN_FIELD)
    assert "Close_Date__c" in problem.message


def test_a_fix_field_spelled_in_another_case_is_unknown_with_a_hint() -> None:
    [problem] = rule_problems(fix_fields=("closedate",))
    assert problem.code is R.UNKNOWN_FIELD
    assert "did you mean CloseDate?" in problem.message


@pytest.mark.parametrize("field", ["Id", "IsClosed", "CreatedDate", "FiscalYear"])
def test_a_fix_field_must_be_updateable(field: str) -> None:
    assert codes(rule_problems(fix_fields=(field,))) == [("fixFields", R.READ_ONLY_FIELD)]


def test_a_related_field_or_fact_is_no_fix_field() -> None:
    problems = rule_problems(fix_fields=("Account.Name", "DaysInStage"))
    assert codes(problems) == [("fixFields", R.UNKNOWN_FIELD)] * 2


def test_a_fix_field_is_named_once() -> None:
    problems = rule_problems(fix_fields=("CloseDate", "Amount", "CloseDate", "amount"))
    assert codes(problems) == [("fixFields", R.DUPLICATE_FIELD)] * 2


def test_fix_fields_are_bounded() -> None:
    many = tuple(f"Field{n}__c" for n in range(51))
    assert ("fixFields", R.TOO_LONG) in codes(rule_problems(fix_fields=many))


@pytest.mark.parametrize(
    ("seconds", "ok"),
    [(0, True), (3600, True), (MAX_HOLD_SECONDS, True), (-1, False), (MAX_HOLD_SECONDS + 1, False)],
)
def test_the_hold_time_is_between_zero_and_a_year(seconds: int, ok: bool) -> None:
    expected = [] if ok else [("holdSeconds", R.INVALID_HOLD_TIME)]
    assert codes(rule_problems(hold_seconds=seconds)) == expected


def test_compiled_rule_gives_the_condition_and_template() -> None:
    condition, template = compiled_rule(GOOD_RULE, CATALOG)
    assert condition.result_type is FormulaType.CHECKBOX
    assert {"CloseDate", "Name"} <= template.references
    rendered = template.render({"CloseDate": "2026-01-31", "Name": "Big deal"})
    assert rendered == "Close date 2026-01-31 has passed for Big deal"


def test_only_the_condition_and_fix_fields_change_what_alerts_mean() -> None:
    assert not condition_changed(GOOD_RULE, GOOD_RULE)
    for harmless in (
        {"name": "Renamed"},
        {"severity": Severity.LOW},
        {"message": "Fix {!Name}"},
        {"recommendation": "Call them"},
        {"hold_seconds": 60},
        {"kind": AlertKind.INFORMATIVE},
    ):
        assert not condition_changed(GOOD_RULE, replace(GOOD_RULE, **harmless)), harmless
    for meaningful in (
        {"condition": "CloseDate < TODAY()"},
        {"fix_fields": ("CloseDate", "StageName")},
        {"fix_fields": ()},
    ):
        assert condition_changed(GOOD_RULE, replace(GOOD_RULE, **meaningful)), meaningful


# -- milestones ------------------------------------------------------------------------------


def test_a_good_milestone_has_no_problem() -> None:
    assert milestone_problems() == []


def test_a_manual_stage_milestone_has_no_problem() -> None:
    manual = {"completion": MilestoneCompletionMode.MANUAL, "formula": None}
    assert milestone_problems(stage_name="Proposal/Price Quote", **manual) == []


def test_a_milestone_needs_a_name_of_bounded_length() -> None:
    assert codes(milestone_problems(name=" ")) == [("name", M.REQUIRED)]
    assert codes(milestone_problems(name="n" * 256)) == [("name", M.TOO_LONG)]


def test_a_description_is_optional_and_bounded() -> None:
    assert milestone_problems(description=None) == []
    assert codes(milestone_problems(description="d" * 2001)) == [("description", M.TOO_LONG)]


@pytest.mark.parametrize("weight", [0.0, -1.0, 1000.5, float("nan"), float("inf"), float("-inf")])
def test_a_weight_is_above_zero_finite_and_at_most_1000(weight: float) -> None:
    assert codes(milestone_problems(weight=weight)) == [("weight", M.INVALID_WEIGHT)]


@pytest.mark.parametrize("weight", [0.001, 1.0, 1000.0])
def test_weights_in_range_are_fine(weight: float) -> None:
    assert milestone_problems(weight=weight) == []


@pytest.mark.parametrize("stage", ["Negotiation", "", "prospecting"])
def test_a_stage_must_be_one_of_the_orgs(stage: str) -> None:
    assert codes(milestone_problems(stage_name=stage)) == [("stageName", M.UNKNOWN_STAGE)]


@pytest.mark.parametrize("formula", [None, "", "  "])
def test_a_formula_milestone_needs_a_formula(formula: str | None) -> None:
    assert codes(milestone_problems(formula=formula)) == [("formula", M.FORMULA_REQUIRED)]


def test_a_formula_milestone_needs_a_valid_checkbox_formula() -> None:
    [problem] = milestone_problems(formula="NOT(ISBLANK(Decision_Maker))")
    assert (problem.field, problem.code, problem.line, problem.column) == (
        "formula",
        M.INVALID_FORMULA,
        1,
        13,
    )
    assert codes(milestone_problems(formula="Amount")) == [("formula", M.NOT_CHECKBOX)]
    assert codes(milestone_problems(formula="ISCHANGED(Amount)")) == [
        ("formula", M.INVALID_FORMULA)
    ]


def test_a_manual_milestone_takes_no_formula() -> None:
    problems = milestone_problems(completion=MilestoneCompletionMode.MANUAL)
    assert codes(problems) == [("formula", M.FORMULA_NOT_ALLOWED)]
    assert milestone_problems(completion=MilestoneCompletionMode.MANUAL, formula=" ") == []


def test_the_code_enums_carry_the_codes_the_api_answers_with() -> None:
    for enum in (AlertRuleErrorCode, MilestoneErrorCode):
        assert {"FORBIDDEN", "NOT_FOUND", "INVALID_ID", "RETIRED"} <= set(enum.__members__)
    assert {"NOT_MANUAL", "ALREADY_COMPLETED", "NOT_COMPLETED", "INVALID_ORDER"} <= set(
        MilestoneErrorCode.__members__
    )
