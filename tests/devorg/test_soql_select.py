"""SELECT lists, relationships, calculated fields, ORDER BY, LIMIT/OFFSET, COUNT, tooling."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from devorg import catalog
from devorg.db import OrgDatabase
from devorg.soql import SoqlError, execute_soql

NOW = datetime(2024, 1, 15, 12, 0, tzinfo=UTC)
SYSTEM = {"CreatedById": "0055g0000000001AAA", "CreatedDate": "2024-01-01T00:00:00.000+0000"}


def _insert(db: OrgDatabase, name: str, *, tooling: bool = False, **row: Any) -> str:
    sobject = catalog.sobject(name, tooling=tooling)
    assert sobject is not None
    row.setdefault("Id", db.new_id(sobject))
    db.insert(sobject, row)
    return str(row["Id"])


@pytest.fixture
def org() -> Iterator[OrgDatabase]:
    db = OrgDatabase(":memory:")
    boss = _insert(db, "User", Name="Big Boss", **SYSTEM)
    rep = _insert(db, "User", Name="A Rep", ManagerId=boss, **SYSTEM)
    acme = _insert(db, "Account", Name="Acme", OwnerId=rep, IsDeleted=0, **SYSTEM)
    common = {"OwnerId": rep, "StageName": "Prospecting", **SYSTEM}
    first = _insert(db, "Opportunity", Name="First", AccountId=acme, Amount=1000.0, Probability=25,
                    CloseDate="2024-05-10", IsDeleted=0, **common)  # fmt: skip
    _insert(
        db, "Opportunity", Name="second", Amount=None, CloseDate="2024-12-31", IsDeleted=0, **common
    )
    _insert(
        db, "Opportunity", Name="Third", Amount=10.0, CloseDate="2024-01-01", IsDeleted=0, **common
    )
    _insert(db, "Opportunity", Name="Gone", Amount=5.0, CloseDate="2024-01-01", IsDeleted=1,
            _DeletedDate="2024-01-10T00:00:00.000+0000", **common)  # fmt: skip
    _insert(db, "OpportunityHistory", OpportunityId=first, StageName="Prospecting", **SYSTEM)
    yield db
    db.close()


def query(db: OrgDatabase, soql: str, **options: Any) -> dict[str, Any]:
    return execute_soql(db, soql, now=NOW, **options)


def test_relationship_paths_nest_parent_records(org: OrgDatabase) -> None:
    result = query(
        org, "select NAME, account.NAME, Owner.Manager.Name from opportunity where name = 'first'"
    )
    [record] = result["records"]
    assert record["attributes"]["type"] == "Opportunity"
    assert (
        record["attributes"]["url"]
        == f"/services/data/v59.0/sobjects/Opportunity/{record_id(org, 'First')}"
    )
    assert list(record) == ["attributes", "Name", "Account", "Owner"]  # canonical spelling
    assert record["Account"]["Name"] == "Acme"
    assert record["Account"]["attributes"]["type"] == "Account"
    assert record["Owner"]["Manager"]["Name"] == "Big Boss"
    assert result == {"totalSize": 1, "done": True, "records": [record]}


def record_id(db: OrgDatabase, name: str) -> str:
    return str(query(db, f"SELECT Id FROM Opportunity WHERE Name = '{name}'")["records"][0]["Id"])


def test_null_relationships_are_null(org: OrgDatabase) -> None:
    [record] = query(org, "SELECT Account.Name, Owner.Name FROM Opportunity WHERE Name = 'second'")[
        "records"
    ]
    assert record["Account"] is None
    assert record["Owner"]["Name"] == "A Rep"
    [boss] = query(org, "SELECT Manager.Name FROM User WHERE Name = 'Big Boss'")["records"]
    assert boss["Manager"] is None


def test_child_to_parent_from_history(org: OrgDatabase) -> None:
    [row] = query(org, "SELECT Opportunity.StageName, Opportunity.Name FROM OpportunityHistory")[
        "records"
    ]
    assert row["Opportunity"]["StageName"] == "Prospecting"
    assert row["Opportunity"]["Name"] == "First"


def test_calculated_fields_and_json_types(org: OrgDatabase) -> None:
    soql = (
        "SELECT Amount, Probability, ExpectedRevenue, FiscalYear, FiscalQuarter, IsDeleted, "
        "CloseDate FROM Opportunity WHERE Name = 'First'"
    )
    [record] = query(org, soql)["records"]
    assert record["ExpectedRevenue"] == 250.0
    assert (record["FiscalYear"], record["FiscalQuarter"]) == (2024, 2)
    assert record["IsDeleted"] is False
    assert record["CloseDate"] == "2024-05-10"
    assert isinstance(record["Amount"], float)


@pytest.mark.parametrize(
    ("order_by", "expected"),
    [
        ("Amount", ["second", "Third", "First"]),  # ASC puts nulls first
        ("Amount DESC", ["First", "Third", "second"]),  # DESC puts nulls last
        ("Amount ASC NULLS LAST", ["Third", "First", "second"]),
        ("Amount DESC NULLS FIRST", ["second", "First", "Third"]),
        ("Name", ["First", "second", "Third"]),  # text sorts ignoring case
        ("Account.Name NULLS LAST, Name DESC", ["First", "Third", "second"]),
        ("CloseDate, Name DESC", ["Third", "First", "second"]),
    ],
)
def test_order_by(org: OrgDatabase, order_by: str, expected: list[str]) -> None:
    records = query(org, f"SELECT Name FROM Opportunity ORDER BY {order_by}")["records"]
    assert [r["Name"] for r in records] == expected


def test_limit_and_offset(org: OrgDatabase) -> None:
    result = query(org, "SELECT Name FROM Opportunity ORDER BY Name LIMIT 1 OFFSET 1")
    assert [r["Name"] for r in result["records"]] == ["second"]
    assert result["totalSize"] == 1
    unordered = query(org, "SELECT Name FROM Opportunity LIMIT 2 OFFSET 2")
    assert [r["Name"] for r in unordered["records"]] == ["Third"]


def test_counts(org: OrgDatabase) -> None:
    assert query(org, "SELECT COUNT() FROM Opportunity") == {
        "totalSize": 3,
        "done": True,
        "records": [],
    }
    assert query(org, "SELECT COUNT() FROM Opportunity LIMIT 2")["totalSize"] == 2
    [aggregate] = query(org, "SELECT COUNT(Id), COUNT(Amount) FROM Opportunity")["records"]
    assert aggregate == {"attributes": {"type": "AggregateResult"}, "expr0": 3, "expr1": 2}


def test_query_all_includes_deleted_rows(org: OrgDatabase) -> None:
    assert query(org, "SELECT Id FROM Opportunity WHERE Name = 'Gone'")["totalSize"] == 0
    result = query(
        org, "SELECT Name, IsDeleted FROM Opportunity WHERE IsDeleted = true", include_deleted=True
    )
    assert [(r["Name"], r["IsDeleted"]) for r in result["records"]] == [("Gone", True)]


@pytest.fixture
def rules(org: OrgDatabase) -> OrgDatabase:
    names = dict.fromkeys(
        ("DurableId", "DeveloperName", "QualifiedApiName", "Label"), "Opportunity"
    )
    _insert(org, "EntityDefinition", tooling=True, Id="000000000000000AAA", **names)
    for name, active in (("Close_Date_Future", 1), ("Amount_Required", 0)):
        rule = {"ValidationName": name, "Active": active, "ErrorMessage": f"{name} failed"}
        rule |= {"EntityDefinitionId": "Opportunity", "ErrorDisplayField": "CloseDate"}
        _insert(
            org, "ValidationRule", tooling=True, _Formula="CloseDate < TODAY()", **rule, **SYSTEM
        )
    return org


def test_tooling_validation_rules_join_entity_definition(rules: OrgDatabase) -> None:
    soql = (
        "SELECT ValidationName, EntityDefinition.DeveloperName FROM ValidationRule "
        "ORDER BY ValidationName"
    )
    records = query(rules, soql, tooling=True)["records"]
    assert [r["ValidationName"] for r in records] == ["Amount_Required", "Close_Date_Future"]
    assert records[0]["EntityDefinition"]["DeveloperName"] == "Opportunity"
    assert records[0]["attributes"]["url"].startswith(
        "/services/data/v59.0/tooling/sobjects/ValidationRule/"
    )


def test_metadata_only_for_a_single_row(rules: OrgDatabase) -> None:
    soql = (
        "SELECT FullName, Metadata FROM ValidationRule WHERE ValidationName = 'Close_Date_Future'"
    )
    [record] = query(rules, soql, tooling=True)["records"]
    assert record["FullName"] == "Opportunity.Close_Date_Future"
    assert record["Metadata"] == {
        "active": True, "description": None, "errorConditionFormula": "CloseDate < TODAY()",
        "errorDisplayField": "CloseDate", "errorMessage": "Close_Date_Future failed",
        "shouldEvaluateOnClient": False, "urls": None,
    }  # fmt: skip
    assert (
        query(rules, "SELECT Metadata FROM ValidationRule LIMIT 1", tooling=True)["totalSize"] == 1
    )
    with pytest.raises(SoqlError) as caught:
        query(rules, "SELECT Id, Metadata FROM ValidationRule", tooling=True)
    assert caught.value.error_code == "MALFORMED_QUERY"
    assert "no more than one row for retrieval. Result size: 2" in caught.value.message


INVALID_FIELD, MALFORMED = "INVALID_FIELD", "MALFORMED_QUERY"


@pytest.mark.parametrize(
    ("soql", "tooling", "code", "message"),
    [
        ("SELECT Id FROM Foo", False, "INVALID_TYPE", "sObject type 'Foo' is not supported."),
        ("SELECT Id FROM ValidationRule", False, "INVALID_TYPE", "'ValidationRule' is not"),
        ("SELECT Id FROM Opportunity", True, "INVALID_TYPE", "'Opportunity' is not supported"),
        (
            "SELECT Foo FROM Opportunity",
            False,
            INVALID_FIELD,
            "No such column 'Foo' on entity 'Opportunity'. If you are attempting to use a custom "
            "field, be sure to append the '__c' after the custom field name.",
        ),
        ("SELECT Account.Foo FROM Opportunity", False, INVALID_FIELD, "'Foo' on entity 'Account'"),
        (
            "SELECT Acount.Name FROM Opportunity",
            False,
            INVALID_FIELD,
            "Didn't understand relationship 'Acount' in field path",
        ),
        ("SELECT What.Name FROM Task", False, INVALID_FIELD, "Polymorphic relationship 'What'"),
        ("SELECT Name, NAME FROM Opportunity", False, INVALID_FIELD, "duplicate field selected"),
        ("SELECT Name, COUNT(Id) FROM Opportunity", False, MALFORMED, "must be grouped"),
        (
            "SELECT Id FROM Opportunity ORDER BY Description",
            False,
            INVALID_FIELD,
            "can not be sorted",
        ),
        (
            "SELECT Name FROM Opportunity OFFSET 2001",
            False,
            "NUMBER_OUTSIDE_VALID_RANGE",
            "Maximum SOQL offset allowed is 2000",
        ),
        ("SELECT Id FORM Account", False, MALFORMED, "Column:11\nunexpected token: 'FORM'"),
    ],
)
def test_errors(org: OrgDatabase, soql: str, tooling: bool, code: str, message: str) -> None:
    with pytest.raises(SoqlError) as caught:
        query(org, soql, tooling=tooling)
    assert (caught.value.error_code, caught.value.status) == (code, 400)
    assert message in caught.value.message
    assert caught.value.body() == [{"message": caught.value.message, "errorCode": code}]


def test_located_message_points_at_the_token(org: OrgDatabase) -> None:
    with pytest.raises(SoqlError) as caught:
        query(org, "SELECT Id FROM Nope")
    assert caught.value.message.startswith(
        "\nSELECT Id FROM Nope\n               ^\nERROR at Row:1:Column:16\n"
    )
