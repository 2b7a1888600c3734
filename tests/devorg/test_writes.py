"""Unit tests of devorg's write semantics (writes.py and its helpers) on an in-memory org."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from devorg import catalog
from devorg.db import OrgDatabase, today_utc
from devorg.write_body import JsonObject, WriteError, parse_body
from devorg.writes import Writer, delete_collection, locate, save_collection

USER = "005000000000001AAA"


def body(data: Any) -> Any:
    return parse_body(json.dumps(data).encode())


def fill_org(org: OrgDatabase) -> str:
    """A minimal org: one user, the opportunity stages, the active validation rules."""
    now = "2024-01-01T00:00:00.000+0000"
    user_id = org.new_id(catalog.USER)
    org.insert(
        catalog.USER,
        {"Id": user_id, "CreatedDate": now, "CreatedById": user_id, "LastModifiedDate": now,
         "SystemModstamp": now, "Username": "a@example.com", "LastName": "A",
         "Email": "a@example.com", "Alias": "a", "IsActive": 1, "ProfileId": None,
         "TimeZoneSidKey": "Europe/London"},
    )  # fmt: skip
    for name, order, closed, won, probability, category in catalog.STAGES:
        org.insert(
            catalog.OPPORTUNITY_STAGE,
            {"Id": org.new_id(catalog.OPPORTUNITY_STAGE), "CreatedDate": now,
             "CreatedById": user_id, "LastModifiedDate": now, "SystemModstamp": now,
             "MasterLabel": name, "ApiName": name,
             "IsActive": 1, "SortOrder": order, "IsClosed": int(closed), "IsWon": int(won),
             "DefaultProbability": probability, "ForecastCategoryName": category,
             "ForecastCategory": catalog.FORECAST_CATEGORIES[category]},
        )  # fmt: skip
    from devorg.validation import RULES

    for rule in RULES:
        org.insert(
            catalog.VALIDATION_RULE,
            {"Id": org.new_id(catalog.VALIDATION_RULE), "CreatedDate": now,
             "CreatedById": user_id, "LastModifiedDate": now, "SystemModstamp": now,
             "ValidationName": rule.name, "Active": 1, "ErrorMessage": rule.message,
             "ErrorDisplayField": rule.display_field, "_Formula": rule.formula},
        )  # fmt: skip
    return user_id


@pytest.fixture
def db() -> Iterator[OrgDatabase]:
    org = OrgDatabase(":memory:")
    org.user_id = fill_org(org)  # type: ignore[attr-defined]
    yield org
    org.close()


@pytest.fixture
def writer(db: OrgDatabase) -> Writer:
    return Writer(db, db.user_id)  # type: ignore[attr-defined]


def new_opp(writer: Writer, **fields: Any) -> str:
    data = {"Name": "Deal", "StageName": "Prospecting", "CloseDate": "2030-01-31", **fields}
    return writer.create(catalog.OPPORTUNITY, body(data))


def error_of(exc: pytest.ExceptionInfo[WriteError]) -> tuple[str, str, tuple[str, ...]]:
    item = exc.value.items[0]
    return item.error_code, item.message, item.fields


def history(db: OrgDatabase, opp_id: str) -> list[dict[str, Any]]:
    cursor = db.conn.execute(
        'SELECT * FROM "OpportunityHistory" WHERE "OpportunityId" = ? ORDER BY rowid', [opp_id]
    )
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor]


def field_history(db: OrgDatabase, opp_id: str) -> list[tuple[str, str | None, str | None]]:
    rows = db.conn.execute(
        'SELECT "Field", "OldValue", "NewValue" FROM "OpportunityFieldHistory" '
        'WHERE "OpportunityId" = ? ORDER BY rowid',
        [opp_id],
    )
    return [tuple(r) for r in rows]


# -- create ------------------------------------------------------------------------------------
def test_create_sets_defaults_audit_and_stage_fields(db: OrgDatabase, writer: Writer) -> None:
    opp_id = new_opp(writer, Amount=1000)
    row = db.get(catalog.OPPORTUNITY, opp_id)
    assert row is not None
    assert row["OwnerId"] == writer.user_id
    assert row["CreatedById"] == row["LastModifiedById"] == writer.user_id
    assert row["CreatedDate"] == row["LastModifiedDate"] == row["SystemModstamp"]
    assert (row["IsDeleted"], row["IsClosed"], row["IsWon"]) == (0, 0, 0)
    assert row["Probability"] == 10
    assert (row["ForecastCategoryName"], row["ForecastCategory"]) == ("Pipeline", "Pipeline")
    assert row["Budget_Confirmed__c"] == 0
    assert row["LastStageChangeDate"] == row["CreatedDate"]
    [entry] = history(db, opp_id)
    assert (entry["StageName"], entry["Amount"], entry["ExpectedRevenue"]) == (
        "Prospecting", 1000, 100,
    )  # fmt: skip
    assert entry["FromOpportunityStageName"] is None
    assert field_history(db, opp_id) == [("created", None, None)]


def test_closed_won_stage_derives_probability_and_category(db: OrgDatabase, writer: Writer) -> None:
    row = db.get(catalog.OPPORTUNITY, new_opp(writer, StageName="Closed Won", Amount=5))
    assert row is not None
    assert (row["IsClosed"], row["IsWon"], row["Probability"]) == (1, 1, 100)
    assert (row["ForecastCategoryName"], row["ForecastCategory"]) == ("Closed", "Closed")


def test_explicit_probability_wins_over_stage_default(db: OrgDatabase, writer: Writer) -> None:
    row = db.get(catalog.OPPORTUNITY, new_opp(writer, Probability=35))
    assert row is not None
    assert row["Probability"] == 35


def test_required_fields_missing(writer: Writer) -> None:
    with pytest.raises(WriteError) as exc:
        writer.create(catalog.OPPORTUNITY, body({"Name": "x"}))
    assert error_of(exc) == (
        "REQUIRED_FIELD_MISSING", "Required fields are missing: [StageName, CloseDate]",
        ("StageName", "CloseDate"),
    )  # fmt: skip


def test_unknown_field(writer: Writer) -> None:
    with pytest.raises(WriteError) as exc:
        new_opp(writer, Foo=1)
    assert error_of(exc) == (
        "INVALID_FIELD",
        "No such column 'Foo' on sobject of type Opportunity",
        ("Foo",),
    )


def test_read_only_fields_refused_together(writer: Writer) -> None:
    with pytest.raises(WriteError) as exc:
        new_opp(writer, IsWon=True, ExpectedRevenue=3)
    code, message, fields = error_of(exc)
    assert code == "INVALID_FIELD_FOR_INSERT_UPDATE"
    assert message.startswith("Unable to create/update fields: IsWon, ExpectedRevenue. Please")
    assert fields == ("IsWon", "ExpectedRevenue")


def test_id_cannot_be_given_on_insert(writer: Writer) -> None:
    with pytest.raises(WriteError) as exc:
        new_opp(writer, Id="006000000000001AAA")
    assert error_of(exc)[:2] == (
        "INVALID_FIELD_FOR_INSERT_UPDATE",
        "cannot specify Id in an insert call",
    )


def test_wrong_json_type_names_the_position(writer: Writer) -> None:
    raw = b'{"Name": "x", "StageName": "Prospecting", "CloseDate": "2030-01-01", "Amount": "abc"}'
    with pytest.raises(WriteError) as exc:
        writer.create(catalog.OPPORTUNITY, parse_body(raw))
    assert error_of(exc)[:2] == (
        "JSON_PARSER_ERROR",
        "Cannot deserialize instance of currency from VALUE_STRING value abc or request may be "
        f"missing a required field at [line:1, column:{raw.index(b'}') + 1}]",
    )


@pytest.mark.parametrize(
    ("field", "value", "type_name", "token"),
    [
        ("CloseDate", "2030-13-01", "date", "VALUE_STRING"),
        ("CloseDate", 5, "date", "VALUE_NUMBER_INT"),
        ("Budget_Confirmed__c", "yes", "boolean", "VALUE_STRING"),
        ("Amount", True, "currency", "VALUE_TRUE"),
        ("Name", {"a": 1}, "string", "START_OBJECT"),
        ("Amount", [1], "currency", "START_ARRAY"),
    ],
)
def test_bad_values_are_json_parser_errors(
    writer: Writer, field: str, value: Any, type_name: str, token: str
) -> None:
    with pytest.raises(WriteError) as exc:
        new_opp(writer, **{field: value})
    code, message, _ = error_of(exc)
    assert code == "JSON_PARSER_ERROR"
    assert message.startswith(f"Cannot deserialize instance of {type_name} from {token} value")


@pytest.mark.parametrize(
    ("sobject", "field", "value"),
    [
        (catalog.OPPORTUNITY, "Amount", "1e400"),
        (catalog.OPPORTUNITY, "Amount", "-1e400"),
        (catalog.ACCOUNT, "NumberOfEmployees", "1e999999999"),  # would build a huge int
        (catalog.OPPORTUNITY, "CloseDate", "9999-12-31T23:00:00-05:00"),  # year 10000 in UTC
        (catalog.OPPORTUNITY, "CloseDate", "0001-01-01T00:00:00+05:00"),  # year 0 in UTC
    ],
)
def test_values_beyond_a_double_or_a_date_are_json_parser_errors(
    writer: Writer, sobject: catalog.SObject, field: str, value: str
) -> None:
    data = {"Name": "Deal", "StageName": "Prospecting", "CloseDate": "2030-01-31", field: value}
    if sobject is catalog.ACCOUNT:
        data = {"Name": "Account", field: value}
    with pytest.raises(WriteError) as exc:
        writer.create(sobject, body(data))
    assert error_of(exc)[0] == "JSON_PARSER_ERROR"


def test_numeric_strings_and_datetime_dates_are_accepted(db: OrgDatabase, writer: Writer) -> None:
    row = db.get(
        catalog.OPPORTUNITY, new_opp(writer, Amount="12.345", CloseDate="2030-02-03T10:00:00Z")
    )
    assert row is not None
    assert (row["Amount"], row["CloseDate"]) == (12.35, "2030-02-03")


def test_restricted_picklist(writer: Writer) -> None:
    with pytest.raises(WriteError) as exc:
        new_opp(writer, StageName="Foo")
    assert error_of(exc) == (
        "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
        "Stage: bad value for restricted picklist field: Foo",
        ("StageName",),
    )


def test_unrestricted_picklist_accepts_other_values(db: OrgDatabase, writer: Writer) -> None:
    row = db.get(catalog.OPPORTUNITY, new_opp(writer, LeadSource="Trade Show"))
    assert row is not None
    assert row["LeadSource"] == "Trade Show"


def test_string_too_long(writer: Writer) -> None:
    with pytest.raises(WriteError) as exc:
        new_opp(writer, Name="x" * 121)
    code, message, fields = error_of(exc)
    assert (code, fields) == ("STRING_TOO_LONG", ("Name",))
    assert message.endswith("(max length=120)")
    assert message.startswith("Name: data value too large")


def test_number_outside_valid_range(writer: Writer) -> None:
    with pytest.raises(WriteError) as exc:
        new_opp(writer, Amount=1e17)
    assert error_of(exc) == (
        "NUMBER_OUTSIDE_VALID_RANGE",
        "Amount: value outside of valid range on numeric field: 1.0E17",
        ("Amount",),
    )


def test_reference_checks(writer: Writer) -> None:
    with pytest.raises(WriteError) as exc:
        new_opp(writer, AccountId="nope")
    assert error_of(exc) == (
        "MALFORMED_ID",
        "Account ID: id value of incorrect type: nope",
        ("AccountId",),
    )
    with pytest.raises(WriteError) as exc:
        new_opp(writer, AccountId=writer.user_id)
    assert error_of(exc)[0] == "FIELD_INTEGRITY_EXCEPTION"
    with pytest.raises(WriteError) as exc:
        new_opp(writer, AccountId="001000000000009AAA")
    assert error_of(exc) == ("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", ())


def test_object_not_createable(writer: Writer) -> None:
    with pytest.raises(WriteError) as exc:
        writer.create(catalog.OPPORTUNITY_HISTORY, body({}))
    assert error_of(exc)[:2] == (
        "INVALID_TYPE_FOR_OPERATION",
        "entity type cannot be inserted: Opportunity History",
    )


# -- update ------------------------------------------------------------------------------------
def test_stage_change_updates_derived_fields_and_history(db: OrgDatabase, writer: Writer) -> None:
    opp_id = new_opp(writer, Amount=1000)
    before = db.get(catalog.OPPORTUNITY, opp_id)
    assert before is not None
    writer.update(catalog.OPPORTUNITY, opp_id, body({"StageName": "Negotiation/Review",
                                                     "Decision_Maker__c": "Ann"}))  # fmt: skip
    row = db.get(catalog.OPPORTUNITY, opp_id)
    assert row is not None
    assert (row["Probability"], row["ForecastCategoryName"], row["ForecastCategory"]) == (
        90, "Best Case", "BestCase",
    )  # fmt: skip
    assert row["SystemModstamp"] > before["SystemModstamp"]
    assert row["LastStageChangeDate"] == row["SystemModstamp"]
    last = history(db, opp_id)[-1]
    assert (last["FromOpportunityStageName"], last["StageName"]) == (
        "Prospecting",
        "Negotiation/Review",
    )
    assert (last["FromForecastCategory"], last["ForecastCategory"]) == ("Pipeline", "BestCase")
    assert (last["PrevAmount"], last["Amount"], last["ExpectedRevenue"]) == (1000, 1000, 900)
    assert ("StageName", "Prospecting", "Negotiation/Review") in field_history(db, opp_id)
    assert ("Probability", "10", "90") in field_history(db, opp_id)


def test_amount_and_close_date_changes_write_history(db: OrgDatabase, writer: Writer) -> None:
    opp_id = new_opp(writer, Amount=1000)
    writer.update(catalog.OPPORTUNITY, opp_id, body({"Amount": 2000}))
    writer.update(catalog.OPPORTUNITY, opp_id, body({"CloseDate": "2031-01-01"}))
    writer.update(catalog.OPPORTUNITY, opp_id, body({"NextStep": "Call"}))  # not a trigger
    rows = history(db, opp_id)
    assert len(rows) == 3
    assert (rows[1]["PrevAmount"], rows[1]["Amount"]) == (1000, 2000)
    assert (rows[2]["PrevCloseDate"], rows[2]["CloseDate"]) == ("2030-01-31", "2031-01-01")
    assert ("NextStep", None, "Call") in field_history(db, opp_id)


def test_every_write_moves_system_modstamp(db: OrgDatabase, writer: Writer) -> None:
    opp_id = new_opp(writer)
    stamps = []
    for _ in range(5):
        writer.update(catalog.OPPORTUNITY, opp_id, body({}))
        row = db.get(catalog.OPPORTUNITY, opp_id)
        assert row is not None
        stamps.append(row["SystemModstamp"])
    assert stamps == sorted(set(stamps))


def test_same_stage_again_keeps_last_stage_change_date(db: OrgDatabase, writer: Writer) -> None:
    opp_id = new_opp(writer)
    first = db.get(catalog.OPPORTUNITY, opp_id)
    writer.update(catalog.OPPORTUNITY, opp_id, body({"StageName": "Prospecting"}))
    again = db.get(catalog.OPPORTUNITY, opp_id)
    assert first is not None
    assert again is not None
    assert again["LastStageChangeDate"] == first["LastStageChangeDate"]
    assert len(history(db, opp_id)) == 1


def test_null_for_required_field_on_update(writer: Writer) -> None:
    opp_id = new_opp(writer)
    with pytest.raises(WriteError) as exc:
        writer.update(catalog.OPPORTUNITY, opp_id, body({"CloseDate": None}))
    assert error_of(exc)[0] == "REQUIRED_FIELD_MISSING"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"StageName": "Proposal/Price Quote", "Decision_Maker__c": "Ann"}, "Amount"),
        ({"StageName": "Proposal/Price Quote", "Amount": 10}, None),  # top of the page
        ({"Next_Meeting_Date__c": "2000-01-01"}, "Next_Meeting_Date__c"),
    ],
)
def test_validation_rules_block_and_change_nothing(
    db: OrgDatabase, writer: Writer, changes: dict[str, Any], field: str | None
) -> None:
    opp_id = new_opp(writer)
    before = db.get(catalog.OPPORTUNITY, opp_id)
    with pytest.raises(WriteError) as exc:
        writer.update(catalog.OPPORTUNITY, opp_id, body(changes))
    code, _, fields = error_of(exc)
    assert (code, fields) == ("FIELD_CUSTOM_VALIDATION_EXCEPTION", (field,) if field else ())
    assert db.get(catalog.OPPORTUNITY, opp_id) == before
    assert len(history(db, opp_id)) == 1


def test_inactive_rule_does_not_run(db: OrgDatabase, writer: Writer) -> None:
    past = {"Next_Meeting_Date__c": "2000-01-01"}
    with pytest.raises(WriteError) as exc:  # active, the rule refuses the write
        new_opp(writer, **past)
    assert error_of(exc)[2] == ("Next_Meeting_Date__c",)
    db.conn.execute(
        'UPDATE "ValidationRule" SET "Active" = 0 WHERE "ValidationName" = ?',
        ["Next_Meeting_Not_In_Past"],
    )
    opp_id = new_opp(writer, **past)  # the same write, with only that rule switched off
    assert db.get(catalog.OPPORTUNITY, opp_id)["Next_Meeting_Date__c"] == "2000-01-01"
    with pytest.raises(WriteError) as exc:  # the other rules still run
        writer.update(catalog.OPPORTUNITY, opp_id, body({"StageName": "Negotiation/Review"}))
    assert [i.fields for i in exc.value.items] == [("Amount",), ()]


def test_seeded_violation_blocks_unrelated_update(db: OrgDatabase, writer: Writer) -> None:
    opp_id = new_opp(writer)
    past = (today_utc() - timedelta(days=3)).isoformat()
    db.update(catalog.OPPORTUNITY, opp_id, {"Next_Meeting_Date__c": past})  # data gone stale
    with pytest.raises(WriteError) as exc:
        writer.update(catalog.OPPORTUNITY, opp_id, body({"NextStep": "Call"}))
    assert error_of(exc)[0] == "FIELD_CUSTOM_VALIDATION_EXCEPTION"


def test_all_failing_rules_are_reported(writer: Writer) -> None:
    opp_id = new_opp(writer)
    with pytest.raises(WriteError) as exc:
        writer.update(catalog.OPPORTUNITY, opp_id, body({"StageName": "Negotiation/Review"}))
    assert [i.fields for i in exc.value.items] == [("Amount",), ()]


def test_a_deal_cannot_move_back_to_an_earlier_stage(db: OrgDatabase, writer: Writer) -> None:
    opp_id = new_opp(writer)  # PRIORVALUE on insert is the new value: creating is fine
    writer.update(catalog.OPPORTUNITY, opp_id, body({"StageName": "Needs Analysis"}))
    before = db.get(catalog.OPPORTUNITY, opp_id)
    with pytest.raises(WriteError) as exc:
        writer.update(catalog.OPPORTUNITY, opp_id, body({"StageName": "Qualification"}))
    code, message, fields = error_of(exc)
    assert (code, message, fields) == (
        "FIELD_CUSTOM_VALIDATION_EXCEPTION",
        "A deal cannot move back to an earlier stage.",
        ("StageName",),
    )
    assert db.get(catalog.OPPORTUNITY, opp_id) == before
    # Forward, staying, and a closed deal changing between won and lost are all allowed.
    writer.update(catalog.OPPORTUNITY, opp_id, body({"StageName": "Needs Analysis"}))
    writer.update(catalog.OPPORTUNITY, opp_id, body({"StageName": "Closed Lost"}))
    writer.update(catalog.OPPORTUNITY, opp_id, body({"StageName": "Closed Won"}))
    with pytest.raises(WriteError):  # reopening a closed deal moves it back
        writer.update(catalog.OPPORTUNITY, opp_id, body({"StageName": "Prospecting"}))


# -- activities --------------------------------------------------------------------------------
def test_task_defaults_and_last_activity_date(db: OrgDatabase, writer: Writer) -> None:
    opp_id = new_opp(writer)
    task_id = writer.create(catalog.TASK, body({"WhatId": opp_id, "ActivityDate": "2024-03-01"}))
    task = db.get(catalog.TASK, task_id)
    assert task is not None
    assert (task["Status"], task["Priority"], task["IsClosed"]) == ("Not Started", "Normal", 0)
    opp = db.get(catalog.OPPORTUNITY, opp_id)
    assert opp is not None
    assert opp["LastActivityDate"] is None
    writer.update(catalog.TASK, task_id, body({"Status": "Completed"}))
    opp = db.get(catalog.OPPORTUNITY, opp_id)
    assert opp is not None
    assert opp["LastActivityDate"] == "2024-03-01"
    writer.delete(catalog.TASK, task_id)
    opp = db.get(catalog.OPPORTUNITY, opp_id)
    assert opp is not None
    assert opp["LastActivityDate"] is None


def test_event_activity_date_and_end(db: OrgDatabase, writer: Writer) -> None:
    opp_id = new_opp(writer)
    event_id = writer.create(
        catalog.EVENT,
        body({"WhatId": opp_id, "StartDateTime": "2024-02-01T09:00:00Z", "DurationInMinutes": 30}),
    )
    event = db.get(catalog.EVENT, event_id)
    assert event is not None
    assert (event["ActivityDate"], event["EndDateTime"]) == (
        "2024-02-01",
        "2024-02-01T09:30:00.000+0000",
    )
    opp = db.get(catalog.OPPORTUNITY, opp_id)
    assert opp is not None
    assert opp["LastActivityDate"] == "2024-02-01"


# -- delete ------------------------------------------------------------------------------------
def test_delete_is_soft_and_cascades(db: OrgDatabase, writer: Writer) -> None:
    opp_id = new_opp(writer)
    task_id = writer.create(catalog.TASK, body({"WhatId": opp_id, "Subject": "Call"}))
    writer.delete(catalog.OPPORTUNITY, opp_id)
    row = db.get(catalog.OPPORTUNITY, opp_id, include_deleted=True)
    assert row is not None
    assert row["IsDeleted"] == 1
    assert row["_DeletedDate"] == row["SystemModstamp"]
    assert db.get(catalog.TASK, task_id) is None
    with pytest.raises(WriteError) as exc:
        locate(db, catalog.OPPORTUNITY, opp_id)
    assert (exc.value.status, error_of(exc)[:2]) == (
        404,
        ("ENTITY_IS_DELETED", "entity is deleted"),
    )


def test_locate_accepts_15_character_ids(writer: Writer, db: OrgDatabase) -> None:
    opp_id = new_opp(writer)
    assert locate(db, catalog.OPPORTUNITY, opp_id[:15]) == opp_id
    with pytest.raises(WriteError) as exc:
        locate(db, catalog.OPPORTUNITY, "006000000000zzzAAA")
    assert exc.value.status == 404


# -- collections -------------------------------------------------------------------------------
def _records(*records: dict[str, Any], all_or_none: bool) -> JsonObject:
    typed = [{"attributes": {"type": "Opportunity"}, **r} for r in records]
    parsed = body({"allOrNone": all_or_none, "records": typed})
    assert isinstance(parsed, JsonObject)
    return parsed


GOOD = {"Name": "A", "StageName": "Prospecting", "CloseDate": "2030-01-01"}


def test_collection_partial_success(db: OrgDatabase, writer: Writer) -> None:
    results = save_collection(
        writer, _records(GOOD, {"Name": "B"}, all_or_none=False), creating=True
    )
    assert [r.success for r in results] == [True, False]
    assert results[1].as_json()["errors"][0]["statusCode"] == "REQUIRED_FIELD_MISSING"  # type: ignore[index]
    assert "id" not in results[1].as_json()
    assert results[0].id is not None
    assert db.get(catalog.OPPORTUNITY, results[0].id) is not None


def test_collection_all_or_none_rolls_back(db: OrgDatabase, writer: Writer) -> None:
    count = db.conn.execute('SELECT COUNT(*) FROM "Opportunity"').fetchone()[0]
    results = save_collection(
        writer, _records(GOOD, {"Name": "B"}, all_or_none=True), creating=True
    )
    assert [r.errors[0].error_code for r in results] == [
        "ALL_OR_NONE_OPERATION_ROLLED_BACK", "REQUIRED_FIELD_MISSING",
    ]  # fmt: skip
    assert db.conn.execute('SELECT COUNT(*) FROM "Opportunity"').fetchone()[0] == count
    assert db.conn.execute('SELECT COUNT(*) FROM "OpportunityHistory"').fetchone()[0] == 0


def test_collection_update_and_errors(writer: Writer) -> None:
    opp_id = new_opp(writer)
    results = save_collection(
        writer,
        _records({"id": opp_id, "Amount": 5}, {"Amount": 5}, {"id": "bad", "Amount": 1},
                 all_or_none=False),
        creating=False,
    )  # fmt: skip
    assert results[0].success
    assert results[0].id == opp_id
    assert results[1].errors[0].error_code == "MISSING_ARGUMENT"
    assert results[2].errors[0].error_code == "MALFORMED_ID"


def test_collection_limit_and_type(writer: Writer) -> None:
    with pytest.raises(WriteError) as exc:
        save_collection(writer, _records(*[GOOD] * 201, all_or_none=False), creating=True)
    assert error_of(exc)[0] == "EXCEEDED_ID_LIMIT"
    with pytest.raises(WriteError) as exc:
        save_collection(writer, body({"records": [{"Name": "x"}]}), creating=True)
    assert error_of(exc)[:2] == ("INVALID_TYPE", "Must send a concrete entity type.")


def test_delete_collection(db: OrgDatabase, writer: Writer) -> None:
    first, second = new_opp(writer), new_opp(writer)
    results = delete_collection(writer, [first, second, "006000000000zzzAAA"], all_or_none=True)
    assert [r.success for r in results] == [False, False, False]
    assert db.get(catalog.OPPORTUNITY, first) is not None
    results = delete_collection(writer, [first, second], all_or_none=False)
    assert all(r.success for r in results)
    assert db.get(catalog.OPPORTUNITY, first) is None


# -- hostile bodies ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "raw",
    [
        b"", b"{", b"[1,2]", b'"x"', b"\xff\xfe", b'{"a" 1}', b"{}garbage", b"[" * 500,
        b'{"Name": NaN}', b'{"Name": -Infinity}', b'{"Amount": ' + b"1" * 5000 + b"}",
    ],
)  # fmt: skip
def test_hostile_bodies_fail_as_json_parser_errors(writer: Writer, raw: bytes) -> None:
    from devorg.write_body import require_object

    with pytest.raises(WriteError) as exc:
        writer.create(catalog.OPPORTUNITY, require_object(parse_body(raw), "Opportunity"))
    assert error_of(exc)[0] == "JSON_PARSER_ERROR"
