"""Per-principal rate limits (issue 11) over HTTP: a caller past its burst gets 429 with
`Retry-After` and a RATE_LIMITED error before anything runs, other callers keep theirs, a
refused token is counted against its address; two apps on one Redis share the buckets, and
a Redis that cannot be reached lets requests through. The bucket arithmetic on a fake clock."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
import redis
from sqlalchemy import Engine
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from api.rate_limits import MemoryBuckets, Rate, caller_key
from auth.credentials import Credentials
from auth.errors import AuthenticationError
from tests import factories as f
from tests.api.subscriptions import PROTOCOL, next_message, served
from tests.graphql_client import GRAPHQL_RESPONSE, JSON, GraphQLClient, graphql_client
from tests.store_backends import counting

pytestmark = [pytest.mark.anyio, pytest.mark.sqlite_only]

REDIS = "redis://127.0.0.1:6379/0"
ME = "{ me { accessLevel } }"
SLOW = {"rate_limit_per_second": 0.01, "rate_limit_burst": 3}  # no refill within a test


async def _me(
    client: GraphQLClient, token: str, accept: str = JSON
) -> tuple[int, dict[str, Any], str]:
    answer = await client.post(ME, token=token, accept=accept)
    return answer.status_code, answer.json(), answer.headers.get("retry-after", "")


@pytest.mark.parametrize("accept", [JSON, GRAPHQL_RESPONSE])
async def test_a_caller_past_its_burst_waits_and_nobody_else_does(
    store_engine: Engine, accept: str
) -> None:
    team = f.team(store_engine)
    async with graphql_client(store_engine, **SLOW) as client:
        rep, other = client.token_for(team.reps[0]), client.token_for(team.reps[1])
        served = [await _me(client, rep, accept) for _ in range(3)]
        with counting(store_engine) as statements:
            status, body, retry_after = await _me(client, rep, accept)
        others = await _me(client, other, accept)
    assert [s[0] for s in served] == [200, 200, 200]
    assert status == 429
    # a whole number of seconds after which a token is back: 1 / 0.01 per second
    assert retry_after == "100"
    assert [e["extensions"] for e in body["errors"]] == [
        {"code": "RATE_LIMITED", "retryAfter": 100}
    ]
    assert statements == []  # refused before anything ran
    assert others[0] == 200


async def test_refused_tokens_are_counted_against_their_address(store_engine: Engine) -> None:
    team = f.team(store_engine)
    async with graphql_client(store_engine, **SLOW) as client:
        garbage = [(await client.post(ME, token=f"garbage-{n}")).status_code for n in range(4)]
        valid = await _me(client, client.token_for(team.reps[0]))
    assert garbage[:3] == [200, 200, 200]  # application/json: UNAUTHENTICATED in the body
    assert garbage[3] == 429
    assert valid[0] == 200  # a principal has its own bucket


async def test_the_oauth_endpoints_count_their_callers_by_address(store_engine: Engine) -> None:
    f.team(store_engine)
    form = {"grant_type": "client_credentials"}
    async with graphql_client(store_engine, **SLOW) as client:
        answers = [await client.http.post("/oauth/token", data=form) for _ in range(3)]
        limited = await client.http.post("/oauth/revoke", data={"token": "x"})
    assert all(a.status_code in (400, 401) for a in answers)  # refused, but counted
    assert (limited.status_code, limited.headers["retry-after"]) == (429, "100")
    assert limited.json()["error"] == "temporarily_unavailable"
    assert limited.headers["cache-control"] == "no-store"


async def test_a_websocket_connection_counts_as_a_request(store_engine: Engine) -> None:
    """Past the burst, connection_init is refused: graphql-transport-ws closes with 4403 (its
    reason "Forbidden": the protocol carries no more), the same token acknowledged before."""
    team = f.team(store_engine)
    with served(store_engine, **SLOW) as api:
        token = api.token(team.reps[0], None)
        init = json.dumps(
            {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
        )
        acknowledged = []
        for _ in range(3):
            async with connect(api.url, subprotocols=[PROTOCOL]) as ws:  # type: ignore[list-item]
                await ws.send(init)
                acknowledged.append((await next_message(ws))["type"])
        async with connect(api.url, subprotocols=[PROTOCOL]) as ws:  # type: ignore[list-item]
            await ws.send(init)
            with pytest.raises(ConnectionClosed) as closed:
                await next_message(ws)
    assert acknowledged == ["connection_ack"] * 3
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4403


def _clear(*keys: str) -> None:
    with redis.Redis.from_url(REDIS) as server:
        server.delete(*(f"dealpulse:rate:{key}" for key in keys))


async def test_two_apps_on_one_redis_share_the_buckets(store_engine: Engine) -> None:
    team = f.team(store_engine)
    rep = team.reps[0]
    _clear(f"{rep.org_id}:{rep.id}")
    shared = {**SLOW, "redis_url": REDIS}
    async with (
        graphql_client(store_engine, **shared) as one,
        graphql_client(store_engine, **shared) as two,
    ):
        token = one.token_for(rep)
        answers = [await _me(one, token), await _me(two, token), await _me(one, token)]
        limited = await _me(two, token)
    assert [a[0] for a in answers] == [200, 200, 200]
    assert (limited[0], limited[2]) == (429, "100")
    _clear(f"{rep.org_id}:{rep.id}")


async def test_an_unreachable_redis_lets_requests_through(
    store_engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    team = f.team(store_engine)
    url = "redis://:sekret-password@127.0.0.1:1/0"
    with caplog.at_level(logging.WARNING, logger="api.rate_limits"):
        async with graphql_client(store_engine, **SLOW, redis_url=url) as client:
            token = client.token_for(team.reps[0])
            statuses = [(await _me(client, token))[0] for _ in range(5)]
    assert statuses == [200] * 5
    assert "rate limits unavailable" in caplog.text
    assert "sekret" not in caplog.text


async def test_the_bucket_refills_at_its_rate_up_to_its_burst() -> None:
    now = [0.0]
    bucket = MemoryBuckets(Rate(per_second=2, burst=2), clock=lambda: now[0])
    assert [await bucket.take("k") for _ in range(2)] == [0.0, 0.0]
    assert await bucket.take("k") == pytest.approx(0.5)  # one token back in half a second
    now[0] = 0.5
    assert await bucket.take("k") == 0.0
    now[0] = 100.0  # a long pause refills to the burst, no more
    assert [await bucket.take("k") for _ in range(3)][2] == pytest.approx(0.5)


def test_the_caller_is_the_principal_or_else_the_address() -> None:
    user = Credentials(org_id="00D000000000001AAA", user_id="005000000000001AAA", expires_at=0)
    client = Credentials(org_id="00D000000000001AAA", user_id=None, expires_at=0, client_id="dp_x")
    assert caller_key(user, "10.0.0.1") == "00D000000000001AAA:005000000000001AAA"
    assert caller_key(client, "10.0.0.1") == "00D000000000001AAA:dp_x"
    assert caller_key(AuthenticationError("bad"), "10.0.0.1") == "address:10.0.0.1"
