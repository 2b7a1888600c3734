"""Bad input gets a clear GraphQL error and the right status, never a 500 or a stack trace.

application/json keeps 200 for GraphQL errors; application/graphql-response+json gets the
GraphQL-over-HTTP status codes (400 before execution, 401 without a principal)."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any
from unittest.mock import patch

import httpx
import pytest
from sqlalchemy import Engine

from tests import factories as f
from tests.graphql_client import GRAPHQL_RESPONSE, JSON, graphql_client

pytestmark = [pytest.mark.anyio, pytest.mark.sqlite_only]

DEEP = "{ me { user { manager { manager { manager { manager { manager { manager { manager { manager { manager { name } } } } } } } } } } } }"  # noqa: E501
ALIASES = "{ " + " ".join(f"a{i}: stages {{ name }}" for i in range(40)) + " }"
HUGE = "{ stages { " + " ".join(["name"] * 2100) + " } }"

# (query, variables, status for application/json, for graphql-response+json)
CASES: dict[str, tuple[str, dict[str, Any] | None, int, int]] = {
    "syntax": ("{ stages { name }", None, 200, 400),
    "unknown field": ("{ stages { nope } }", None, 200, 400),
    "wrong variable type": (
        "query($f: OpportunityFilterInput) { opportunities(filter: $f) { totalCount } }",
        {"f": {"amountMin": "lots"}},
        200,
        400,
    ),
    "wrong literal type": ('{ opportunities(first: "ten") { totalCount } }', None, 200, 400),
    "too deep": (DEEP, None, 200, 400),
    "too many aliases": (ALIASES, None, 200, 400),
    "too many tokens": (HUGE, None, 200, 400),
    "invalid id": ('{ opportunity(id: "abc") { id } }', None, 200, 200),
}


@pytest.mark.parametrize("accept", [JSON, GRAPHQL_RESPONSE])
@pytest.mark.parametrize("case", list(CASES))
async def test_bad_input_statuses(store_engine: Engine, case: str, accept: str) -> None:
    team = f.team(store_engine)
    query, variables, json_status, spec_status = CASES[case]
    async with graphql_client(store_engine, max_query_depth=8) as client:
        response = await client.post(query, variables, as_user=team.reps[0], accept=accept)
    assert response.status_code == (json_status if accept == JSON else spec_status), response.text
    assert response.headers["content-type"].startswith(accept)
    payload = response.json()
    assert payload["errors"], payload
    assert all("Traceback" not in e["message"] for e in payload["errors"])


@pytest.mark.parametrize("accept", [JSON, GRAPHQL_RESPONSE])
@pytest.mark.parametrize("token", [None, "forged.token.value", "expired"])
async def test_missing_or_bad_tokens(store_engine: Engine, accept: str, token: str | None) -> None:
    team = f.team(store_engine)
    async with graphql_client(store_engine) as client:
        if token == "expired":
            from auth.dev_tokens import issue_dev_token

            token = issue_dev_token(client.settings, f.ORG_A, team.reps[0].id, ttl_seconds=-5)
        response = await client.post("{ me { accessLevel } }", token=token or "", accept=accept)
    assert response.status_code == (200 if accept == JSON else 401)
    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": "UNAUTHENTICATED"}
    assert response.headers["www-authenticate"] == "Bearer"


async def test_a_bug_is_masked_and_logged_with_a_request_id(
    store_engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    team = f.team(store_engine)
    caplog.set_level(logging.ERROR, logger="dealpulse.graphql")
    async with graphql_client(store_engine) as client:
        with patch("resolvers.status.queries.stages", side_effect=RuntimeError("secret detail")):
            response = await client.post("{ stages { name } }", as_user=team.reps[0])
    [error] = response.json()["errors"]
    assert error["message"] == "Unexpected error."
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    request_id = error["extensions"]["requestId"]
    assert request_id == response.headers["x-request-id"]
    assert "secret detail" not in response.text
    assert request_id in caplog.text
    assert "secret detail" in caplog.text  # the trace is in the log, not the response


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
async def test_a_non_finite_float_variable_is_the_clients_error(
    store_engine: Engine, caplog: pytest.LogCaptureFixture, constant: str
) -> None:
    # Python's JSON parser accepts these non-standard constants; Decimal coercion refuses them.
    team = f.team(store_engine)
    caplog.set_level(logging.ERROR, logger="dealpulse.graphql")
    query = "query($a: Decimal) { opportunities(filter: {amountMin: $a}) { totalCount } }"
    async with graphql_client(store_engine) as client:
        response = await client.http.post(
            "/graphql",
            # json.dumps writes a non-finite float as the bare constant (NaN, Infinity).
            content=json.dumps({"query": query, "variables": {"a": float(constant)}}),
            headers=client.headers_for(
                team.reps[0], content_type="application/json", accept=GRAPHQL_RESPONSE
            ),
        )
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert "NaN and infinities are not decimals" in error["message"]
    assert "unexpected error" not in caplog.text


@pytest.mark.parametrize(
    ("sent", "kept"),
    [("req-42.a:b_c", True), ("x" * 65, False), ("id with spaces", False), ("id\tforged", False)],
)
async def test_a_client_request_id_is_echoed_only_when_it_is_plainly_an_id(
    store_engine: Engine, sent: str, kept: bool
) -> None:
    team = f.team(store_engine)
    async with graphql_client(store_engine) as client:
        response = await client.http.post(
            "/graphql",
            json={"query": "{ stages { name } }"},
            headers=client.headers_for(team.reps[0], x_request_id=sent),
        )
    echoed = response.headers["x-request-id"]
    assert (echoed == sent) is kept
    assert len(echoed) <= 64


async def test_get_serves_queries_but_refuses_mutations(store_engine: Engine) -> None:
    team = f.team(store_engine)
    async with graphql_client(store_engine) as client:
        token = client.token_for(team.reps[0])
        headers = {"authorization": f"Bearer {token}", "accept": JSON}
        ok = await client.http.get(
            "/graphql", params={"query": "{ stages { name } }"}, headers=headers
        )
        refused = await client.http.get(
            "/graphql", params={"query": "mutation { x }"}, headers=headers
        )
        page = await client.http.get("/graphql", headers={"accept": "text/html"})
    assert ok.status_code == 200
    assert len(ok.json()["data"]["stages"]) == 6
    assert refused.status_code == 405
    assert "errors" in refused.json()
    assert page.status_code == 200
    assert "graphiql" in page.text.lower()


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        ("{not json", "application/json"),
        ("{}", "application/json"),
        # JSON, but not an object: strawberry would crash on it with a 500.
        *((body, "application/json") for body in ("5", '"query"', "null", "true")),
        ('{"variables": ' + '{"a": ' * 5000 + "1" + "}" * 5001, "application/json"),
        # Not UTF-8: json.loads raises UnicodeDecodeError, which strawberry does not catch.
        (b'{"query": "{ me { scopes } }\xff"}', "application/json"),
        (b'{"query": "\xc3"}', "application/json; charset=utf-8"),
        # An integer past Python's 4300-digit limit: json.loads raises a plain ValueError.
        ('{"query": "{ me { scopes } }", "variables": {"n": ' + "9" * 5000 + "}}", JSON),
    ],
)
async def test_malformed_http_bodies_are_400(
    store_engine: Engine, content: str | bytes, content_type: str
) -> None:
    team = f.team(store_engine)
    async with graphql_client(store_engine) as client:
        response = await client.http.post(
            "/graphql",
            content=content,
            headers=client.headers_for(
                team.reps[0], content_type=content_type, accept=GRAPHQL_RESPONSE
            ),
        )
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"]


@pytest.mark.parametrize("chunked", [False, True])
async def test_an_oversized_body_is_413_before_it_is_read(
    store_engine: Engine, chunked: bool
) -> None:
    team = f.team(store_engine)
    body = json.dumps({"query": "{ me { accessLevel } }", "variables": {"x": "a" * 5000}})

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: sent chunked
        for start in range(0, len(body), 1000):
            yield body[start : start + 1000].encode()

    async with graphql_client(store_engine, max_body_bytes=4096) as client:
        response = await client.http.post(
            "/graphql",
            content=chunks() if chunked else body,
            headers=client.headers_for(
                team.reps[0], content_type="application/json", accept=GRAPHQL_RESPONSE
            ),
        )
    assert response.status_code == 413
    assert "larger than 4096 bytes" in response.json()["errors"][0]["message"]


async def test_health_and_readiness(store_engine: Engine) -> None:
    async with graphql_client(store_engine) as client:
        assert (await client.http.get("/healthz")).status_code == 200
        assert (await client.http.get("/readyz")).json() == {"status": "ready"}


async def test_readiness_fails_when_the_database_is_unreachable() -> None:
    from api.app import create_app
    from store.engine import make_engine
    from tests.graphql_client import make_settings

    engine = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    app = create_app(make_settings(), engine=engine)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        response = await http.get("/readyz")
    engine.dispose()
    assert response.status_code == 503


@pytest.mark.parametrize("variables", ["[" * 5000, '{"n": ' + "9" * 5000 + "}"])
async def test_undecodable_variables_over_get_are_400(store_engine: Engine, variables: str) -> None:
    team = f.team(store_engine)
    async with graphql_client(store_engine) as client:
        response = await client.http.get(
            "/graphql",
            params={"query": "{ me { accessLevel } }", "variables": variables},
            headers=client.headers_for(team.reps[0]),
        )
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"]


@pytest.mark.parametrize(
    ("content_type", "status"),
    [
        # parsed as a media type: case-insensitive, parameters apart
        ("application/json", 200),
        ("Application/JSON", 200),
        ('application/json; charset="UTF-8"', 200),
        # not matched as a substring, and JSON only in UTF-8
        ("application/jsonx", 415),
        ("text/json", 415),
        ("text/plain", 415),
        ("multipart/mixed; application/json", 415),
        ("application/json; charset=latin-1", 415),
    ],
)
async def test_content_types_are_media_types(
    store_engine: Engine, content_type: str, status: int
) -> None:
    team = f.team(store_engine)
    async with graphql_client(store_engine) as client:
        response = await client.http.post(
            "/graphql",
            content=json.dumps({"query": "{ me { accessLevel } }"}),
            headers=client.headers_for(team.reps[0], content_type=content_type),
        )
    assert response.status_code == status, response.text
    if status == 200:
        assert response.json()["data"] == {"me": {"accessLevel": "REP"}}
    else:
        assert response.json()["errors"][0]["message"].startswith("unsupported")
