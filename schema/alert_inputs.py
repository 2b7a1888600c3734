"""Inputs of the alert rule API: a rule to create, the changes of an edit, and a condition to
preview."""

from __future__ import annotations

from typing import Any

import strawberry

from rules.definitions import RuleDraft
from schema.enums import AlertKind, Severity


def _ids(values: list[strawberry.ID] | None) -> tuple[str, ...] | None:
    return None if values is None else tuple(map(str, values))


def _members(values: list[Any] | None) -> tuple[Any, ...] | None:
    return None if values is None else tuple(values)


@strawberry.input(description="A new alert rule (version 1).")
class CreateAlertRuleInput:
    name: str
    kind: AlertKind
    severity: Severity
    condition: str = strawberry.field(
        description="A checkbox formula over the opportunity, its related records and facts."
    )
    message: str = strawberry.field(description="The message, with {!merge} fields.")
    recommendation: str | None = strawberry.field(
        default=None, description="What to do (for informative alerts)."
    )
    fix_fields: list[str] = strawberry.field(
        default_factory=list,
        description="Updateable Opportunity fields the rep must correct; at least one for "
        "FIX_REQUIRED.",
    )
    hold_seconds: int = strawberry.field(
        default=0, description="How long the condition must hold before an alert opens."
    )
    active: bool = True

    def to_draft(self) -> RuleDraft:
        return RuleDraft(
            name=self.name,
            kind=self.kind,
            severity=self.severity,
            condition=self.condition,
            message=self.message,
            recommendation=self.recommendation,
            fix_fields=tuple(self.fix_fields),
            hold_seconds=self.hold_seconds,
        )


@strawberry.input(
    description="The changes of an edit; a field left out keeps its value. Changing the "
    "condition or the fix fields resolves the current alerts (RULE_CHANGED) and evaluates "
    "anew; any other change keeps them and re-renders their messages."
)
class UpdateAlertRuleInput:
    name: str | None = None
    kind: AlertKind | None = None
    severity: Severity | None = None
    condition: str | None = None
    message: str | None = None
    recommendation: str | None = strawberry.field(
        default=strawberry.UNSET, description="null removes it."
    )
    fix_fields: list[str] | None = None
    hold_seconds: int | None = None
    active: bool | None = None

    def changes(self) -> dict[str, Any]:
        """The RuleDraft fields this edit sets."""
        given: dict[str, Any] = {
            "name": self.name,
            "kind": self.kind,
            "severity": self.severity,
            "condition": self.condition,
            "message": self.message,
            "fix_fields": None if self.fix_fields is None else tuple(self.fix_fields),
            "hold_seconds": self.hold_seconds,
        }
        changes = {name: value for name, value in given.items() if value is not None}
        if self.recommendation is not strawberry.UNSET:
            changes["recommendation"] = self.recommendation
        return changes


@strawberry.input(description="A condition (and optionally a message) to try; nothing is saved.")
class PreviewAlertRuleInput:
    condition: str
    message: str | None = strawberry.field(
        default=None, description="Rendered for each opportunity of the sample."
    )
