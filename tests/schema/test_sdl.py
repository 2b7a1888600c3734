"""The committed SDL is the schema: a change to the schema is a reviewed change to the file."""

from __future__ import annotations

from schema.schema import SDL_PATH, export_sdl


def test_committed_sdl_matches_the_schema() -> None:
    assert SDL_PATH.read_text(encoding="utf-8") == export_sdl(), (
        "schema/schema.graphql is out of date: run `dealpulse export-schema`"
    )


def test_sdl_has_the_read_api() -> None:
    sdl = export_sdl()
    for expected in (
        "me: Me!",
        "opportunity(id: ID!): Opportunity",
        "syncStatus: SyncStatus!",
        "totalCount: Int!",
        "field(name: String!): FieldValue!",
    ):
        assert expected in sdl
