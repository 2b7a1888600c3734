"""The facts registry, the derived_facts table the migrations build and the committed SDL say
the same thing: a fact added to one and not the others fails here."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from alembic import command
from graphql import GraphQLNonNull, GraphQLObjectType, build_schema, get_named_type
from sqlalchemy import inspect

from rules.fact_registry import EXPOSED_FACTS, FACTS, STORED_FACTS
from schema.schema import SDL_PATH
from store.migrate import alembic_config
from store.models import DerivedFacts
from tests.store_backends import empty_engine

# The columns of derived_facts that are not facts.
BOOKKEEPING = {"org_id", "opportunity_id", "computed_at"}
GRAPHQL_SCALARS = {int: "Int", float: "Float", Decimal: "Decimal", date: "Date",
                   datetime: "DateTime"}  # fmt: skip


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_migrated_table_has_one_column_per_stored_fact(backend: str, tmp_path: Path) -> None:
    with empty_engine(backend, tmp_path) as engine, engine.connect() as connection:
        config = alembic_config("unused://")
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
        connection.commit()
        columns = {c["name"]: c for c in inspect(connection).get_columns("derived_facts")}
    assert set(columns) == BOOKKEEPING | {fact.key for fact in STORED_FACTS}
    for fact in STORED_FACTS:
        column = columns[fact.key]
        stored_as = fact.python_type
        if fact.python_type is Decimal and backend == "sqlite":
            stored_as = int  # store.types.Money: integer units of the scale (cents) on SQLite
        assert column["type"].python_type is stored_as, fact.name
        assert column["nullable"] is fact.nullable, fact.name


def test_the_model_columns_are_the_registry() -> None:
    table = DerivedFacts.__table__  # type: ignore[attr-defined]
    assert [c.name for c in table.columns if c.name not in BOOKKEEPING] == [
        fact.key for fact in STORED_FACTS
    ]


def test_the_sdl_has_one_opportunity_field_per_exposed_fact() -> None:
    opportunity = build_schema(SDL_PATH.read_text(encoding="utf-8")).get_type("Opportunity")
    assert isinstance(opportunity, GraphQLObjectType)
    for fact in EXPOSED_FACTS:
        field = opportunity.fields[fact.graphql_name]
        # nullable: blank until the opportunity's facts are first computed
        assert not isinstance(field.type, GraphQLNonNull), fact.name
        assert get_named_type(field.type).name == GRAPHQL_SCALARS[fact.python_type], fact.name
        assert field.description == fact.description, fact.name
    hidden = [fact.graphql_name for fact in FACTS if not fact.exposed]
    assert hidden
    assert not [name for name in hidden if name in opportunity.fields]
