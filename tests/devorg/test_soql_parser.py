"""The parser: what it accepts, where it reports errors, and that no input escapes as a crash."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devorg.db import OrgDatabase
from devorg.soql import SoqlError, execute_soql, nodes
from devorg.soql.parser import parse


def test_parses_a_full_query() -> None:
    query = parse(
        "select Id, Account.Name from Opportunity o\n"
        "where (Amount >= -1.5 or Amount = null) and CloseDate = LAST_N_DAYS:30 "
        "order by Name desc nulls first, Id limit 10 offset 5"
    )
    assert [i.parts for i in query.select if isinstance(i, nodes.FieldPath)] == [
        ("Id",),
        ("Account", "Name"),
    ]
    assert (query.sobject, query.alias, query.limit, query.offset) == ("Opportunity", "o", 10, 5)
    assert query.order_by[0] == nodes.OrderItem(
        query.order_by[0].field, descending=True, nulls_first=True
    )
    assert query.order_by[1].nulls_first is True  # ASC defaults to NULLS FIRST
    assert isinstance(query.where, nodes.And)


@pytest.mark.parametrize(
    ("literal", "kind", "value"),
    [
        ("'It\\'s \\\\ \\n done'", "string", "It's \\ \n done"),
        ("'\\u00e9'", "string", "é"),
        ("42", "number", 42),
        ("-0.5", "number", -0.5),
        ("2024-01-15", "date", date(2024, 1, 15)),
        ("2024-01-15T10:30:00Z", "datetime", datetime(2024, 1, 15, 10, 30, tzinfo=UTC)),
        (
            "2024-01-15T10:30:00.250+05:00",
            "datetime",
            datetime(2024, 1, 15, 5, 30, 0, 250000, tzinfo=UTC),
        ),
        ("NULL", "null", None),
        ("True", "boolean", True),
        ("false", "boolean", False),
        ("this_quarter", "date_literal", nodes.DateLiteral("THIS_QUARTER", None)),
        ("NEXT_N_DAYS:7", "date_literal", nodes.DateLiteral("NEXT_N_DAYS", 7)),
    ],
)
def test_literals(literal: str, kind: str, value: object) -> None:
    where = parse(f"SELECT Id FROM Account WHERE Name = {literal}").where
    assert isinstance(where, nodes.Comparison)
    assert (where.value.kind, where.value.value) == (kind, value)


@pytest.mark.parametrize(
    ("soql", "row", "column", "token"),
    [
        ("SELECT Id FORM Account", 1, 11, "FORM"),
        ("SELECT Id FROM", 1, 15, "<EOF>"),
        ("SELECT Id\nFROM Account\nWHERE Name = 'x' AND b = 1 OR c = 2", 3, 28, "OR"),  # needs ()
        ("SELECT Id FROM Account WHERE Name = 'open", 1, 37, "'"),
        ("SELECT Id FROM Account LIMIT -1", 1, 30, "-1"),
        ("SELECT Id FROM Account GROUP BY Name", 1, 24, "GROUP"),
        ("SELECT Id FROM Account WHERE Name = 2024-13-45", 1, 37, "2024-13-45"),
    ],
)
def test_syntax_errors_name_row_and_column(soql: str, row: int, column: int, token: str) -> None:
    with pytest.raises(SoqlError) as caught:
        parse(soql)
    assert caught.value.error_code == "MALFORMED_QUERY"
    assert (
        f"ERROR at Row:{row}:Column:{column}\nunexpected token: '{token}'" in caught.value.message
    )


def test_overlong_and_deep_queries_are_refused() -> None:
    with pytest.raises(SoqlError, match="cannot be longer"):
        parse("SELECT Id FROM Account WHERE Name = '" + "x" * 100_000 + "'")
    deep = "SELECT Id FROM Account WHERE " + "NOT " * 5000 + "Name = 'x'"
    with pytest.raises(SoqlError):
        parse(deep)


def test_an_integer_too_long_to_convert_is_malformed() -> None:
    with pytest.raises(SoqlError, match="unexpected token"):
        parse("SELECT Id FROM Account WHERE NumberOfEmployees > " + "1" * 5000)


_DB = OrgDatabase(":memory:")
_WORDS = [
    "SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "LIKE", "ORDER", "BY", "ASC", "DESC",
    "NULLS", "FIRST", "LAST", "LIMIT", "OFFSET", "COUNT", "(", ")", ",", ".", ":", "=", "!=",
    "<", ">=", "Id", "Name", "Amount", "CloseDate", "CreatedDate", "Account", "Owner", "Manager",
    "Opportunity", "User", "null", "true", "'x'", "'a\\'b'", "'%'", "42", "-1.5", "2024-01-15",
    "2024-01-15T10:00:00Z", "TODAY", "LAST_N_DAYS", "THIS_QUARTER", "Metadata", "ValidationRule",
    "EntityDefinition", "IsDeleted", "2001", "99999999999999999999999",
]  # fmt: skip


def _only_soql_errors(soql: str, *, tooling: bool = False) -> None:
    """Anything but a SoqlError (a crash, a sqlite3 error) fails the test."""
    refusal: SoqlError | None = None
    try:
        result = execute_soql(_DB, soql, tooling=tooling)
    except SoqlError as error:
        refusal = error
    if refusal is None:
        assert result["done"] in (True, False)
    else:
        assert refusal.status == 400
        assert refusal.error_code.isupper()


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_random_text_gives_a_result_or_a_soql_error(text: str) -> None:
    _only_soql_errors(text)
    _only_soql_errors("SELECT Id FROM Opportunity WHERE " + text)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(_WORDS), max_size=18), st.booleans())
def test_random_token_sequences_give_a_result_or_a_soql_error(
    words: list[str], tooling: bool
) -> None:
    _only_soql_errors(" ".join(words), tooling=tooling)
    _only_soql_errors("SELECT Id FROM Opportunity WHERE " + " ".join(words))
    _only_soql_errors("SELECT " + " ".join(words))
