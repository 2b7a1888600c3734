"""The sales process's vocabulary: the enums of milestones, alert rules, alerts and the audit
trail of writes, declared once (registered with Strawberry as they are, stored by name in
store.process_models and store.write_models).

Health's default severity weights live here too (documented in the README): the points an
open alert of each severity takes off an opportunity's health, unless the org sets its own.
"""

from __future__ import annotations

from enum import Enum


class MilestoneCompletionMode(Enum):
    MANUAL = "MANUAL"  # a rep completes it by hand
    FORMULA = "FORMULA"  # a checkbox formula completes it on evaluation


class CompletionHow(Enum):
    """How a completion was made."""

    MANUAL = "MANUAL"
    FORMULA = "FORMULA"


class AlertKind(Enum):
    INFORMATIVE = "INFORMATIVE"
    FIX_REQUIRED = "FIX_REQUIRED"


class Severity(Enum):
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"
    CRITICAL = "CRITICAL"


class RuleOrigin(Enum):
    MANUAL = "MANUAL"
    VALIDATION_RULE = "VALIDATION_RULE"
    RECOMMENDED = "RECOMMENDED"


class AlertStatus(Enum):
    # The condition holds but not yet for the rule's hold time: stored, never shown.
    PENDING = "PENDING"
    OPEN = "OPEN"
    SNOOZED = "SNOOZED"
    DISMISSED = "DISMISSED"  # informative alerts only
    RESOLVED = "RESOLVED"


# The statuses clients see and filter on.
VISIBLE_STATUSES = (
    AlertStatus.OPEN,
    AlertStatus.SNOOZED,
    AlertStatus.DISMISSED,
    AlertStatus.RESOLVED,
)
# The statuses of an alert that is still live (not RESOLVED): one per rule x opportunity.
LIVE_STATUSES = (AlertStatus.PENDING, AlertStatus.OPEN, AlertStatus.SNOOZED, AlertStatus.DISMISSED)


class Resolution(Enum):
    CONDITION_CLEARED = "CONDITION_CLEARED"
    RULE_CHANGED = "RULE_CHANGED"
    RULE_RETIRED = "RULE_RETIRED"
    OPPORTUNITY_CLOSED = "OPPORTUNITY_CLOSED"
    OPPORTUNITY_DELETED = "OPPORTUNITY_DELETED"


class AlertEventKind(Enum):
    OPENED = "OPENED"
    SNOOZED = "SNOOZED"
    REOPENED = "REOPENED"  # a snooze expired with the condition still holding
    DISMISSED = "DISMISSED"
    RESOLVED = "RESOLVED"
    RERENDERED = "RERENDERED"  # the rule's message, severity or recommendation was edited


# Points an open (or snoozed) alert takes off health, by severity.
DEFAULT_SEVERITY_WEIGHTS: dict[Severity, int] = {
    Severity.LOW: 2,
    Severity.MEDIUM: 5,
    Severity.HIGH: 10,
    Severity.CRITICAL: 20,
}


class AlertChangeKind(Enum):
    """What a live update says happened to an alert (`alertsChanged`): the AlertEventKinds a
    person's to-do list follows (a re-rendered message is not one)."""

    OPENED = "OPENED"
    RESOLVED = "RESOLVED"
    SNOOZED = "SNOOZED"
    REOPENED = "REOPENED"
    DISMISSED = "DISMISSED"


class AuditAction(Enum):
    """What a person's write was (stored by name in store.write_models.AuditEntry)."""

    QUICK_FIX = "QUICK_FIX"  # fields of an opportunity corrected from a fix-alert's editor
    CHECK_IN = "CHECK_IN"  # a note (a completed Task), optionally a new next step
    SNOOZE = "SNOOZE"
    UNSNOOZE = "UNSNOOZE"
    DISMISS = "DISMISS"
    MILESTONE = "MILESTONE"  # a manual milestone completed or un-completed


class AuditOutcome(Enum):
    """How a write ended."""

    APPLIED = "APPLIED"
    REFUSED = "REFUSED"  # refused before anything was written: permission, validation
    CONFLICT = "CONFLICT"  # the record changed since the caller read it (412 from Salesforce)
    FAILED = "FAILED"  # Salesforce or the store failed
