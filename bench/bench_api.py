"""Latency and throughput of `opportunities(first: 50)` with derived facts, on the mirrors that
bench_sync.py left (SQLite and PostgreSQL), as the org's admin (whole org visible) and as a
rep, at 1, 8 and 32 concurrent clients; and, in the same run, a plain Starlette endpoint
returning the same JSON from memory (the ceiling).

    .venv/bin/python bench/bench_api.py [--opportunities 100000] [--seed 42]
        [--backends sqlite,postgresql] [--concurrency 1,8,32] [--seconds 10] [--warmup 2]

Each server is its own uvicorn process (one worker, access log off; see api_server.py). The
load generator is this process: httpx.AsyncClient, keep-alive, one coroutine per client, each
sending its next request when the previous one is answered. It shares the machine's cores with
the server, so the ceiling's figures are partly the load generator's own limit.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import common
import httpx
from pydantic import SecretStr

from api.settings import Settings
from auth.dev_tokens import issue_dev_token

QUERY = """{ opportunities(first: 50) { edges { node {
  id name amount closeDate daysInStage stageNumber closeDatePushCount nextMeetingDate
  account { name } owner { name } stage { name } competitors
} } } }"""
ROLES = ("admin", "rep")


@contextmanager
def server(kind: str, source: str) -> Iterator[str]:
    port = common.free_port()
    argv = [sys.executable, str(Path(__file__).with_name("api_server.py")), kind, source, str(port)]
    url = f"http://127.0.0.1:{port}/graphql"
    with common.running(argv, url):
        yield url


def check(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    if response.status_code != 200 or body.get("errors"):
        raise RuntimeError(f"bad answer {response.status_code}: {response.text[:500]}")
    edges = body["data"]["opportunities"]["edges"]
    if len(edges) != 50:
        raise RuntimeError(f"expected 50 opportunities, got {len(edges)}: is the mirror synced?")
    return dict(body)


async def load(
    url: str, token: str, concurrency: int, seconds: float, warmup: float
) -> dict[str, Any]:
    """`concurrency` clients in a closed loop for warmup + seconds; latencies after warm-up.
    Each client has its own AsyncClient (one keep-alive connection): one pool shared by 32
    coroutines costs httpx more than the ceiling server spends per request."""
    headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}
    body = json.dumps({"query": QUERY}).encode()
    latencies: list[float] = []
    errors = 0
    start = time.perf_counter()
    measure_from, stop = start + warmup, start + warmup + seconds

    async def one_client() -> None:
        nonlocal errors
        async with httpx.AsyncClient(timeout=60) as client:
            while (sent := time.perf_counter()) < stop:
                response = await client.post(url, content=body, headers=headers)
                done = time.perf_counter()
                if response.status_code != 200 or b'"errors"' in response.content:
                    errors += 1
                if sent >= measure_from:
                    latencies.append(done - sent)

    await asyncio.gather(*(one_client() for _ in range(concurrency)))
    latencies.sort()
    return {
        "requests": len(latencies),
        "rps": len(latencies) / seconds,
        "p50": statistics.median(latencies) * 1000,
        "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
        "errors": errors,
    }


def run_cells(
    label: str, role: str, url: str, token: str, args: argparse.Namespace
) -> list[list[object]]:
    rows: list[list[object]] = []
    for concurrency in args.concurrency:
        print(f"{label} {role} c={concurrency} ...", flush=True)
        r = asyncio.run(load(url, token, concurrency, args.seconds, args.warmup))
        rows.append([label, role, concurrency, r["requests"], f"{r['rps']:.1f}",
                     f"{r['p50']:.1f}", f"{r['p99']:.1f}", r["errors"]])  # fmt: skip
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--opportunities", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--backends", default=",".join(common.BACKENDS))
    parser.add_argument("--concurrency", default="1,8,32")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    args = parser.parse_args()
    args.concurrency = [int(c) for c in args.concurrency.split(",")]

    config = json.loads(common.devorg_json(args.opportunities, args.seed).read_text())
    settings = Settings(secret_key=SecretStr(common.SECRET_KEY))
    tokens = {
        role: issue_dev_token(settings, config["org_id"], config["users"][role]["user_id"])
        for role in ROLES
    }
    rows: list[list[object]] = []
    answer: dict[str, Any] | None = None
    for backend in args.backends.split(","):
        url = common.mirror_url(backend, args.opportunities, args.seed)
        common.analyze(url)
        with server("graphql", url) as endpoint:
            for role in ROLES:
                headers = {"authorization": f"Bearer {tokens[role]}"}
                first = check(httpx.post(endpoint, json={"query": QUERY}, headers=headers))
                answer = answer or first
                rows += run_cells(backend, role, endpoint, tokens[role], args)
    assert answer is not None
    with tempfile.NamedTemporaryFile("w", suffix=".json") as handle:
        json.dump(answer, handle)
        handle.flush()
        with server("ceiling", handle.name) as endpoint:
            rows += run_cells("ceiling (Starlette, JSON from memory)", "admin's JSON", endpoint,
                              tokens["admin"], args)  # fmt: skip

    size = len(json.dumps(answer).encode())
    print(f"\n{common.command_line()}")
    print(f"machine: {common.machine()}; server and load generator share the cores")
    print(f"mirror: {args.opportunities:,} opportunities (seed {args.seed}); answer {size:,} bytes")
    print(f"{args.seconds:g} s per cell after {args.warmup:g} s of warm-up; closed loop\n")
    print(common.table(["server", "principal", "clients", "requests", "req/s", "p50 (ms)",
                        "p99 (ms)", "errors"], rows))  # fmt: skip


if __name__ == "__main__":
    main()
