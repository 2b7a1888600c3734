"""What the alert API's tests share: an org's Opportunity describe (the catalog rules are
checked against) and the GraphQL documents they send (their payloads are read with
tests.api.payloads.payload_of, as the milestone tests' are)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from store import alert_rules
from store.process_models import AlertRule
from tests import factories as f
from tests.api.payloads import errors_selection

DESCRIBE_FIELDS: list[dict[str, Any]] = [
    {"name": "Id", "label": "Opportunity ID", "type": "id", "updateable": False},
    {"name": "Name", "label": "Name", "type": "string", "updateable": True},
    {"name": "Amount", "label": "Amount", "type": "currency", "updateable": True},
    {"name": "CloseDate", "label": "Close Date", "type": "date", "updateable": True},
    {"name": "StageName", "label": "Stage", "type": "picklist", "updateable": True},
    {"name": "NextStep", "label": "Next Step", "type": "string", "updateable": True},
    {"name": "CreatedDate", "label": "Created Date", "type": "datetime", "updateable": False},
]

ERRORS = errors_selection("AlertRuleError")
RULE = (
    "id name kind severity condition message recommendation fixFields { name } "
    "holdSeconds active origin version retiredAt author { name }"
)
CREATE = f"""mutation($input: CreateAlertRuleInput!) {{ createAlertRule(input: $input) {{
  alertRule {{ {RULE} }} {ERRORS} }} }}"""
UPDATE = f"""mutation($id: ID!, $input: UpdateAlertRuleInput!) {{
  updateAlertRule(id: $id, input: $input) {{ alertRule {{ {RULE} }} {ERRORS} }} }}"""
RETIRE = f"""mutation($id: ID!) {{ retireAlertRule(id: $id) {{
  alertRule {{ {RULE} }} {ERRORS} }} }}"""
PREVIEW = f"""query($input: PreviewAlertRuleInput!) {{ previewAlertRule(input: $input) {{
  matchCount amount sample {{ opportunity {{ id name }} message }} {ERRORS} }} }}"""


def org_with_describe(engine: Engine, org_id: str = f.ORG_A) -> f.Team:
    team = f.team(engine, org_id)
    f.catalog(engine, org_id, DESCRIBE_FIELDS)
    return team


def rule_input(**values: Any) -> dict[str, Any]:
    """A valid createAlertRule input, overridden by `values`."""
    return {
        "name": "Close date in the past",
        "kind": "FIX_REQUIRED",
        "severity": "HIGH",
        "condition": "CloseDate < TODAY()",
        "message": "Close date {!CloseDate} has passed",
        "fixFields": ["CloseDate"],
        **values,
    }


def stored_rules(engine: Engine, org_id: str = f.ORG_A) -> list[AlertRule]:
    return alert_rules.list_rules(engine, org_id, include_retired=True)
