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
import tempfile
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
BODY = json.dumps({"query": QUERY}).encode()
ROLES = ("admin", "rep")


def check(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    if response.status_code != 200 or body.get("errors"):
        raise RuntimeError(f"bad answer {response.status_code}: {response.text[:500]}")
    edges = body["data"]["opportunities"]["edges"]
    if len(edges) != 50:
        raise RuntimeError(f"expected 50 opportunities, got {len(edges)}: is the mirror synced?")
    return dict(body)


def run_cells(
    label: str, role: str, url: str, token: str, args: argparse.Namespace
) -> list[list[object]]:
    rows: list[list[object]] = []
    for concurrency in args.concurrency:
        print(f"{label} {role} c={concurrency} ...", flush=True)
        r = asyncio.run(common.load(url, token, BODY, concurrency, args.seconds, args.warmup))
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
        with common.api_server("graphql", url) as endpoint:
            for role in ROLES:
                headers = {"authorization": f"Bearer {tokens[role]}"}
                first = check(httpx.post(endpoint, json={"query": QUERY}, headers=headers))
                answer = answer or first
                rows += run_cells(backend, role, endpoint, tokens[role], args)
    assert answer is not None
    with tempfile.NamedTemporaryFile("w", suffix=".json") as handle:
        json.dump(answer, handle)
        handle.flush()
        with common.api_server("ceiling", handle.name) as endpoint:
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
