"""schemathesis over the whole GraphQL schema (issue 11), a short run: for every query and
mutation root field, documents generated from schema/schema.graphql with arbitrary arguments,
sent over real HTTP (uvicorn) with a valid token, never get a 5xx nor an
INTERNAL_SERVER_ERROR. The long run is bench/bench_schemathesis.py."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from graphql import (
    BooleanValueNode,
    IntValueNode,
    NameNode,
    NullValueNode,
    ObjectFieldNode,
    ObjectValueNode,
    StringValueNode,
)
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

from auth.dev_tokens import issue_dev_token
from store.engine import make_engine
from store.migrate import upgrade
from tests import factories as f
from tests.api.subscriptions import served

pytestmark = [pytest.mark.sqlite_only]


def _string(text: str) -> StringValueNode:
    return StringValueNode(value=text)


# The schema's own scalars, as literals: well-formed ones and ones that are not.
TEXT = st.text(max_size=30)
DATES = st.dates().map(str) | TEXT
MOMENTS = st.datetimes(timezones=st.just(UTC)).map(lambda m: m.isoformat()) | TEXT
DECIMALS = st.decimals(allow_nan=False, allow_infinity=False, places=2).map(str) | TEXT
LEAVES = (
    TEXT.map(_string)
    | st.integers(-(10**6), 10**6).map(lambda n: IntValueNode(value=str(n)))
    | st.booleans().map(lambda b: BooleanValueNode(value=b))
    | st.just(NullValueNode())
)
JSON_VALUES = st.recursive(
    LEAVES,
    lambda inner: st.dictionaries(
        st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,12}", fullmatch=True), inner, max_size=3
    ).map(
        lambda d: ObjectValueNode(
            fields=tuple(ObjectFieldNode(name=NameNode(value=k), value=v) for k, v in d.items())
        )
    ),
    max_leaves=5,
)
for name, values in {"Date": DATES, "DateTime": MOMENTS, "Decimal": DECIMALS}.items():
    schemathesis.graphql.scalar(name, values.map(_string))
schemathesis.graphql.scalar("JSON", JSON_VALUES)
SCHEMA = schemathesis.graphql.from_path(Path(__file__).parents[2] / "schema" / "schema.graphql")
# Per root field (one server for all); bench/bench_schemathesis.py makes it a long run.
EXAMPLES = int(os.environ.get("DEALPULSE_SCHEMATHESIS_EXAMPLES", "8"))


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """The API over HTTP on a store of its own (one team in org A), and an admin's headers
    (the admin reaches every field)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('schemathesis') / 'store.sqlite3'}"
    upgrade(url)
    engine = make_engine(url)
    team = f.team(engine)
    for rep in team.reps:
        f.opportunity(engine, rep)
    with served(engine) as running:
        token = issue_dev_token(running.settings, f.ORG_A, team.admin.id)
        yield running.url.replace("ws://", "http://"), {"authorization": f"Bearer {token}"}
    engine.dispose()


def no_server_error(ctx: Any, response: Any, case: Any) -> bool | None:
    """No 5xx, and no INTERNAL_SERVER_ERROR (a masked bug answers 200 with one). Not
    schemathesis's own not_a_server_error: for GraphQL it fails on any error with a path,
    and typed client errors (INVALID_ID, INVALID_CURSOR...) are the API's answer to bad input."""
    assert response.status_code < 500, (response.status_code, response.text[:200])
    content_type = response.headers.get("content-type", [""])[0]
    assert content_type.startswith("application/"), (response.status_code, response.text[:200])
    errors = (response.json() or {}).get("errors") or []
    codes = {(e.get("extensions") or {}).get("code") for e in errors if isinstance(e, dict)}
    assert "INTERNAL_SERVER_ERROR" not in codes, errors
    return None


@SCHEMA.parametrize()
@settings(
    max_examples=EXAMPLES, deadline=None, derandomize=True, phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)  # fmt: skip
def test_no_generated_request_is_a_server_error(case: Any, api: tuple[str, dict[str, str]]) -> None:
    base_url, headers = api
    case.call_and_validate(
        base_url=base_url, headers=headers,
        checks=[no_server_error],
    )  # fmt: skip
