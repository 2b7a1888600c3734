"""Writes over HTTP against devorg: conditional updates one by one and through Composite, exact
money, Salesforce's refusals per field, creates, and the read-back into the mirror."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from salesforce.writes import (
    RecordUpdate,
    WriteStatus,
    create_record,
    json_body,
    read_back,
    unmodified_since_header,
    update_record,
    update_records,
)
from store.models import Activity, Opportunity
from tests.devorg_server import RunningDevorg
from tests.salesforce.conftest import gateway, new_mirror

LATER = datetime(2099, 1, 1, tzinfo=UTC)


def _new_opportunities(devorg: RunningDevorg, *names: str) -> list[str]:
    """New opportunities, in one sObject Collections call (one login, one request)."""
    records = [
        {"attributes": {"type": "Opportunity"}, "Name": name, "StageName": "Prospecting",
         "CloseDate": "2031-01-01"}
        for name in names
    ]  # fmt: skip
    created = devorg.sf().restful(
        "composite/sobjects", method="POST",
        data=json.dumps({"allOrNone": True, "records": records}),
    )  # fmt: skip
    return [str(row["id"]) for row in created]


def _new_opportunity(devorg: RunningDevorg, name: str) -> str:
    return _new_opportunities(devorg, name)[0]


def test_the_header_is_an_http_date_truncated_to_its_second() -> None:
    moment = datetime(2026, 12, 2, 10, 15, 30, 999_000, tzinfo=UTC)
    assert unmodified_since_header(moment) == "Wed, 02 Dec 2026 10:15:30 GMT"
    east = moment.astimezone(datetime.now(UTC).astimezone().tzinfo)
    assert unmodified_since_header(east) == "Wed, 02 Dec 2026 10:15:30 GMT"


def test_money_is_sent_as_an_exact_json_number() -> None:
    body = json_body({"Amount": Decimal("12345678901234.57"), "Name": 'a "b"', "X": None})
    assert body == '{"Amount": 12345678901234.57, "Name": "a \\"b\\"", "X": null}'


def test_an_update_is_applied_with_exact_money(small: RunningDevorg) -> None:
    opp = _new_opportunity(small, "Exact money")
    gw = gateway(small)
    values = {"Amount": Decimal("98765432101.23"), "NextStep": "Send the quote"}
    result = update_record(gw, "Opportunity", RecordUpdate(opp, values, LATER))
    assert result.status is WriteStatus.APPLIED
    record = small.sf().Opportunity.get(opp)
    assert (record["Amount"], record["NextStep"]) == (98765432101.23, "Send the quote")


def test_a_validation_rule_refuses_the_field_and_nothing_changes(small: RunningDevorg) -> None:
    opp = _new_opportunity(small, "Validation")
    gw = gateway(small)
    past = (datetime.now(UTC) - timedelta(days=3)).date().isoformat()
    result = update_record(
        gw, "Opportunity", RecordUpdate(opp, {"Next_Meeting_Date__c": past, "NextStep": "x"}, None)
    )
    assert result.status is WriteStatus.REFUSED
    (error,) = result.errors
    assert error.code == "FIELD_CUSTOM_VALIDATION_EXCEPTION"
    assert error.fields == ("Next_Meeting_Date__c",)
    assert "past" in error.message
    assert small.sf().Opportunity.get(opp)["NextStep"] is None


EARLIER = datetime(2000, 1, 1, tzinfo=UTC)


def test_a_record_changed_since_is_412_changed_and_left_alone(small: RunningDevorg) -> None:
    opp = _new_opportunity(small, "Changed since")
    gw = gateway(small)
    result = update_record(gw, "Opportunity", RecordUpdate(opp, {"NextStep": "x"}, EARLIER))
    assert result.status is WriteStatus.CHANGED
    assert small.sf().Opportunity.get(opp)["NextStep"] is None


def test_composite_applies_each_records_own_condition(small: RunningDevorg) -> None:
    ids = _new_opportunities(small, *(f"Cond {n}" for n in range(3)))
    gw = gateway(small)
    updates = [RecordUpdate(i, {"NextStep": "y"}, LATER) for i in ids]
    updates[1] = RecordUpdate(ids[1], {"NextStep": "y"}, EARLIER)
    results = update_records(gw, "Opportunity", updates)
    assert [r.status for r in results] == [
        WriteStatus.APPLIED,
        WriteStatus.CHANGED,
        WriteStatus.APPLIED,
    ]
    assert [small.sf().Opportunity.get(i)["NextStep"] for i in ids] == ["y", None, "y"]


def test_many_updates_take_one_composite_call_per_25(small: RunningDevorg) -> None:
    ids = _new_opportunities(small, *(f"Batch {n}" for n in range(30)))
    gw = gateway(small)
    gw.connect()
    before = gw.api_calls
    past = (datetime.now(UTC) - timedelta(days=3)).date().isoformat()
    updates = [RecordUpdate(i, {"NextStep": f"step {n}"}, LATER) for n, i in enumerate(ids)]
    updates[7] = RecordUpdate(ids[7], {"Next_Meeting_Date__c": past}, LATER)
    results = update_records(gw, "Opportunity", updates)
    assert gw.api_calls - before == 2
    assert [r.record_id for r in results] == ids
    assert results[7].status is WriteStatus.REFUSED
    assert results[7].errors[0].code == "FIELD_CUSTOM_VALIDATION_EXCEPTION"
    assert {r.status for n, r in enumerate(results) if n != 7} == {WriteStatus.APPLIED}
    assert small.sf().Opportunity.get(ids[29])["NextStep"] == "step 29"


def test_an_outage_before_a_batch_leaves_it_and_the_next_unsent(small: RunningDevorg) -> None:
    ids = _new_opportunities(small, *(f"Budget {n}" for n in range(30)))
    gw = gateway(small)
    gw.connect()
    small.control("PUT", "api-usage", {"used": 10**9})
    results = update_records(
        gw, "Opportunity", [RecordUpdate(i, {"NextStep": "x"}, LATER) for i in ids]
    )
    assert {r.status for r in results} == {WriteStatus.NOT_SENT}
    assert type(results[0].failure).__name__ == "ApiLimitExceeded"
    small.control("PUT", "api-usage", {"used": 0})
    assert small.sf().Opportunity.get(ids[0])["NextStep"] is None


def test_a_malformed_id_is_refused_before_any_call(small: RunningDevorg) -> None:
    gw = gateway(small)
    with pytest.raises(Exception, match="MALFORMED_ID"):
        update_records(gw, "Opportunity", [RecordUpdate("006'; DROP", {"Name": "x"}, None)])
    assert gw.api_calls == 0


def test_a_task_is_created_and_read_back_into_the_mirror(
    small: RunningDevorg, store_engine: Engine
) -> None:
    mirror = new_mirror(store_engine, small)
    gw = gateway(small)
    opp = _new_opportunity(small, "Read back")
    started = datetime.now(UTC) - timedelta(minutes=5)
    update_record(gw, "Opportunity", RecordUpdate(opp, {"StageName": "Qualification"}, None))
    task = create_record(
        gw,
        "Task",
        {"Subject": "Check-in: called", "Status": "Completed", "WhatId": opp,
         "ActivityDate": datetime.now(UTC).date().isoformat()},
    )  # fmt: skip
    describe = gw.describe("Opportunity")
    before = gw.api_calls
    found = read_back(gw, mirror, describe, [opp], history_since=started, task_ids=[task])
    assert gw.api_calls - before == 1
    assert found.opportunities[opp]["StageName"] == "Qualification"
    assert set(found.tasks) == {task}
    with Session(store_engine) as session:
        row = session.exec(select(Opportunity).where(Opportunity.id == opp)).one()
        assert row.stage_name == "Qualification"
        activity = session.exec(select(Activity).where(Activity.id == task)).one()
        assert activity.what_id == opp
