"""What the API tests of the sales process's mutations share: the errors selection of a
payload and reading the one payload a mutation (or the preview query) answers."""

from __future__ import annotations

from typing import Any

from store.models import SfUser
from tests.graphql_client import GraphQLClient


def errors_selection(error_type: str) -> str:
    """A payload's `errors` with every field, and those of the concrete `error_type`."""
    return f"errors {{ __typename field message ... on {error_type} {{ code line column }} }}"


async def payload_of(
    client: GraphQLClient, query: str, variables: dict[str, Any], user: SfUser
) -> dict[str, Any]:
    """The payload of the one mutation (or preview) `query` runs, as `user`."""
    data = await client.data(query, variables, as_user=user)
    [payload] = data.values()
    assert isinstance(payload, dict)
    return payload
