"""The Composite resource: many subrequests, one API call."""

from __future__ import annotations

from typing import Any

import pytest
from simple_salesforce import Salesforce, format_soql
from simple_salesforce.exceptions import SalesforceMalformedRequest

from devorg.catalog import API_VERSION
from tests.devorg_server import RunningDevorg

BASE = f"/services/data/v{API_VERSION}"


@pytest.fixture
def sf(devorg: RunningDevorg) -> Salesforce:
    return devorg.sf("admin")


def composite(sf: Salesforce, *subrequests: dict[str, Any], all_or_none: bool = False) -> Any:
    body = {"allOrNone": all_or_none, "compositeRequest": list(subrequests)}
    return sf.restful("composite", method="POST", json=body)["compositeResponse"]


def query(ref: str, soql: str, kind: str = "query") -> dict[str, Any]:
    return {"method": "GET", "url": f"{BASE}/{kind}/?q={soql}", "referenceId": ref}


def test_five_queries_cost_one_api_call(sf: Salesforce) -> None:
    sf.limits()
    before = sf.api_usage["api-usage"].used
    answers = composite(
        sf,
        query("opps", "SELECT Id FROM Opportunity LIMIT 3"),
        query("deleted", "SELECT Id FROM Opportunity WHERE IsDeleted = true", "queryAll"),
        query("history", "SELECT Id FROM OpportunityHistory LIMIT 2"),
        query("stages", "SELECT COUNT() FROM OpportunityStage"),
        query("users", "SELECT Id FROM User LIMIT 1"),
    )
    assert sf.api_usage["api-usage"].used == before + 1
    assert [a["httpStatusCode"] for a in answers] == [200] * 5
    assert len(answers[0]["body"]["records"]) == 3
    assert answers[3]["body"]["totalSize"] == 10


def test_more_than_five_queries_are_refused(sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest):
        composite(sf, *(query(f"q{i}", "SELECT Id FROM User LIMIT 1") for i in range(6)))


def test_references_feed_later_subrequests(sf: Salesforce) -> None:
    answers = composite(
        sf,
        {
            "method": "POST",
            "url": f"{BASE}/sobjects/Opportunity",
            "referenceId": "created",
            "body": {"Name": "Composite", "StageName": "Prospecting", "CloseDate": "2031-05-01"},
        },
        {
            "method": "GET",
            "url": f"{BASE}/sobjects/Opportunity/@{{created.id}}?fields=Name,Probability",
            "referenceId": "read",
        },
    )
    assert answers[0]["httpStatusCode"] == 201
    assert answers[1]["body"]["Name"] == "Composite"
    assert answers[1]["body"]["Probability"] == 10.0


def test_all_or_none_rolls_back_earlier_writes(sf: Salesforce) -> None:
    name = "Composite rolled back"
    answers = composite(
        sf,
        {
            "method": "POST",
            "url": f"{BASE}/sobjects/Opportunity",
            "referenceId": "good",
            "body": {"Name": name, "StageName": "Prospecting", "CloseDate": "2031-05-01"},
        },
        {
            "method": "POST",
            "url": f"{BASE}/sobjects/Opportunity",
            "referenceId": "bad",
            "body": {"Name": name, "StageName": "No such stage", "CloseDate": "2031-05-01"},
        },
        all_or_none=True,
    )
    assert answers[0]["body"][0]["errorCode"] == "PROCESSING_HALTED"
    assert answers[1]["body"][0]["errorCode"] == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    assert (
        sf.query(format_soql("SELECT Id FROM Opportunity WHERE Name = {}", name))["totalSize"] == 0
    )


def test_hostile_bodies_are_400(sf: Salesforce) -> None:
    for body in ({}, {"compositeRequest": "x"}, {"compositeRequest": [{"method": "GET"}]}):
        with pytest.raises(SalesforceMalformedRequest):
            sf.restful("composite", method="POST", json=body)
