"""The org's validation rules through the Tooling API: one query for the list, one per rule for
its Metadata (Salesforce refuses Metadata for more than one row), over devorg's real HTTP."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest

from devorg import validation
from rules.validation_import import ValidationRuleRecord
from salesforce.errors import SalesforceRequestError
from salesforce.validation_rules import list_query, metadata_query, read_validation_rules
from tests.devorg_server import RunningDevorg
from tests.salesforce.conftest import gateway


def test_the_active_rules_with_their_formulas_in_one_call_each(devorg: RunningDevorg) -> None:
    gw = gateway(devorg)
    gw.connect()
    before = gw.api_calls
    rules = gw.validation_rules()
    assert gw.api_calls - before == 1 + len(validation.RULES)  # the list, then one per rule
    by_name = {r.name: r for r in validation.RULES}
    assert [r.name for r in rules] == sorted(by_name)
    for got in rules:
        seeded = by_name[got.name]
        assert got == ValidationRuleRecord(
            id=got.id,
            name=seeded.name,
            active=True,
            description=seeded.description,
            error_message=seeded.message,
            error_display_field=seeded.display_field,
            formula=seeded.formula,
        )
        assert len(got.id) == 18
        assert got.id.startswith("03d")
    top_of_page = [r.name for r in rules if r.error_display_field is None]
    assert top_of_page == ["Decision_Maker_Before_Proposal"]


def test_metadata_of_every_rule_at_once_is_refused(devorg: RunningDevorg) -> None:
    gw = gateway(devorg)
    with pytest.raises(SalesforceRequestError) as refused:
        gw.tooling_query_all(list_query("Opportunity").replace("SELECT Id,", "SELECT Metadata,"))
    assert refused.value.code == "MALFORMED_QUERY"
    assert "no more than one row" in refused.value.message


@pytest.fixture
def one_rule_inactive(small_devorg: RunningDevorg) -> Iterator[RunningDevorg]:
    def set_active(active: bool) -> None:
        with sqlite3.connect(small_devorg.database) as conn:
            conn.execute(
                'UPDATE "ValidationRule" SET "Active" = ? WHERE "ValidationName" = ?',
                [int(active), "Next_Meeting_Not_In_Past"],
            )

    set_active(False)
    yield small_devorg
    set_active(True)


def test_inactive_rules_are_left_out(one_rule_inactive: RunningDevorg) -> None:
    names = [r.name for r in gateway(one_rule_inactive).validation_rules()]
    assert "Next_Meeting_Not_In_Past" not in names
    assert len(names) == len(validation.RULES) - 1


def test_a_rule_deleted_between_the_two_queries_is_left_out() -> None:
    listed = [{"Id": f"03d00000000000{n}AAA", "ValidationName": f"R{n}", "Active": True}
              for n in (1, 2)]  # fmt: skip
    asked: list[str] = []

    def tooling_query(soql: str) -> list[Any]:
        asked.append(soql)
        if soql == list_query("Opportunity"):
            return listed
        if soql == metadata_query(str(listed[0]["Id"])):
            return []  # deleted meanwhile
        metadata = {"errorConditionFormula": "ISBLANK(Amount)", "errorMessage": "Amount!"}
        return [{"Id": listed[1]["Id"], "Metadata": metadata}]

    [rule] = read_validation_rules(tooling_query, "Opportunity")
    assert (rule.name, rule.formula, rule.error_message, rule.error_display_field) == (
        "R2", "ISBLANK(Amount)", "Amount!", None,
    )  # fmt: skip
    assert len(asked) == 3


def test_the_queries_quote_their_values() -> None:
    assert list_query("Opportunity") == (
        "SELECT Id, ValidationName, Active, Description, ErrorDisplayField, ErrorMessage "
        "FROM ValidationRule WHERE EntityDefinition.QualifiedApiName = 'Opportunity' "
        "AND Active = true ORDER BY ValidationName"
    )
    assert metadata_query("03d' OR Id != '") == (
        "SELECT Id, Metadata FROM ValidationRule WHERE Id = '03d\\' OR Id != \\''"
    )
