"""A Salesforce validation rule as a dealpulse FIX_REQUIRED alert rule, or the reason it cannot be.

Salesforce runs a validation rule only while a record is saved; dealpulse runs the same formula
over every open deal continuously, so data that went wrong without a save (a date now in the
past) is flagged too. `imported_rule` turns one rule, as the Tooling API gives it
(`ValidationRuleRecord`), into a `RuleDraft`:

- condition: the error condition formula (`Metadata.errorConditionFormula`), as written;
- message: the error message, which is plain text in Salesforce (no merge fields): as a
  dealpulse template, each `{!` of it becomes the merge field `{!"{!"}`, so it shows as written;
- fix fields: the error display field; for a rule shown at the top of the page (no display
  field, or one a rep cannot edit), the updateable Opportunity fields the formula reads, in
  the order it first reads them;
- kind FIX_REQUIRED, severity HIGH (Salesforce refuses the save: it is no detail), no hold time;
- name: the rule's API name with spaces ("Amount Required Late Stage"; `validation_name`
  gives the API name back).

It is skipped, with a reason a person understands, when it uses an edit-time function
(ISCHANGED, PRIORVALUE, ISNEW, ISCLONE: they compare the record with the save in progress,
which continuous evaluation does not have), when its formula does not compile against the
org's catalog (e.g. `$User` or a function dealpulse lacks), when no field a rep can edit would
fix it, or when the draft fails `rules.definitions.check_rule` for another reason.

`import_digest(draft)` fingerprints what was imported (name, condition, message, fix fields):
stored with the rule, it tells a re-import whether the rule changed in Salesforce (UPDATED) or
not (UNCHANGED), whatever an admin edited in dealpulse since.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from rules.definitions import RuleDraft, check_rule
from rules.formula import FormulaError, ast, compile_formula
from rules.formula.parser import parse
from rules.formula.signatures import EDIT_TIME_FUNCTIONS
from rules.process import AlertKind, Severity

__all__ = [
    "IMPORTED_KIND",
    "IMPORTED_SEVERITY",
    "ImportDraft",
    "Skip",
    "ValidationRuleRecord",
    "import_digest",
    "imported_rule",
    "validation_name",
]

IMPORTED_KIND = AlertKind.FIX_REQUIRED
IMPORTED_SEVERITY = Severity.HIGH

# What each edit-time function reads that only exists while Salesforce saves a record.
_EDIT_TIME_MEANING = {
    "ISCHANGED": "whether a field changes in the save",
    "PRIORVALUE": "a field's value before the save",
    "ISNEW": "whether the save creates the record",
    "ISCLONE": "whether the record being created is a clone",
}


@dataclass(frozen=True)
class ValidationRuleRecord:
    """One validation rule of the org, as the Tooling API describes it."""

    id: str  # the ValidationRule's Salesforce id
    name: str  # ValidationName, the rule's API name
    active: bool
    description: str | None
    error_message: str
    error_display_field: str | None  # None: the message shows at the top of the page
    formula: str  # Metadata.errorConditionFormula


@dataclass(frozen=True)
class ImportDraft:
    source_id: str  # the ValidationRule's id: the imported rule's identity across re-imports
    digest: str  # import_digest(draft)
    draft: RuleDraft


@dataclass(frozen=True)
class Skip:
    reason: str


def import_digest(draft: RuleDraft) -> str:
    """A fingerprint of the parts of `draft` that come from Salesforce."""
    imported = [draft.name, draft.condition, draft.message, list(draft.fix_fields)]
    return hashlib.sha256(json.dumps(imported).encode()).hexdigest()


def _position(error: FormulaError) -> str:
    return f" (line {error.line}, column {error.column})" if error.line else ""


def _edit_time_reason(tree: ast.Node) -> str | None:
    used = list(
        dict.fromkeys(
            node.name.upper()
            for node in ast.walk(tree)
            if isinstance(node, ast.Call) and node.name.upper() in EDIT_TIME_FUNCTIONS
        )
    )
    if not used:
        return None
    reads = "; ".join(f"{name} reads {_EDIT_TIME_MEANING[name]}" for name in used)
    return (
        f"it uses {', '.join(used)} ({reads}): that only has a meaning while Salesforce saves "
        "a record, and dealpulse checks the current data of every open deal continuously, so "
        "this rule stays a Salesforce validation rule only"
    )


def _updateable(describe: Mapping[str, Any]) -> dict[str, str]:
    """Folded name -> describe spelling of every updateable Opportunity field."""
    return {
        str(f["name"]).lower(): str(f["name"])
        for f in describe.get("fields", ())
        if isinstance(f, Mapping) and f.get("name") and f.get("updateable")
    }


def _read_fields(tree: ast.Node) -> Iterator[str]:
    """The catalog fields the typed `tree` reads, in the order it first reads them."""
    seen: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FieldRef) and node.field and node.field not in seen:
            seen.add(node.field)
            yield node.field


def _fix_fields(
    record: ValidationRuleRecord, tree: ast.Node, describe: Mapping[str, Any]
) -> tuple[str, ...] | Skip:
    updateable = _updateable(describe)
    shown_at = record.error_display_field
    if shown_at and shown_at.lower() in updateable:
        return (updateable[shown_at.lower()],)
    read = list(_read_fields(tree))
    fixable = tuple(updateable[name.lower()] for name in read if name.lower() in updateable)
    if fixable:
        return fixable
    where = (
        f"its message shows next to {shown_at}, which a rep cannot edit"
        if shown_at
        else "its message shows at the top of the page"
    )
    return Skip(
        f"no field a rep can edit would fix it: {where}, and its formula reads only fields "
        f"that cannot be edited ({', '.join(read) or 'none'})"
    )


def literal_template(text: str) -> str:
    """A message template that renders as `text`, merge-field openers included."""
    return text.replace("{!", '{!"{!"}')


def rule_name(record: ValidationRuleRecord) -> str:
    """The imported rule's name: the API name a Salesforce admin knows, with spaces."""
    return " ".join(record.name.replace("_", " ").split()) or record.name


def validation_name(name: str) -> str:
    """The API name `rule_name` made `name` from: a Salesforce API name has no spaces and no
    two underscores in a row, so putting the underscores back is exact (for a name an admin
    did not edit in dealpulse)."""
    return name.replace(" ", "_")


def imported_rule(
    record: ValidationRuleRecord,
    catalog: Mapping[str, str],
    opportunity_describe: Mapping[str, Any],
) -> ImportDraft | Skip:
    """`record` as a draft to save (see the module docstring), or why it cannot be one.
    `catalog`: the org's formula catalog (rules.catalog.rule_catalog)."""
    try:
        edit_time = _edit_time_reason(parse(record.formula))
        if edit_time:
            return Skip(edit_time)
        compiled = compile_formula(record.formula, catalog)
    except FormulaError as error:
        return Skip(
            f"its formula cannot be checked by dealpulse: {error.message}{_position(error)}"
        )
    fix_fields = _fix_fields(record, compiled.tree, opportunity_describe)
    if isinstance(fix_fields, Skip):
        return fix_fields
    draft = RuleDraft(
        name=rule_name(record),
        kind=IMPORTED_KIND,
        severity=IMPORTED_SEVERITY,
        condition=record.formula,
        message=literal_template(record.error_message),
        fix_fields=fix_fields,
    )
    problems = check_rule(draft, catalog, opportunity_describe)
    if problems:
        details = "; ".join(f"{p.field}: {p.message}" for p in problems)
        return Skip(f"it cannot be saved as a dealpulse rule: {details}")
    return ImportDraft(source_id=record.id, digest=import_digest(draft), draft=draft)
