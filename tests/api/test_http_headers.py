"""What every answer carries and who may call from a browser (issue 11), over HTTP: security
headers on the API, GraphiQL, health and OAuth answers (HSTS only over https, an answer's own
caching kept); CORS preflight and requests for a configured origin, refused for another;
origins checked at start-up; introspection on by default and switchable off."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from sqlalchemy import Engine

from api.settings import Settings
from tests import factories as f
from tests.graphql_client import GRAPHQL_RESPONSE, graphql_client

pytestmark = [pytest.mark.anyio, pytest.mark.sqlite_only]

LIGHTNING = "https://acme.lightning.force.com"
SECURITY = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "content-security-policy": "frame-ancestors 'none'",
    "referrer-policy": "no-referrer",
}


@pytest.mark.parametrize("issuer", ["http://127.0.0.1:8000", "https://dealpulse.example.com"])
async def test_every_answer_carries_the_security_headers(store_engine: Engine, issuer: str) -> None:
    team = f.team(store_engine)
    async with graphql_client(store_engine, oauth_issuer=issuer) as client:
        answers = {
            "graphql": await client.post("{ me { accessLevel } }", as_user=team.reps[0]),
            "graphiql": await client.http.get("/graphql", headers={"accept": "text/html"}),
            "healthz": await client.http.get("/healthz"),
            "token error": await client.http.post("/oauth/token", data={"grant_type": "x"}),
            "jwks": await client.http.get("/oauth/jwks"),
        }
    for name, answer in answers.items():
        assert answer.status_code < 500, (name, answer.text)
        assert {k: answer.headers.get(k) for k in SECURITY} == SECURITY, name
        hsts = answer.headers.get("strict-transport-security")
        assert hsts == ("max-age=31536000" if issuer.startswith("https") else None), name
    assert answers["graphql"].headers["cache-control"] == "no-store"
    assert answers["jwks"].headers["cache-control"] == "max-age=300"  # its own, kept


async def test_cors_serves_a_configured_origin_and_no_other(store_engine: Engine) -> None:
    team = f.team(store_engine)
    preflight = {
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type",
    }
    async with graphql_client(store_engine, cors_origins=f"{LIGHTNING} http://localhost:3000") as c:
        allowed = await c.http.options("/graphql", headers={"origin": LIGHTNING, **preflight})
        refused = await c.http.options(
            "/graphql", headers={"origin": "https://evil.example", **preflight}
        )
        headers = {**c.headers_for(team.reps[0]), "origin": LIGHTNING}
        served = await c.http.post(
            "/graphql", json={"query": "{ me { accessLevel } }"}, headers=headers
        )
        other = await c.http.post(
            "/graphql", json={"query": "{ me { accessLevel } }"},
            headers={**headers, "origin": "https://evil.example"},
        )  # fmt: skip
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == LIGHTNING
    assert "authorization" in allowed.headers["access-control-allow-headers"].lower()
    assert "access-control-allow-credentials" not in allowed.headers  # bearer tokens only
    assert refused.status_code == 400
    assert "access-control-allow-origin" not in refused.headers
    assert served.headers["access-control-allow-origin"] == LIGHTNING
    assert served.json()["data"] == {"me": {"accessLevel": "REP"}}
    # The server still answers (CORS is the browser's to enforce) but grants the origin nothing.
    assert "access-control-allow-origin" not in other.headers


async def test_without_configured_origins_no_origin_is_granted(store_engine: Engine) -> None:
    async with graphql_client(store_engine) as client:
        answer = await client.http.options(
            "/graphql", headers={"origin": LIGHTNING, "access-control-request-method": "POST"}
        )
    assert "access-control-allow-origin" not in answer.headers


@pytest.mark.parametrize(
    "origins", ["*", "https://a.example/", "https://a.example/path", "ftp://a.example", "a.example"]
)
def test_an_origin_that_is_not_one_is_refused_at_start_up(origins: str) -> None:
    with pytest.raises(ValidationError, match="not an origin"):
        Settings(cors_origins=origins)


@pytest.mark.parametrize("introspection", [True, False])
async def test_introspection_is_on_unless_switched_off(
    store_engine: Engine, introspection: bool
) -> None:
    team = f.team(store_engine)
    async with graphql_client(store_engine, introspection=introspection) as client:
        answer = await client.post(
            "{ __schema { queryType { name } } }", as_user=team.reps[0], accept=GRAPHQL_RESPONSE
        )
        typename = await client.post("{ __typename }", as_user=team.reps[0])
    if introspection:
        assert answer.json()["data"] == {"__schema": {"queryType": {"name": "Query"}}}
    else:
        assert answer.status_code == 400
        assert "introspection" in answer.json()["errors"][0]["message"].lower()
    assert typename.json()["data"] == {"__typename": "Query"}
