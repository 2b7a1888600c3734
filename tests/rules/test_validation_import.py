"""Validation rules as dealpulse rules: what is imported, what is skipped and why."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest

from devorg import catalog, validation
from devorg.describe import describe_sobject
from rules.catalog import rule_catalog
from rules.formula import compile_formula
from rules.process import AlertKind, Severity
from rules.validation_import import (
    ImportDraft,
    Skip,
    ValidationRuleRecord,
    import_digest,
    imported_rule,
)

DESCRIBE = describe_sobject("62.0", catalog.OPPORTUNITY)
CATALOG = rule_catalog(DESCRIBE)
NOW = datetime(2026, 6, 15, 12, tzinfo=UTC)


def record(
    formula: str, *, display: str | None = "Amount", message: str = "Fix it", name: str = "A_Rule"
) -> ValidationRuleRecord:
    return ValidationRuleRecord(
        id="03d000000000001AAA",
        name=name,
        active=True,
        description=None,
        error_message=message,
        error_display_field=display,
        formula=formula,
    )


def seeded(name: str) -> ValidationRuleRecord:
    rule = next(r for r in validation.RULES if r.name == name)
    return record(rule.formula, display=rule.display_field, message=rule.message, name=rule.name)


def imported(rec: ValidationRuleRecord) -> ImportDraft:
    result = imported_rule(rec, CATALOG, DESCRIBE)
    assert isinstance(result, ImportDraft), result
    return result


def skipped(rec: ValidationRuleRecord) -> str:
    result = imported_rule(rec, CATALOG, DESCRIBE)
    assert isinstance(result, Skip), result
    return result.reason


def test_a_rule_with_its_display_field() -> None:
    rec = seeded("Amount_Required_Late_Stage")
    result = imported(rec)
    draft = result.draft
    assert (draft.name, draft.kind, draft.severity) == (
        "Amount Required Late Stage",
        AlertKind.FIX_REQUIRED,
        Severity.HIGH,
    )
    assert (draft.condition, draft.message) == (rec.formula, rec.error_message)
    assert (draft.fix_fields, draft.hold_seconds, draft.recommendation) == (("Amount",), 0, None)
    assert (result.source_id, result.digest) == (rec.id, import_digest(draft))


def test_a_rule_shown_at_the_top_of_the_page_fixes_the_fields_its_formula_reads() -> None:
    rec = seeded("Decision_Maker_Before_Proposal")
    assert rec.error_display_field is None
    # StageName twice, then Decision_Maker__c: in the order the formula first reads them.
    assert imported(rec).draft.fix_fields == ("StageName", "Decision_Maker__c")


def test_read_only_fields_are_not_fix_fields() -> None:
    rec = seeded("Next_Meeting_Not_In_Past")
    assert imported(replace(rec, error_display_field=None)).draft.fix_fields == (
        "Next_Meeting_Date__c",  # IsClosed is read first, but nobody can edit it
    )
    # A display field a rep cannot edit: the message shows at the top, as in Salesforce.
    shown_on_read_only = replace(rec, error_display_field="IsClosed")
    assert imported(shown_on_read_only).draft.fix_fields == ("Next_Meeting_Date__c",)
    assert imported(replace(rec, error_display_field="next_meeting_date__C")).draft.fix_fields == (
        "Next_Meeting_Date__c",  # the describe's spelling
    )


def test_the_priorvalue_rule_is_skipped_with_a_reason() -> None:
    reason = skipped(seeded("Stage_Cannot_Move_Backwards"))
    assert reason.startswith("it uses PRIORVALUE (PRIORVALUE reads a field's value before the")
    assert "only has a meaning while Salesforce saves a record" in reason


def test_every_edit_time_function_is_named_once_in_order() -> None:
    formula = "AND(ISCHANGED(Amount), NOT(ISNEW()), ISCHANGED(CloseDate), ISCLONE())"
    reason = skipped(record(formula))
    assert reason.startswith("it uses ISCHANGED, ISNEW, ISCLONE (ISCHANGED reads whether a field")


@pytest.mark.parametrize(
    ("formula", "expected"),
    [
        ("$User.Id = OwnerId", "its formula cannot be checked by dealpulse: "),
        ("AND(Amount > 1", "its formula cannot be checked by dealpulse: "),
        ("Nope__c > 1", "(line 1, column 1)"),
        ("Amount + 1", "condition must be true or false"),
    ],
)
def test_formulas_dealpulse_cannot_run_are_skipped(formula: str, expected: str) -> None:
    assert expected in skipped(record(formula))


def test_a_rule_no_rep_can_fix_is_skipped() -> None:
    reason = skipped(record("AND(IsClosed, IsWon)", display=None))
    assert reason == (
        "no field a rep can edit would fix it: its message shows at the top of the page, and "
        "its formula reads only fields that cannot be edited (IsClosed, IsWon)"
    )
    assert "next to IsWon, which a rep cannot edit" in skipped(record("IsWon", display="IsWon"))


def test_a_message_that_is_no_template_is_skipped() -> None:
    assert "message:" in skipped(record("ISBLANK(Amount)", message="Use {!Nope__c} here"))


def test_the_digest_follows_what_comes_from_salesforce() -> None:
    rec = seeded("Amount_Required_Late_Stage")
    first = imported(rec).digest
    assert imported(replace(rec, description="edited")).digest == first  # not imported
    for changed in (
        replace(rec, formula="ISBLANK(Amount)"),
        replace(rec, error_message="Other words"),
        replace(rec, error_display_field="CloseDate"),
        replace(rec, name="Renamed"),
    ):
        assert imported(changed).digest != first


# Hand-computed: what each imported condition says of a deal, read off the formulas.
CASES: list[tuple[str, dict[str, Any], bool]] = [
    ("Amount_Required_Late_Stage", {"StageName": "Proposal/Price Quote"}, True),
    ("Amount_Required_Late_Stage", {"StageName": "Negotiation/Review", "Amount": 0}, False),
    ("Amount_Required_Late_Stage", {"StageName": "Prospecting"}, False),
    ("Decision_Maker_Before_Proposal", {"StageName": "Negotiation/Review"}, True),
    (
        "Decision_Maker_Before_Proposal",
        {"StageName": "Negotiation/Review", "Decision_Maker__c": "Ann"},
        False,
    ),
    ("Decision_Maker_Before_Proposal", {"StageName": "Value Proposition"}, False),
    (
        "Next_Meeting_Not_In_Past",
        {"IsClosed": False, "Next_Meeting_Date__c": date(2026, 6, 14)},
        True,
    ),
    (
        "Next_Meeting_Not_In_Past",
        {"IsClosed": False, "Next_Meeting_Date__c": date(2026, 6, 15)},
        False,
    ),
    (
        "Next_Meeting_Not_In_Past",
        {"IsClosed": True, "Next_Meeting_Date__c": date(2026, 6, 1)},
        False,
    ),
    ("Next_Meeting_Not_In_Past", {"IsClosed": False}, False),
]


@pytest.mark.parametrize(("name", "deal", "fires"), CASES)
def test_imported_conditions_say_what_the_rules_say(
    name: str, deal: dict[str, Any], fires: bool
) -> None:
    condition = compile_formula(imported(seeded(name)).draft.condition, CATALOG)
    assert (condition.evaluate(deal, now=NOW) is True) is fires
