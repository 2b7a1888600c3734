"""SOQL builders: values quoted by format_soql, names checked, IN batches."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from salesforce.errors import SalesforceRequestError
from salesforce.gateway import Gateway
from salesforce.soql import by_ids, check_fields, select, since
from tests.devorg_server import RunningDevorg
from tests.salesforce.conftest import gateway

HOSTILE = "O'Brien\\' OR Name != '' --\n\"x\""


def test_hostile_values_are_quoted_and_escaped() -> None:
    statement = select("Opportunity", ["Id"], where="Name = {name}", name=HOSTILE)
    assert statement == (
        "SELECT Id FROM Opportunity WHERE Name = 'O\\'Brien\\\\\\' OR Name != \\'\\' --\\n"
        '\\"x\\"\''
    )


def test_a_hostile_value_matches_nothing_on_devorg(devorg: RunningDevorg) -> None:
    gw: Gateway = gateway(devorg)
    statement = select("Opportunity", ["Id"], where="Name = {name}", name=HOSTILE)
    assert list(gw.query_all_iter(statement)) == []
    names = by_ids("Opportunity", ["Id"], "Name", [HOSTILE, "') OR (Name != '"])
    assert list(gw.query_all_iter(next(names))) == []
    # Against an id field the hostile text stays one (invalid) id value.
    ids = by_ids("Opportunity", ["Id"], "Id", ["006' OR Id != '"])
    with pytest.raises(SalesforceRequestError, match="invalid ID field"):
        list(gw.query_all_iter(next(ids)))


def test_names_are_checked_against_a_pattern_and_the_describe() -> None:
    describe = {"fields": [{"name": "Id"}, {"name": "Amount"}]}
    assert check_fields(["Id", "amount", "Owner.Name"], describe) == ["Id", "amount", "Owner.Name"]
    for bad in ["Id, (SELECT Id FROM X)", "Amount--", "", "1Id", "Name FROM User"]:
        with pytest.raises(SalesforceRequestError):
            check_fields([bad])
    with pytest.raises(SalesforceRequestError, match="no such field"):
        check_fields(["Secret__c"], describe)


def test_since_uses_the_watermark_as_a_datetime_literal() -> None:
    after = datetime(2024, 5, 1, 10, 30, 15, 123456, tzinfo=UTC)
    assert since("Task", ["Id"], modstamp_field="SystemModstamp", after=after,
                 extra_where="WhatId != null") == (
        "SELECT Id FROM Task WHERE (WhatId != null) AND SystemModstamp > 2024-05-01T10:30:15+00:00"
    )  # fmt: skip
    assert since("User", ["Id"], modstamp_field="SystemModstamp", after=None) == (
        "SELECT Id FROM User"
    )


def test_by_ids_makes_one_in_per_batch() -> None:
    ids = [f"006{n:015d}" for n in range(650)] + ["006000000000000000"]
    statements = list(by_ids("OpportunityHistory", ["Id"], "OpportunityId", ids, batch=300))
    assert len(statements) == 3
    assert statements[0].count("'006") == 300
    assert statements[2].count("'006") == 50
    assert statements[0].startswith(
        "SELECT Id FROM OpportunityHistory WHERE OpportunityId IN ('006000000000000000',"
    )
