"""The Composite resource: many subrequests, one API call."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from typing import Any

import pytest
import requests
from simple_salesforce import Salesforce, format_soql
from simple_salesforce.exceptions import SalesforceMalformedRequest

from devorg import describe
from devorg.catalog import API_VERSION
from tests.devorg_server import RunningDevorg

BASE = f"/services/data/v{API_VERSION}"


@pytest.fixture
def sf(devorg: RunningDevorg) -> Salesforce:
    return devorg.sf("admin")


def composite(sf: Salesforce, *subrequests: dict[str, Any], all_or_none: bool = False) -> Any:
    body = {"allOrNone": all_or_none, "compositeRequest": list(subrequests)}
    return sf.restful("composite", method="POST", json=body)["compositeResponse"]


def get(ref: str, path: str) -> dict[str, Any]:
    return {"method": "GET", "url": f"{BASE}/{path}", "referenceId": ref}


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


def post_composite(devorg: RunningDevorg, sf: Salesforce, data: bytes) -> requests.Response:
    return requests.post(
        f"{devorg.api}/composite",
        data=data,
        headers={"Authorization": f"Bearer {sf.session_id}", "Content-Type": "application/json"},
        timeout=30,
    )


def test_a_subrequest_to_no_resource_answers_in_place(sf: Salesforce) -> None:
    answers = composite(
        sf,
        get("missing", "no/such/resource"),
        {"method": "PUT", "url": f"{BASE}/sobjects/Account", "referenceId": "wrongMethod"},
        get("limits", "limits"),
    )
    assert [a["httpStatusCode"] for a in answers] == [404, 405, 200]
    assert answers[0]["body"][0]["errorCode"] == "NOT_FOUND"
    assert answers[1]["body"][0]["errorCode"] == "METHOD_NOT_ALLOWED"


def test_all_or_none_rolls_back_and_ends_its_transaction_when_a_path_is_unknown(
    devorg: RunningDevorg, sf: Salesforce
) -> None:
    name = "Composite unknown path"
    answers = composite(
        sf,
        {
            "method": "POST",
            "url": f"{BASE}/sobjects/Account",
            "referenceId": "made",
            "body": {"Name": name},
        },
        get("missing", "no/such/resource"),
        all_or_none=True,
    )
    assert [a["body"][0]["errorCode"] for a in answers] == ["PROCESSING_HALTED", "NOT_FOUND"]
    later = sf.Account.create({"Name": "Composite written after"})["id"]
    # Another connection sees the later write only if no transaction was left open.
    with closing(sqlite3.connect(devorg.database)) as other:
        names = [
            r[0] for r in other.execute('SELECT "Name" FROM "Account" WHERE "Id" = ?', [later])
        ]
        leftovers = other.execute('SELECT COUNT(*) FROM "Account" WHERE "Name" = ?', [name])
        assert names == ["Composite written after"]
        assert leftovers.fetchone()[0] == 0


def test_a_subrequest_bug_answers_500_in_place(
    sf: Salesforce, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr(describe, "describe_sobject", broken)
    answers = composite(
        sf,
        get("broken", "sobjects/Account/describe"),
        get("limits", "limits"),
    )
    assert [a["httpStatusCode"] for a in answers] == [500, 200]
    assert answers[0]["body"][0]["errorCode"] == "UNKNOWN_EXCEPTION"


def test_a_composite_request_cannot_nest_another(sf: Salesforce) -> None:
    inner = {"compositeRequest": [query("inner", "SELECT Id FROM User LIMIT 1")]}
    for url in (f"{BASE}/composite", f"{BASE}/composite/"):
        (answer,) = composite(
            sf, {"method": "POST", "url": url, "referenceId": "nested", "body": inner}
        )
        assert answer["httpStatusCode"] == 400
        assert answer["body"][0]["errorCode"] == "INVALID_INPUT"


def test_a_subrequest_path_is_percent_decoded(sf: Salesforce) -> None:
    (answer,) = composite(sf, get("d", "sobjects/Acc%6Funt/describe"))
    assert answer["httpStatusCode"] == 200
    assert answer["body"]["name"] == "Account"


@pytest.mark.parametrize(
    "data",
    [
        b"[" * 100_000 + b"]" * 100_000,
        b'{"compositeRequest": [' + b"[" * 5_000 + b"]" * 5_000 + b"]}",
        b'{"compositeRequest": ' + b"1" * 5_000 + b"}",
        b'{"compositeRequest": NaN}',
        b"\xff\xfe",
        b"",
        b'{"compositeRequest": [' + b" " * (9 * 1024 * 1024) + b"]}",
    ],
    ids=["deep", "deep-inside", "huge-int", "nan", "not-utf8", "empty", "over-8-mb"],
)
def test_hostile_json_is_400(devorg: RunningDevorg, sf: Salesforce, data: bytes) -> None:
    response = post_composite(devorg, sf, data)
    assert response.status_code == 400
    assert response.json()[0]["errorCode"] in ("JSON_PARSER_ERROR", "INVALID_INPUT")


@pytest.mark.parametrize(
    "subrequest",
    [
        {"method": [], "url": f"{BASE}/limits", "referenceId": "a"},
        {"method": {"GET": 1}, "url": f"{BASE}/limits", "referenceId": "a"},
        {"method": "GET", "url": ["x"], "referenceId": "a"},
        {"method": "GET", "url": f"{BASE}/limits", "referenceId": {"a": 1}},
        {"method": "GET", "url": "/services/oauth2/userinfo", "referenceId": "a"},
    ],
)
def test_subrequests_of_the_wrong_shape_are_400(
    devorg: RunningDevorg, sf: Salesforce, subrequest: dict[str, Any]
) -> None:
    response = post_composite(devorg, sf, json.dumps({"compositeRequest": [subrequest]}).encode())
    assert response.status_code == 400
    assert response.json()[0]["errorCode"] == "INVALID_INPUT"


def test_references_that_do_not_resolve_fail_their_subrequest(sf: Salesforce) -> None:
    answers = composite(
        sf,
        get("limits", "limits"),
        get("a", "sobjects/Account/@{later.id}"),
        get("b", "sobjects/Account/@{limits.nope}"),
        get("c", "sobjects/Account/@{limits[0]}"),
        get("later", "limits"),
    )
    assert [a["httpStatusCode"] for a in answers] == [200, 400, 400, 400, 200]
