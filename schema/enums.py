"""The domain's enums, registered with Strawberry as they are (declared once, in the layer that
owns them; GraphQL shows their member names). Import them from here in schema/ so the
registration has run before a type uses them."""

from __future__ import annotations

import strawberry

from auth.visibility import AccessLevel
from rules.alert_actions import DismissAlertErrorCode, SnoozeAlertErrorCode, UnsnoozeAlertErrorCode
from rules.definitions import AlertRuleErrorCode, MilestoneErrorCode
from rules.process import (
    AlertChangeKind,
    AlertKind,
    AlertStatus,
    AuditAction,
    AuditOutcome,
    CompletionHow,
    MilestoneCompletionMode,
    Resolution,
    RuleOrigin,
    Severity,
)
from rules.severity_weights import SeverityWeightErrorCode
from rules.write_outcomes import QuickFixErrorCode
from services.validation_import import ImportOutcome
from store.queries import SortDirection, SortField

strawberry.enum(
    AccessLevel, description="What the caller may see: own deals, their team's, or the org's."
)
strawberry.enum(SortField, name="OpportunitySortField")
strawberry.enum(SortDirection)


# The alert vocabulary of rules.process (stored by these names, shown by them).
strawberry.enum(AlertKind, description="INFORMATIVE: advice; FIX_REQUIRED: fields to correct.")
strawberry.enum(Severity, description="How much an open alert matters (and lowers health).")
strawberry.enum(RuleOrigin, description="Where a rule came from.")
strawberry.enum(
    AlertStatus,
    description="An alert's lifecycle. PENDING (the condition holds, not yet for the rule's "
    "hold time) is never shown: asking for it finds nothing.",
)
strawberry.enum(Resolution, description="Why a resolved alert was resolved.")
strawberry.enum(AlertChangeKind, description="What happened to an alert (live updates).")
strawberry.enum(SnoozeAlertErrorCode, description="Why an alert was not snoozed.")
strawberry.enum(UnsnoozeAlertErrorCode, description="Why an alert was not unsnoozed.")
strawberry.enum(DismissAlertErrorCode, description="Why an alert was not dismissed.")
strawberry.enum(AlertRuleErrorCode, description="Why an alert rule was not saved or previewed.")
strawberry.enum(ImportOutcome, description="What an import did with a validation rule.")

# The milestone vocabulary of rules.process (stored by these names, shown by them).
strawberry.enum(
    MilestoneCompletionMode,
    description="MANUAL: a rep completes it; FORMULA: its checkbox formula does, on evaluation.",
)
strawberry.enum(CompletionHow, description="How a completion was made.")
strawberry.enum(MilestoneErrorCode, description="Why a milestone mutation changed nothing.")
strawberry.enum(
    SeverityWeightErrorCode, description="Why a change of the severity weights saved nothing."
)

# The rep's writes (rules.process, rules.write_outcomes).
strawberry.enum(AuditAction, description="What a person's write was.")
strawberry.enum(AuditOutcome, description="How a write ended.")
strawberry.enum(
    QuickFixErrorCode,
    description="Why a field or a record was not written (quick-fix, check-in). The codes up "
    "to NOT_VISIBLE are dealpulse's own checks, made before any Salesforce call; "
    "FIELD_CUSTOM_VALIDATION_EXCEPTION to SESSION_EXPIRED come from Salesforce.",
)

__all__ = [
    "AccessLevel",
    "AlertChangeKind",
    "AlertKind",
    "AlertRuleErrorCode",
    "AlertStatus",
    "AuditAction",
    "AuditOutcome",
    "CompletionHow",
    "DismissAlertErrorCode",
    "ImportOutcome",
    "MilestoneCompletionMode",
    "MilestoneErrorCode",
    "QuickFixErrorCode",
    "Resolution",
    "RuleOrigin",
    "Severity",
    "SeverityWeightErrorCode",
    "SnoozeAlertErrorCode",
    "SortDirection",
    "SortField",
    "UnsnoozeAlertErrorCode",
]
