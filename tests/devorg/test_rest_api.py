"""devorg's REST resources over real HTTP, through simple-salesforce and plain requests."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from simple_salesforce import Salesforce, format_soql
from simple_salesforce.exceptions import (
    SalesforceExpiredSession,
    SalesforceGeneralError,
    SalesforceMalformedRequest,
    SalesforceRefusedRequest,
    SalesforceResourceNotFound,
)

from devorg.catalog import API_VERSION
from salesforce.devorg_transport import DevorgSession
from tests.devorg_server import RunningDevorg

GOOD = {"Name": "REST test", "StageName": "Prospecting", "CloseDate": "2030-01-31"}


@pytest.fixture
def sf(devorg: RunningDevorg) -> Salesforce:
    return devorg.sf("admin")


def call(devorg: RunningDevorg, sf: Salesforce, method: str, path: str, **kw: Any) -> Any:
    headers = {"Authorization": f"Bearer {sf.session_id}", **kw.pop("headers", {})}
    return requests.request(method, devorg.api + path, headers=headers, timeout=10, **kw)


def errors(response: requests.Response) -> list[tuple[str, list[str] | None]]:
    return [(e["errorCode"], e.get("fields")) for e in response.json()]


def new_opp(sf: Salesforce, **fields: Any) -> str:
    return str(sf.Opportunity.create({**GOOD, **fields})["id"])


# -- metadata ----------------------------------------------------------------------------------
def test_resources_limits_and_usage_header(devorg: RunningDevorg, sf: Salesforce) -> None:
    assert call(devorg, sf, "GET", "/").json()["sobjects"].endswith("/sobjects")
    limits = sf.limits()
    daily = limits["DailyApiRequests"]
    assert daily["Max"] == 1_000_000
    assert 0 < daily["Remaining"] < daily["Max"]
    assert {"DataStorageMB", "DailyBulkApiBatches", "SingleEmail"} <= set(limits)
    used = sf.api_usage["api-usage"]
    assert used.total == 1_000_000
    assert used.used >= 1
    response = call(devorg, sf, "GET", "/limits")
    assert response.headers["Sforce-Limit-Info"].startswith("api-usage=")


def test_global_describe(sf: Salesforce) -> None:
    result = sf.describe()
    assert result is not None
    assert result["maxBatchSize"] == 200
    by_name = {o["name"]: o for o in result["sobjects"]}
    assert by_name["Opportunity"]["keyPrefix"] == "006"
    assert by_name["OpportunityHistory"]["createable"] is False
    assert "ValidationRule" not in by_name  # Tooling only
    assert by_name["Opportunity"]["urls"]["describe"].endswith("/sobjects/Opportunity/describe")


def test_object_describe(sf: Salesforce) -> None:
    result = sf.Opportunity.describe()
    fields = {f["name"]: f for f in result["fields"]}
    stage = fields["StageName"]
    assert stage["restrictedPicklist"] is True
    assert stage["picklistValues"][0] == {
        "active": True, "defaultValue": False, "label": "Prospecting", "validFor": None,
        "value": "Prospecting",
    }  # fmt: skip
    assert (fields["Amount"]["precision"], fields["Amount"]["scale"]) == (18, 2)
    assert fields["ExpectedRevenue"]["calculated"] is True
    assert fields["IsWon"]["updateable"] is False
    assert fields["AccountId"]["referenceTo"] == ["Account"]
    assert fields["AccountId"]["relationshipName"] == "Account"
    assert fields["Id"]["soapType"] == "tns:ID"
    children = {c["relationshipName"]: c for c in result["childRelationships"]}
    assert children["OpportunityHistories"]["childSObject"] == "OpportunityHistory"
    assert children["Histories"]["childSObject"] == "OpportunityFieldHistory"
    basic = sf.Opportunity.metadata()
    assert basic["objectDescribe"]["name"] == "Opportunity"
    assert isinstance(basic["recentItems"], list)


def test_unknown_and_tooling_objects_are_not_found(devorg: RunningDevorg, sf: Salesforce) -> None:
    for path in ("/sobjects/Nope/describe", "/sobjects/ValidationRule/describe"):
        response = call(devorg, sf, "GET", path)
        assert response.status_code == 404
        assert response.json() == [
            {"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}
        ]
    with pytest.raises(SalesforceResourceNotFound):
        sf.Nope.describe()


# -- rows --------------------------------------------------------------------------------------
def test_create_read_update_delete(devorg: RunningDevorg, sf: Salesforce) -> None:
    opp_id = new_opp(sf, Amount=1000)
    record = sf.Opportunity.get(opp_id[:15])
    assert record["attributes"] == {
        "type": "Opportunity", "url": f"/services/data/v{API_VERSION}/sobjects/Opportunity/{opp_id}"
    }  # fmt: skip
    assert (record["Id"], record["Probability"], record["ExpectedRevenue"]) == (opp_id, 10.0, 100.0)
    assert record["IsWon"] is False
    subset = call(devorg, sf, "GET", f"/sobjects/Opportunity/{opp_id}?fields=Name,amount").json()
    assert set(subset) == {"attributes", "Name", "Amount"}
    assert sf.Opportunity.update(opp_id, {"Amount": 2000}) == 204
    assert sf.Opportunity.get(opp_id)["Amount"] == 2000.0
    assert sf.Opportunity.delete(opp_id) == 204
    with pytest.raises(SalesforceResourceNotFound):
        sf.Opportunity.get(opp_id)
    for method in ("PATCH", "DELETE"):
        response = call(devorg, sf, method, f"/sobjects/Opportunity/{opp_id}", json={})
        assert response.status_code == 404
        assert errors(response) == [("ENTITY_IS_DELETED", [])]
    rows = sf.query_all(format_soql("SELECT Id, IsDeleted FROM Opportunity WHERE Id = {}", opp_id),
                        include_deleted=True)["records"]  # fmt: skip
    assert rows[0]["IsDeleted"] is True


@pytest.mark.parametrize(
    ("record_id", "message"),
    [
        ("not-an-id", "Provided external ID field does not exist or is not accessible: not-an-id"),
        ("006000000000zzzAAA", "The requested resource does not exist"),
        ("001000000000001AAA", "The requested resource does not exist"),
    ],
)
def test_bad_record_ids_are_not_found(
    devorg: RunningDevorg, sf: Salesforce, record_id: str, message: str
) -> None:
    for method in ("GET", "PATCH", "DELETE"):
        response = call(devorg, sf, method, f"/sobjects/Opportunity/{record_id}", json={})
        assert response.status_code == 404
        assert response.json()[0]["message"] == message


def test_unknown_field_in_fields_parameter(devorg: RunningDevorg, sf: Salesforce) -> None:
    opp_id = new_opp(sf)
    response = call(devorg, sf, "GET", f"/sobjects/Opportunity/{opp_id}?fields=Nope")
    assert response.status_code == 400
    assert response.json()[0]["errorCode"] == "INVALID_FIELD"


@pytest.mark.parametrize(
    ("data", "code", "fields"),
    [
        ({"Foo": 1}, "INVALID_FIELD", ["Foo"]),
        ({"IsWon": True}, "INVALID_FIELD_FOR_INSERT_UPDATE", ["IsWon"]),
        ({"Amount": "abc"}, "JSON_PARSER_ERROR", None),
        ({"CloseDate": "31/01/2030"}, "JSON_PARSER_ERROR", None),
        ({"StageName": "Foo"}, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", ["StageName"]),
        ({"Name": "x" * 121}, "STRING_TOO_LONG", ["Name"]),
        ({"CloseDate": None}, "REQUIRED_FIELD_MISSING", ["CloseDate"]),
        ({"AccountId": "abc"}, "MALFORMED_ID", ["AccountId"]),
        ({"AccountId": "001000000000zzzAAA"}, "INVALID_CROSS_REFERENCE_KEY", []),
        ({"Amount": 1e20}, "NUMBER_OUTSIDE_VALID_RANGE", ["Amount"]),
    ],
)
def test_write_errors(
    devorg: RunningDevorg, sf: Salesforce, data: dict[str, Any], code: str, fields: list[str] | None
) -> None:
    response = call(devorg, sf, "POST", "/sobjects/Opportunity/", json={**GOOD, **data})
    assert response.status_code == 400
    assert errors(response) == [(code, fields)]
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.Opportunity.update(new_opp(sf), data)
    assert exc.value.content[0]["errorCode"] == code


def test_restricted_picklist_message(devorg: RunningDevorg, sf: Salesforce) -> None:
    response = call(devorg, sf, "POST", "/sobjects/Opportunity", json={**GOOD, "StageName": "Foo"})
    assert response.json()[0]["message"] == "Stage: bad value for restricted picklist field: Foo"


@pytest.mark.parametrize(
    ("content", "content_type", "status"),
    [
        (b"[1, 2]", "application/json", 400),
        (b'"text"', "application/json", 400),
        (b'{"Name": {"nested": [1, {"a": null}]}}', "application/json", 400),
        (b"{not json", "application/json", 400),
        (b"\xff\xfe\x00", "application/json", 400),
        (b"Name=x", "application/x-www-form-urlencoded", 415),
        (b'{"Name": "' + b"x" * 200_000 + b'"}', "application/json", 400),
    ],
)
def test_hostile_bodies_never_500(
    devorg: RunningDevorg, sf: Salesforce, content: bytes, content_type: str, status: int
) -> None:
    opp_id = new_opp(sf)
    targets = [
        ("POST", "/sobjects/Opportunity/"),
        ("PATCH", f"/sobjects/Opportunity/{opp_id}"),
        ("POST", "/composite/sobjects"),
        ("PATCH", "/composite/sobjects"),
    ]
    for method, path in targets:
        response = call(
            devorg, sf, method, path, data=content, headers={"Content-Type": content_type}
        )
        assert response.status_code == status, (method, path, response.text[:200])
        assert isinstance(response.json(), list)


def test_not_createable_object(devorg: RunningDevorg, sf: Salesforce) -> None:
    response = call(devorg, sf, "POST", "/sobjects/OpportunityHistory/", json={})
    assert response.status_code == 400
    assert response.json()[0]["errorCode"] == "INVALID_TYPE_FOR_OPERATION"


# -- semantics ---------------------------------------------------------------------------------
def test_stage_change_derives_fields_and_writes_history(sf: Salesforce) -> None:
    opp_id = new_opp(sf, Amount=1000)
    before = sf.Opportunity.get(opp_id)
    sf.Opportunity.update(opp_id, {"StageName": "Closed Won"})
    sf.Opportunity.update(opp_id, {"Amount": 1500})
    sf.Opportunity.update(opp_id, {"CloseDate": "2030-03-01"})
    after = sf.Opportunity.get(opp_id)
    assert (after["IsClosed"], after["IsWon"], after["Probability"]) == (True, True, 100.0)
    assert (after["ForecastCategoryName"], after["ForecastCategory"]) == ("Closed", "Closed")
    assert after["SystemModstamp"] > before["SystemModstamp"]
    assert after["LastModifiedById"] == after["CreatedById"] == after["OwnerId"]
    history = sf.query_all(
        format_soql(
            "SELECT StageName, FromOpportunityStageName, Amount, PrevAmount, CloseDate, "
            "PrevCloseDate FROM OpportunityHistory WHERE OpportunityId = {} ORDER BY CreatedDate",
            opp_id,
        )
    )["records"]
    assert [(h["FromOpportunityStageName"], h["StageName"]) for h in history] == [
        (None, "Prospecting"), ("Prospecting", "Closed Won"), ("Closed Won", "Closed Won"),
        ("Closed Won", "Closed Won"),
    ]  # fmt: skip
    assert (history[2]["PrevAmount"], history[2]["Amount"]) == (1000.0, 1500.0)
    assert (history[3]["PrevCloseDate"], history[3]["CloseDate"]) == ("2030-01-31", "2030-03-01")
    changed = sf.query_all(
        format_soql("SELECT Field FROM OpportunityFieldHistory WHERE OpportunityId = {}", opp_id)
    )["records"]
    assert {"created", "StageName", "Amount", "CloseDate"} <= {c["Field"] for c in changed}


def test_system_modstamp_moves_on_every_write(sf: Salesforce) -> None:
    opp_id = new_opp(sf)
    stamps = [sf.Opportunity.get(opp_id)["SystemModstamp"]]
    for _ in range(3):
        sf.Opportunity.update(opp_id, {"NextStep": "same"})
        stamps.append(sf.Opportunity.get(opp_id)["SystemModstamp"])
    assert stamps == sorted(set(stamps))


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"StageName": "Proposal/Price Quote", "Decision_Maker__c": "Ann"}, "Amount"),
        ({"StageName": "Negotiation/Review", "Amount": 10}, None),  # shown at the top
        ({"Next_Meeting_Date__c": "2001-01-01"}, "Next_Meeting_Date__c"),
    ],
)
def test_validation_rules(sf: Salesforce, data: dict[str, Any], field: str | None) -> None:
    opp_id = new_opp(sf)
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.Opportunity.update(opp_id, data)
    [error] = exc.value.content
    fields = [field] if field else []
    assert (error["errorCode"], error["fields"]) == ("FIELD_CUSTOM_VALIDATION_EXCEPTION", fields)
    assert sf.Opportunity.get(opp_id)["StageName"] == "Prospecting"


def test_stale_record_fails_unrelated_update(devorg: RunningDevorg, sf: Salesforce) -> None:
    opp_id = new_opp(sf)
    with sqlite3.connect(devorg.database) as conn:  # the data went stale in the org
        conn.execute('UPDATE "Opportunity" SET "Next_Meeting_Date__c" = ? WHERE "Id" = ?',
                     ["2001-01-01", opp_id])  # fmt: skip
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.Opportunity.update(opp_id, {"NextStep": "Call the buyer"})
    assert exc.value.content[0]["fields"] == ["Next_Meeting_Date__c"]


def test_task_updates_last_activity_date(sf: Salesforce) -> None:
    opp_id = new_opp(sf)
    sf.Task.create({"WhatId": opp_id, "Subject": "Call", "Status": "Completed",
                    "ActivityDate": "2024-05-02"})  # fmt: skip
    assert sf.Opportunity.get(opp_id)["LastActivityDate"] == "2024-05-02"


# -- collections -------------------------------------------------------------------------------
def _collection(*records: dict[str, Any], all_or_none: bool) -> dict[str, Any]:
    typed = [{"attributes": {"type": "Opportunity"}, **r} for r in records]
    return {"allOrNone": all_or_none, "records": typed}


def test_collections_create_and_update(sf: Salesforce) -> None:
    created = sf.restful("composite/sobjects", method="POST",
                         json=_collection(GOOD, {"Name": "x"}, all_or_none=False))  # fmt: skip
    assert [r["success"] for r in created] == [True, False]
    assert created[1]["errors"][0]["statusCode"] == "REQUIRED_FIELD_MISSING"
    updated = sf.restful(
        "composite/sobjects", method="PATCH",
        json=_collection({"id": created[0]["id"], "Amount": 7}, {"id": "006000000000zzzAAA"},
                         all_or_none=False),
    )  # fmt: skip
    assert [r["success"] for r in updated] == [True, False]
    assert sf.Opportunity.get(created[0]["id"])["Amount"] == 7.0


def test_collections_all_or_none(sf: Salesforce) -> None:
    opp_id = new_opp(sf, Amount=1)
    result = sf.restful(
        "composite/sobjects", method="PATCH",
        json=_collection({"id": opp_id, "Amount": 2}, {"id": opp_id, "StageName": "Nope"},
                         all_or_none=True),
    )  # fmt: skip
    assert [r["errors"][0]["statusCode"] for r in result] == [
        "ALL_OR_NONE_OPERATION_ROLLED_BACK", "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
    ]  # fmt: skip
    assert sf.Opportunity.get(opp_id)["Amount"] == 1.0


def test_collections_limits(devorg: RunningDevorg, sf: Salesforce) -> None:
    response = call(devorg, sf, "POST", "/composite/sobjects",
                    json=_collection(*[GOOD] * 201, all_or_none=False))  # fmt: skip
    assert response.status_code == 400
    assert response.json()[0]["errorCode"] == "EXCEEDED_ID_LIMIT"
    first, second = new_opp(sf), new_opp(sf)
    deleted = call(devorg, sf, "DELETE", f"/composite/sobjects?ids={first},{second}").json()
    assert [r["success"] for r in deleted] == [True, True]


# -- replication -------------------------------------------------------------------------------
def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S+00:00")


def test_updated_and_deleted_windows(devorg: RunningDevorg, sf: Salesforce) -> None:
    changed, removed = new_opp(sf), new_opp(sf)
    sf.Opportunity.delete(removed)
    earlier = "2000-01-01T00:00:00.000+0000"
    with sqlite3.connect(devorg.database) as conn:  # move both changes out of the current minute
        moment = (datetime.now(UTC) - timedelta(minutes=3)).strftime("%Y-%m-%dT%H:%M:%S.000+0000")
        conn.execute(
            'UPDATE "Opportunity" SET "SystemModstamp" = ? WHERE "Id" = ?', [moment, changed]
        )
        conn.execute(
            'UPDATE "Opportunity" SET "_DeletedDate" = ? WHERE "Id" = ?', [moment, removed]
        )
    start, end = datetime.now(UTC) - timedelta(hours=1), datetime.now(UTC) + timedelta(minutes=5)
    updated = sf.Opportunity.updated(start, end)
    assert changed in updated["ids"]
    assert removed not in updated["ids"]
    assert updated["latestDateCovered"] <= sf_now()
    deleted = sf.Opportunity.deleted(start, end)
    assert {"id": removed, "deletedDate": moment} in deleted["deletedRecords"]
    assert earlier < deleted["earliestDateAvailable"]


def sf_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.999+0000")


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (timedelta(hours=-1), timedelta(hours=-2)),  # end before start
        (timedelta(hours=-1), timedelta(hours=-1)),  # empty window
        (timedelta(days=-31), timedelta(hours=-1)),  # beyond 30 days
    ],
)
def test_replication_date_errors(sf: Salesforce, start: timedelta, end: timedelta) -> None:
    now = datetime.now(UTC)
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.Opportunity.updated(now + start, now + end)
    assert exc.value.content[0]["errorCode"] == "INVALID_REPLICATION_DATE"


@pytest.mark.parametrize(
    "start", ["9999-12-31T23:00:00-05:00", "0001-01-01T00:00:00+05:00", "2024-02-30T00:00:00Z"]
)
def test_replication_dates_out_of_range_are_400(
    devorg: RunningDevorg, sf: Salesforce, start: str
) -> None:
    for kind in ("updated", "deleted"):
        response = call(
            devorg,
            sf,
            "GET",
            f"/sobjects/Opportunity/{kind}/",
            params={"start": start, "end": "2025-01-01T00:00:00Z"},
        )
        assert response.status_code == 400
        assert errors(response) == [("INVALID_REPLICATION_DATE", None)]


# -- guard: faults, budget, sessions -----------------------------------------------------------
def test_injected_failures(devorg_faults: RunningDevorg) -> None:
    sf = devorg_faults.sf()
    devorg_faults.control("PUT", "faults", {"fail_next": 2})
    for _ in range(2):
        with pytest.raises(SalesforceGeneralError) as exc:
            sf.limits()
        assert exc.value.status == 503
    assert sf.limits()["DailyApiRequests"]["Max"] == 1_000_000


def test_api_budget_exhausted(devorg_faults: RunningDevorg) -> None:
    sf = devorg_faults.sf()
    devorg_faults.control("PUT", "api-usage", {"used": 1_000_000})
    with pytest.raises(SalesforceRefusedRequest) as exc:
        sf.Opportunity.describe()
    assert exc.value.content[0]["errorCode"] == "REQUEST_LIMIT_EXCEEDED"


def test_expired_session(devorg_faults: RunningDevorg) -> None:
    token = devorg_faults.sf().session_id
    devorg_faults.control("POST", "expire-sessions")
    client = Salesforce(
        instance_url=devorg_faults.url.replace("http://", "https://"), session_id=token,
        session=DevorgSession(devorg_faults.url), version=API_VERSION,
    )  # fmt: skip
    with pytest.raises(SalesforceExpiredSession):
        client.Opportunity.describe()


def test_moving_a_deal_back_a_stage_is_refused(sf: Salesforce) -> None:
    opp_id = new_opp(sf)
    sf.Opportunity.update(opp_id, {"StageName": "Needs Analysis"})
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.Opportunity.update(opp_id, {"StageName": "Qualification"})
    [error] = exc.value.content
    assert (error["errorCode"], error["fields"], error["message"]) == (
        "FIELD_CUSTOM_VALIDATION_EXCEPTION",
        ["StageName"],
        "A deal cannot move back to an earlier stage.",
    )
    assert sf.Opportunity.get(opp_id)["StageName"] == "Needs Analysis"
