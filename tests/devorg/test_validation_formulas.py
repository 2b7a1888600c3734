"""devorg runs the stored validation-rule formulas with the formula engine: editing a rule's
formula changes what a write is refused for, as it would in Salesforce."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from simple_salesforce.exceptions import SalesforceMalformedRequest

from tests.devorg_server import RunningDevorg, start_devorg


@pytest.fixture(scope="module")
def private_org(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDevorg]:
    running = start_devorg(Path(tmp_path_factory.mktemp("rules")), opportunities=20, seed=3)
    yield running
    running.stop()


def set_formula(org: RunningDevorg, rule: str, formula: str, *, active: bool = True) -> None:
    with sqlite3.connect(org.database) as conn:
        conn.execute(
            'UPDATE "ValidationRule" SET "_Formula" = ?, "Active" = ? WHERE "ValidationName" = ?',
            [formula, int(active), rule],
        )


def test_an_edited_formula_is_what_refuses_the_write(private_org: RunningDevorg) -> None:
    sf = private_org.sf()
    deal = {"Name": "Big one", "StageName": "Prospecting", "CloseDate": "2031-01-31"}
    set_formula(private_org, "Amount_Required_Late_Stage", "Amount > 1000000")
    with pytest.raises(SalesforceMalformedRequest) as refused:
        sf.Opportunity.create({**deal, "Amount": 2_000_000})
    error = refused.value.content[0]
    assert error["errorCode"] == "FIELD_CUSTOM_VALIDATION_EXCEPTION"
    assert error["fields"] == ["Amount"]
    assert sf.Opportunity.create({**deal, "Amount": 900_000})["success"]


def test_an_inactive_rule_does_not_run(private_org: RunningDevorg) -> None:
    set_formula(private_org, "Decision_Maker_Before_Proposal", "true", active=False)
    created = private_org.sf().Opportunity.create(
        {"Name": "Inactive", "StageName": "Prospecting", "CloseDate": "2031-01-31"}
    )
    assert created["success"]


def test_a_blank_result_does_not_fire(private_org: RunningDevorg) -> None:
    # Amount is blank: "Amount < 5" is unknown, which never refuses a write.
    set_formula(private_org, "Next_Meeting_Not_In_Past", "Amount < 5")
    created = private_org.sf().Opportunity.create(
        {"Name": "No amount", "StageName": "Prospecting", "CloseDate": "2031-01-31"}
    )
    assert created["success"]
