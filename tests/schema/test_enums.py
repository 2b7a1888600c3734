"""Domain enums are declared once: GraphQL's enums are the domain's own classes."""

from __future__ import annotations

from enum import Enum

import pytest
from strawberry.types.enum import StrawberryEnumDefinition

from auth.visibility import AccessLevel
from schema.schema import build_schema
from store.queries import Ordering, SortDirection, SortField


@pytest.mark.parametrize(
    ("graphql_name", "domain"),
    [
        ("AccessLevel", AccessLevel),
        ("OpportunitySortField", SortField),
        ("SortDirection", SortDirection),
    ],
)
def test_graphql_enums_are_the_domain_enums(graphql_name: str, domain: type[Enum]) -> None:
    definition = build_schema().get_type_by_name(graphql_name)
    assert isinstance(definition, StrawberryEnumDefinition)
    assert definition.wrapped_cls is domain
    assert [value.name for value in definition.values] == [member.name for member in domain]


def test_the_direction_enum_decides_descending() -> None:
    assert Ordering.by(SortField.AMOUNT, SortDirection.ASC) == Ordering(SortField.AMOUNT, False)
    assert Ordering(SortField.AMOUNT, True).direction is SortDirection.DESC
