"""WHERE: every operator and literal kind, SOQL's null and case rules, date literals, errors."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from devorg import catalog
from devorg.db import OrgDatabase
from devorg.soql import SoqlError, execute_soql

NOW = datetime(2024, 1, 15, 12, 0, tzinfo=UTC)  # a Monday in the first quarter
SYSTEM = {"CreatedById": "0055g0000000001AAA", "IsDeleted": 0}


@pytest.fixture
def org() -> Iterator[OrgDatabase]:
    db = OrgDatabase(":memory:")
    boss = _insert(
        db, "User", Name="Big Boss", LastName="Boss", CreatedDate="2020-01-01T00:00:00.000+0000"
    )
    rep = _insert(
        db,
        "User",
        Name="A Rep",
        LastName="Rep",
        ManagerId=boss,
        CreatedDate="2020-01-01T00:00:00.000+0000",
    )
    acme = _insert(
        db,
        "Account",
        Name="Acme",
        OwnerId=rep,
        CreatedDate="2020-01-01T00:00:00.000+0000",
        **SYSTEM,
    )
    opportunity = {"OwnerId": rep, "IsClosed": 0, "IsWon": 0, **SYSTEM}
    alpha = {"Name": "Alpha Deal", "AccountId": acme, "Amount": 1000.0, "NextStep": "Call O'Brien"}
    alpha |= {"StageName": "Prospecting", "CloseDate": "2024-01-15", "Budget_Confirmed__c": 1}
    _insert(db, "Opportunity", CreatedDate="2024-01-15T10:00:00.000+0000", **alpha, **opportunity)
    beta = {"Name": "beta_deal", "Amount": 50.5, "StageName": "Closed Won"}
    beta |= {"CloseDate": "2024-01-14", "Budget_Confirmed__c": 0}
    _insert(db, "Opportunity", CreatedDate="2024-01-14T23:59:59.999+0000", **beta, **opportunity)
    gamma = {"Name": "Gamma 100%", "AccountId": acme, "StageName": "Needs Analysis"}
    gamma |= {"CloseDate": "2024-04-01", "Budget_Confirmed__c": 0}
    _insert(db, "Opportunity", CreatedDate="2023-12-31T23:00:00.000+0000", **gamma, **opportunity)
    yield db
    db.close()


def _insert(db: OrgDatabase, name: str, **row: Any) -> str:
    sobject = catalog.sobject(name)
    assert sobject is not None
    row.setdefault("Id", db.new_id(sobject))
    db.insert(sobject, row)
    return str(row["Id"])


def names(db: OrgDatabase, where: str) -> set[str]:
    result = execute_soql(db, f"SELECT Name FROM Opportunity WHERE {where}", now=NOW)
    return {r["Name"] for r in result["records"]}


ALPHA, BETA, GAMMA = "Alpha Deal", "beta_deal", "Gamma 100%"


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("Name = 'alpha deal'", {ALPHA}),  # text comparisons ignore case
        ("Name != 'Alpha Deal'", {BETA, GAMMA}),
        ("Name <> 'ALPHA DEAL'", {BETA, GAMMA}),
        ("NextStep != 'x'", {ALPHA, BETA, GAMMA}),  # != matches null values
        ("Amount > 50.5", {ALPHA}),
        ("Amount >= 50.5", {ALPHA, BETA}),
        ("Amount < 1000", {BETA}),
        ("Amount <= 1000", {ALPHA, BETA}),
        ("Amount = 1000", {ALPHA}),
        ("Amount = null", {GAMMA}),
        ("Amount != null", {ALPHA, BETA}),
        ("Budget_Confirmed__c = true", {ALPHA}),
        ("Budget_Confirmed__c = FALSE", {BETA, GAMMA}),
        ("StageName IN ('prospecting', 'Closed Won')", {ALPHA, BETA}),
        ("StageName NOT IN ('Prospecting')", {BETA, GAMMA}),
        ("NextStep NOT IN ('Call O\\'Brien')", {BETA, GAMMA}),  # NOT IN matches nulls
        ("NextStep IN ('Call O\\'Brien', null)", {ALPHA, BETA, GAMMA}),
        ("Name LIKE 'a%'", {ALPHA}),
        ("Name LIKE '%DEAL'", {ALPHA, BETA}),
        ("Name LIKE 'beta\\_deal'", {BETA}),
        ("Name LIKE '_eta%'", {BETA}),
        ("Name LIKE '%100\\%'", {GAMMA}),
        ("NOT Name LIKE 'a%'", {BETA, GAMMA}),
        ("NOT (Amount > 100)", {BETA, GAMMA}),  # NOT is two-valued: null Amount matches
        ("(Amount > 100 OR Amount = null) AND Name LIKE '%a%'", {ALPHA, GAMMA}),
        ("Amount > 100 OR (Name = 'beta_deal' AND StageName = 'Closed Won')", {ALPHA, BETA}),
        ("Account.Name = 'acme'", {ALPHA, GAMMA}),
        ("Account.Name = null", {BETA}),
        ("Owner.Manager.Name = 'Big Boss'", {ALPHA, BETA, GAMMA}),
        ("Opportunity.Name = 'beta_deal'", {BETA}),  # qualified by the queried object
    ],
)
def test_operators_and_literals(org: OrgDatabase, where: str, expected: set[str]) -> None:
    assert names(org, where) == expected


def test_ids_compare_in_15_and_18_character_forms(org: OrgDatabase) -> None:
    account_id = execute_soql(org, "SELECT Id FROM Account")["records"][0]["Id"]
    assert names(org, f"AccountId = '{account_id[:15]}'") == {ALPHA, GAMMA}
    assert names(org, f"AccountId IN ('{account_id}')") == {ALPHA, GAMMA}


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("CloseDate = TODAY", {ALPHA}),
        ("CloseDate = YESTERDAY", {BETA}),
        ("CloseDate != TODAY", {BETA, GAMMA}),
        ("CloseDate < TODAY", {BETA}),
        ("CloseDate <= TODAY", {ALPHA, BETA}),
        ("CloseDate > TODAY", {GAMMA}),
        ("CloseDate >= TODAY", {ALPHA, GAMMA}),
        ("CloseDate = TOMORROW", set()),
        ("CloseDate = 2024-01-14", {BETA}),
        ("CloseDate > 2024-01-14", {ALPHA, GAMMA}),
        ("CloseDate IN (TODAY, YESTERDAY)", {ALPHA, BETA}),
        ("CloseDate = LAST_N_DAYS:1", {ALPHA, BETA}),  # includes today
        ("CloseDate = NEXT_N_DAYS:90", {GAMMA}),  # starts tomorrow
        ("CloseDate = THIS_MONTH", {ALPHA, BETA}),
        ("CloseDate = THIS_QUARTER", {ALPHA, BETA}),
        ("CloseDate = NEXT_QUARTER", {GAMMA}),
        ("CloseDate = LAST_QUARTER", set()),
        ("CloseDate = THIS_YEAR", {ALPHA, BETA, GAMMA}),
        ("CloseDate = LAST_YEAR", set()),
    ],
)
def test_date_literals_on_a_date_field(org: OrgDatabase, where: str, expected: set[str]) -> None:
    assert names(org, where) == expected


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("CreatedDate = TODAY", {ALPHA}),  # within today, UTC
        ("CreatedDate = YESTERDAY", {BETA}),
        ("CreatedDate < TODAY", {BETA, GAMMA}),  # before today starts
        ("CreatedDate > YESTERDAY", {ALPHA}),  # after yesterday ends
        ("CreatedDate <= YESTERDAY", {BETA, GAMMA}),
        ("CreatedDate >= TODAY", {ALPHA}),
        ("CreatedDate = LAST_MONTH", {GAMMA}),
        ("CreatedDate = LAST_QUARTER", {GAMMA}),
        ("CreatedDate = LAST_YEAR", {GAMMA}),
        ("CreatedDate = LAST_N_DAYS:1", {ALPHA, BETA}),
        ("CreatedDate > 2024-01-14T23:59:59Z", {ALPHA, BETA}),
        ("CreatedDate > 2024-01-15T05:00:00+05:00", {ALPHA}),  # = 00:00 UTC
        ("CreatedDate = 2024-01-15T10:00:00.000Z", {ALPHA}),
        ("CreatedDate < 2024-01-01T00:00:00-01:00", {GAMMA}),
    ],
)
def test_date_literals_on_a_datetime_field(
    org: OrgDatabase, where: str, expected: set[str]
) -> None:
    assert names(org, where) == expected


@pytest.mark.parametrize(
    ("where", "code", "message"),
    [
        (
            "CloseDate = 2024-01-15T00:00:00Z",
            "INVALID_FIELD",
            "'CloseDate' must be of type date and should not",
        ),
        ("CreatedDate = 2024-01-15", "INVALID_FIELD", "'CreatedDate' must be of type dateTime"),
        (
            "CloseDate = '2024-01-15'",
            "INVALID_FIELD",
            "must be of type date and should not be enclosed",
        ),
        (
            "Name = 5",
            "INVALID_FIELD",
            "'Name' must be of type string and should be enclosed in quotes",
        ),
        ("Amount = '5'", "INVALID_FIELD", "'Amount' must be of type double"),
        ("Budget_Confirmed__c = 1", "INVALID_FIELD", "must be of type boolean"),
        ("Budget_Confirmed__c = 'true'", "INVALID_FIELD", "must be of type boolean"),
        ("Budget_Confirmed__c > true", "INVALID_FIELD", "invalid operator on boolean field"),
        ("Name = TODAY", "INVALID_FIELD", "must be of type string"),
        ("Amount LIKE '1%'", "INVALID_FIELD", "invalid operator on currency field"),
        ("Id = 'abc'", "INVALID_QUERY_FILTER_OPERATOR", "invalid ID field: abc"),
        ("Description = 'x'", "INVALID_FIELD", "field 'Description' can not be filtered"),
        ("Name = 'a\\x'", "MALFORMED_QUERY", "Illegal character sequence '\\x'"),
        ("CloseDate = LAST_N_DAYS:99999999", "MALFORMED_QUERY", "invalid date literal"),
        ("CloseDate = SOMEDAY", "MALFORMED_QUERY", "unexpected token: 'SOMEDAY'"),
        ("Nope = 1", "INVALID_FIELD", "No such column 'Nope' on entity 'Opportunity'"),
    ],
)
def test_type_and_name_errors(org: OrgDatabase, where: str, code: str, message: str) -> None:
    with pytest.raises(SoqlError) as caught:
        names(org, where)
    assert caught.value.error_code == code
    assert message in caught.value.message
    assert caught.value.status == 400
