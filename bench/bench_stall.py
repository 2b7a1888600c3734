"""Whether the heaviest accepted query stalls other requests (issue 11), in one run: the
latency of `/healthz` and of a small query (`{ me { accessLevel } }`) alone, then while one
client runs the heaviest query the cost limit accepts, back to back.

    .venv/bin/python bench/bench_stall.py [--opportunities 5000] [--seed 42] [--seconds 20]

The data and the server as bench_auth.py's (the seeded devorg synced into a SQLite mirror,
`api_server.py graphql`, one uvicorn worker, a run-as client of the admin with an access token
from /oauth/token). The heavy query: as many aliases of `opportunities(first: 200)` with their
owner, account and alerts as fit under DEALPULSE_MAX_QUERY_COST (its cost is printed). The
probes run sequentially from another thread, one request at a time; the figures are the
probes' latencies under load as a ratio of the same probes' alone, measured in this run.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from typing import Any

import common
import httpx
from bench_auth import access_token, prepare
from graphql import parse
from pydantic import SecretStr

from api.settings import Settings
from schema.query_cost import CostRules, operation_cost
from schema.schema import SchemaLimits, build_schema

RELATIONS = "id name owner { name } account { name } alerts { id message rule { name } }"
SMALL = "{ me { accessLevel } }"
LIMITS = SchemaLimits()


def _aliases(count: int) -> str:
    fields = " ".join(
        f"a{i}: opportunities(first: 200) {{ edges {{ node {{ {RELATIONS} }} }} }}"
        for i in range(count)
    )
    return "{ " + fields + " }"


def heavy_query() -> str:
    """As many aliases as the cost limit accepts, their cost as the server computes it."""
    rules = CostRules(LIMITS.max_cost, LIMITS.default_page_size, LIMITS.max_page_size)
    one = operation_cost(build_schema()._schema, parse(_aliases(1)), None, None, rules)
    return _aliases(LIMITS.max_cost // one)


def probe(endpoint: str, token: str, seconds: float) -> dict[str, list[float]]:
    """Latencies (s) of /healthz and the small query, alternately, for `seconds`."""
    health = endpoint.removesuffix("/graphql") + "/healthz"
    headers = {"authorization": f"Bearer {token}"}
    found: dict[str, list[float]] = {"/healthz": [], "small query": []}
    with httpx.Client(timeout=120) as http:
        stop = time.perf_counter() + seconds
        while time.perf_counter() < stop:
            start = time.perf_counter()
            http.get(health).raise_for_status()
            found["/healthz"].append(time.perf_counter() - start)
            start = time.perf_counter()
            answer = http.post(endpoint, json={"query": SMALL}, headers=headers)
            if answer.status_code != 200 or "errors" in answer.json():
                raise SystemExit(f"the small query failed: {answer.text[:500]}")
            found["small query"].append(time.perf_counter() - start)
    return found


def heavy_load(
    endpoint: str, token: str, stop: threading.Event, runs: list[float], cost: list[int]
) -> None:
    headers = {"authorization": f"Bearer {token}"}
    body = {"query": heavy_query()}  # built once: it builds the schema to cost an alias
    with httpx.Client(timeout=600) as http:
        while not stop.is_set():
            start = time.perf_counter()
            answer = http.post(endpoint, json=body, headers=headers)
            body: dict[str, Any] = answer.json()
            if answer.status_code != 200 or "errors" in body:
                raise SystemExit(f"the heavy query failed: {answer.text[:500]}")
            runs.append(time.perf_counter() - start)
            cost[:] = [body["extensions"]["cost"]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--opportunities", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    name = f"n{args.opportunities}-s{args.seed}"
    url = f"sqlite:///{common.CACHE / f'stall-mirror-{name}.sqlite3'}"
    settings = Settings(database_url=url, secret_key=SecretStr(common.SECRET_KEY))
    setup = prepare(args, url, settings)
    with common.api_server("graphql", url) as endpoint:
        token = access_token(endpoint, setup["client"])
        probe(endpoint, token, 1.0)  # warm-up
        alone = probe(endpoint, token, args.seconds)
        stop, runs, cost = threading.Event(), list[float](), [0]
        loader = threading.Thread(target=heavy_load, args=(endpoint, token, stop, runs, cost))
        loader.start()
        while not runs:  # the heavy query has run once: the probes start under load
            time.sleep(0.1)
        loaded = probe(endpoint, token, args.seconds)
        stop.set()
        loader.join()
    rows = []
    for what in ("/healthz", "small query"):
        a, b = sorted(alone[what]), sorted(loaded[what])
        p50_alone, p50_loaded = statistics.median(a), statistics.median(b)
        rows.append([
            what, len(b), f"{p50_alone * 1000:.1f}", f"{p50_loaded * 1000:.1f}",
            f"{common.percentile(b, 0.95) * 1000:.1f}", f"{b[-1] * 1000:.0f}",
            f"{p50_loaded / p50_alone:.1f}",
        ])  # fmt: skip
    print(f"\n{common.command_line()}")
    print(f"machine: {common.machine()}; server and load generator share the cores")
    print(f"heavy query: cost {cost[0]:,} (limit {LIMITS.max_cost:,}), ran {len(runs)} "
          f"times, median {statistics.median(runs):.2f} s")  # fmt: skip
    headers = ["probe", "under load", "p50 alone (ms)", "p50 loaded (ms)", "p95 loaded (ms)",
               "max loaded (ms)", "p50 loaded / alone"]  # fmt: skip
    print(common.table(headers, rows))


if __name__ == "__main__":
    main()
