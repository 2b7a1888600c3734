"""SOQL over real HTTP: simple-salesforce's query, query_all (paging) and queryAll, the Tooling
API's ValidationRule, error statuses, and injected latency."""

from __future__ import annotations

import sqlite3
import time

import pytest
import requests
from simple_salesforce import Salesforce, format_soql
from simple_salesforce.exceptions import SalesforceMalformedRequest

from devorg.validation import RULES
from tests.devorg_server import RunningDevorg


@pytest.fixture
def sf(devorg: RunningDevorg) -> Salesforce:
    return devorg.sf("admin")


def count_rows(devorg: RunningDevorg, table: str) -> int:
    with sqlite3.connect(devorg.database) as conn:
        return int(
            conn.execute(f'SELECT COUNT(*) FROM "{table}" WHERE "IsDeleted" = 0').fetchone()[0]
        )


def test_query_all_follows_next_records_url_past_2000(
    devorg: RunningDevorg, sf: Salesforce
) -> None:
    expected = count_rows(devorg, "OpportunityHistory")
    assert expected > 2000, "the session org must have more history rows than one page"
    first = sf.query("SELECT Id FROM OpportunityHistory")
    assert len(first["records"]) == 2000
    assert first["done"] is False
    assert first["totalSize"] == expected
    every = sf.query_all("SELECT Id, Opportunity.StageName FROM OpportunityHistory")
    ids = [r["Id"] for r in every["records"]]
    assert len(ids) == len(set(ids)) == expected


def test_batch_size_header_sets_the_page_size(devorg: RunningDevorg, sf: Salesforce) -> None:
    response = requests.get(
        f"{devorg.api}/query/",
        params={"q": "SELECT Id FROM Opportunity"},
        headers={
            "Authorization": f"Bearer {sf.session_id}",
            "Sforce-Query-Options": "batchSize=250",
        },
        timeout=10,
    )
    page = response.json()
    assert len(page["records"]) == 250
    following = requests.get(
        devorg.url + page["nextRecordsUrl"],
        headers={"Authorization": f"Bearer {sf.session_id}"},
        timeout=10,
    ).json()
    assert len(following["records"]) == 250
    assert not {r["Id"] for r in page["records"]} & {r["Id"] for r in following["records"]}


def test_query_all_includes_deleted_records(sf: Salesforce) -> None:
    created = sf.Opportunity.create(
        {"Name": "to delete", "StageName": "Prospecting", "CloseDate": "2031-01-01"}
    )
    sf.Opportunity.delete(created["id"])
    soql = format_soql("SELECT Id, IsDeleted FROM Opportunity WHERE Id = {}", created["id"])
    assert sf.query(soql)["totalSize"] == 0
    deleted = sf.query_all(soql, include_deleted=True)["records"]
    assert [(r["Id"], r["IsDeleted"]) for r in deleted] == [(created["id"], True)]


def test_relationship_fields_come_back_nested(sf: Salesforce) -> None:
    record = sf.query(
        "SELECT Name, Account.Name, Owner.Name, Owner.Manager.Name FROM Opportunity "
        "WHERE Owner.ManagerId != null AND AccountId != null ORDER BY CloseDate DESC LIMIT 1"
    )["records"][0]
    assert record["Account"]["attributes"]["type"] == "Account"
    assert record["Owner"]["Name"]
    assert record["Owner"]["Manager"]["Name"]


def test_malformed_soql_and_unknown_fields_are_400(sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as malformed:
        sf.query("SELECT Id FORM Opportunity")
    assert malformed.value.status == 400
    assert malformed.value.content[0]["errorCode"] == "MALFORMED_QUERY"
    with pytest.raises(SalesforceMalformedRequest) as unknown:
        sf.query("SELECT Amont FROM Opportunity")
    assert unknown.value.content[0]["errorCode"] == "INVALID_FIELD"
    assert "Amont" in unknown.value.content[0]["message"]


def test_tooling_api_lists_the_validation_rules(sf: Salesforce) -> None:
    rules = sf.toolingexecute(
        "query/?q=SELECT+Id,ValidationName,Active,ErrorDisplayField,ErrorMessage+FROM+"
        "ValidationRule+WHERE+EntityDefinition.DeveloperName='Opportunity'"
    )["records"]
    assert {r["ValidationName"] for r in rules} == {rule.name for rule in RULES}
    assert all(r["Active"] for r in rules)
    # The formula is only in Metadata, and Metadata only comes one rule at a time.
    one = sf.toolingexecute(
        "query/?q="
        + format_soql("SELECT Metadata FROM ValidationRule WHERE Id = {}", rules[0]["Id"]).replace(
            " ", "+"
        )
    )["records"][0]
    rule = next(r for r in RULES if r.name == rules[0]["ValidationName"])
    assert one["Metadata"]["errorConditionFormula"] == rule.formula
    with pytest.raises(SalesforceMalformedRequest):
        sf.toolingexecute("query/?q=SELECT+Metadata+FROM+ValidationRule")


def test_injected_latency_delays_api_calls(devorg_faults: RunningDevorg) -> None:
    sf = devorg_faults.sf()
    devorg_faults.control("PUT", "faults", {"latency_ms": 300})
    started = time.monotonic()
    sf.limits()
    assert time.monotonic() - started >= 0.3
