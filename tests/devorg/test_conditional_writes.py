"""devorg's conditional requests (If-Unmodified-Since / If-Modified-Since), its write counter
and its late-answer fault, over real HTTP as Salesforce's REST API guide describes them."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

from tests.devorg_server import RunningDevorg

GOOD = {"Name": "Conditional test", "StageName": "Prospecting", "CloseDate": "2030-01-31"}


@pytest.fixture
def sf(devorg: RunningDevorg) -> Salesforce:
    return devorg.sf("admin")


def _call(devorg: RunningDevorg, sf: Salesforce, method: str, path: str, **kw: Any) -> Any:
    headers = {"Authorization": f"Bearer {sf.session_id}", **kw.pop("headers", {})}
    timeout = kw.pop("timeout", 10)
    return requests.request(method, devorg.api + path, headers=headers, timeout=timeout, **kw)


def _http_date(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def _last_modified(sf: Salesforce, opp_id: str) -> datetime:
    stamp = sf.Opportunity.get(opp_id)["LastModifiedDate"]
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%f%z")


def _writes(devorg: RunningDevorg) -> int:
    return int(devorg.control("GET", "writes")["writes"])


def test_patch_with_a_date_before_the_change_is_412_and_writes_nothing(
    devorg: RunningDevorg, sf: Salesforce
) -> None:
    opp_id = str(sf.Opportunity.create(GOOD)["id"])
    modified = _last_modified(sf, opp_id)
    before = _writes(devorg)
    stale = _http_date(modified - timedelta(seconds=1))
    path = f"/sobjects/Opportunity/{opp_id}"
    answer = _call(
        devorg, sf, "PATCH", path, json={"NextStep": "x"}, headers={"If-Unmodified-Since": stale}
    )
    assert answer.status_code == 412
    assert [e["errorCode"] for e in answer.json()] == ["PRECONDITION_FAILED"]
    assert sf.Opportunity.get(opp_id)["NextStep"] is None
    assert _writes(devorg) == before


def test_the_header_has_one_second_resolution(devorg: RunningDevorg, sf: Salesforce) -> None:
    """The record's LastModifiedDate carries milliseconds, the header only seconds: the header
    naming the second of the change (milliseconds dropped) must pass."""
    opp_id = str(sf.Opportunity.create(GOOD)["id"])
    same_second = _http_date(_last_modified(sf, opp_id).replace(microsecond=0))
    path = f"/sobjects/Opportunity/{opp_id}"
    answer = _call(
        devorg, sf, "PATCH", path, json={"NextStep": "ok"},
        headers={"If-Unmodified-Since": same_second},
    )  # fmt: skip
    assert answer.status_code == 204
    assert sf.Opportunity.get(opp_id)["NextStep"] == "ok"


def test_a_malformed_header_is_ignored(devorg: RunningDevorg, sf: Salesforce) -> None:
    opp_id = str(sf.Opportunity.create(GOOD)["id"])
    path = f"/sobjects/Opportunity/{opp_id}"
    answer = _call(
        devorg, sf, "PATCH", path, json={"NextStep": "y"},
        headers={"If-Unmodified-Since": "yesterday-ish"},
    )  # fmt: skip
    assert answer.status_code == 204


def test_get_conditions(devorg: RunningDevorg, sf: Salesforce) -> None:
    opp_id = str(sf.Opportunity.create(GOOD)["id"])
    modified = _last_modified(sf, opp_id)
    path = f"/sobjects/Opportunity/{opp_id}"
    later = _http_date(modified + timedelta(seconds=5))
    earlier = _http_date(modified - timedelta(seconds=5))
    assert _call(devorg, sf, "GET", path, headers={"If-Modified-Since": later}).status_code == 304
    assert _call(devorg, sf, "GET", path, headers={"If-Modified-Since": earlier}).status_code == 200
    stale = _call(devorg, sf, "GET", path, headers={"If-Unmodified-Since": earlier})
    assert stale.status_code == 412


def test_composite_subrequest_headers(devorg: RunningDevorg, sf: Salesforce) -> None:
    """Each subrequest's own `httpHeaders` apply to it alone: one stale record is refused with
    412 while the others, and a subrequest without the header, are written."""
    ids = [str(sf.Opportunity.create(GOOD)["id"]) for _ in range(3)]
    stamps = [_last_modified(sf, opp_id) for opp_id in ids]
    version_path = f"/services/data/v{sf.sf_version}/sobjects/Opportunity"

    def sub(ref: str, opp_id: str, headers: dict[str, str] | None) -> dict[str, Any]:
        entry = {"method": "PATCH", "url": f"{version_path}/{opp_id}", "referenceId": ref,
                 "body": {"NextStep": ref}}  # fmt: skip
        return {**entry, "httpHeaders": headers} if headers is not None else entry

    body = {"allOrNone": False, "compositeRequest": [
        sub("fresh", ids[0], {"If-Unmodified-Since": _http_date(stamps[0])}),
        sub("stale", ids[1], {"If-Unmodified-Since": _http_date(stamps[1] - timedelta(hours=1))}),
        sub("plain", ids[2], None),
    ]}  # fmt: skip
    answer = _call(devorg, sf, "POST", "/composite", json=body)
    assert answer.status_code == 200
    statuses = {r["referenceId"]: r["httpStatusCode"] for r in answer.json()["compositeResponse"]}
    assert statuses == {"fresh": 204, "stale": 412, "plain": 204}
    assert [sf.Opportunity.get(i)["NextStep"] for i in ids] == ["fresh", None, "plain"]


@pytest.mark.parametrize(
    "headers",
    [{"X-Anything": "1"}, {"If-Unmodified-Since": 5}, ["If-Unmodified-Since"]],
    ids=["unknown-header", "non-string", "not-an-object"],
)
def test_bad_subrequest_headers_are_refused_whole(
    devorg: RunningDevorg, sf: Salesforce, headers: Any
) -> None:
    opp_id = str(sf.Opportunity.create(GOOD)["id"])
    before = _writes(devorg)
    url = f"/services/data/v{sf.sf_version}/sobjects/Opportunity/{opp_id}"
    body = {"compositeRequest": [{"method": "PATCH", "url": url, "referenceId": "a",
                                  "body": {"NextStep": "z"}, "httpHeaders": headers}]}  # fmt: skip
    answer = _call(devorg, sf, "POST", "/composite", json=body)
    assert answer.status_code == 400
    assert _writes(devorg) == before


def test_the_write_counter_counts_records_written(devorg: RunningDevorg, sf: Salesforce) -> None:
    before = _writes(devorg)
    opp_id = str(sf.Opportunity.create(GOOD)["id"])
    sf.Opportunity.update(opp_id, {"NextStep": "a"})
    with pytest.raises(SalesforceMalformedRequest):
        sf.Opportunity.update(opp_id, {"StageName": "No such stage"})
    sf.Opportunity.get(opp_id)
    assert _writes(devorg) == before + 2


def test_task_subtype_is_settable_on_create_only(sf: Salesforce) -> None:
    opp_id = str(sf.Opportunity.create(GOOD)["id"])
    task_id = str(
        sf.Task.create(
            {
                "Subject": "Call",
                "WhatId": opp_id,
                "TaskSubtype": "Task",
                "Description": "Long note",
                "Status": "Completed",
            }
        )["id"]
    )
    task = sf.Task.get(task_id)
    assert (task["TaskSubtype"], task["Description"]) == ("Task", "Long note")
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.Task.update(task_id, {"TaskSubtype": "Call"})
    assert exc.value.content[0]["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"


def test_a_late_answer_comes_after_the_write(devorg_faults: RunningDevorg) -> None:
    """`latency_after_ms` delays the answer, not the work: a client that gives up early finds
    the write done when it reads back."""
    sf = devorg_faults.sf()
    opp_id = str(sf.Opportunity.create(GOOD)["id"])
    devorg_faults.control("PUT", "faults", {"latency_after_ms": 1500, "latency_after_next": 1})
    started = time.monotonic()
    with pytest.raises(requests.Timeout):
        _call(devorg_faults, sf, "PATCH", f"/sobjects/Opportunity/{opp_id}",
              json={"NextStep": "late"}, timeout=0.3)  # fmt: skip
    assert time.monotonic() - started < 1.0
    time.sleep(1.4)  # the late answer goes out; the fault is used up
    assert sf.Opportunity.get(opp_id)["NextStep"] == "late"
    assert devorg_faults.control("GET", "faults")["latency_after_ms"] == 0
