"""What an OAuth access token costs a request, in one run: the bearer check per call in process
(`auth.bearer.verify_bearer`, what the GraphQL view runs for every request: ES256 signature and
claims, then the revocation SELECT), against a development token's (an HMAC, no database), and
the read API's throughput with each, interleaved.

    .venv/bin/python bench/bench_auth.py [--opportunities 5000] [--seed 42] [--concurrency 1,8]
        [--rounds 3] [--seconds 5] [--warmup 1] [--runs 5000]

The data: the seeded devorg of --opportunities (seeded once under .dealpulse/bench/, as the
other benches), synced in full into a fresh SQLite mirror (`auth-mirror-n<N>-s<seed>.sqlite3`)
through `OrgRefresher.refresh`; devorg is stopped before anything is measured (the API server
never syncs: see api_server.py). A run-as client of the org's admin (scope pipeline:read) is
registered with `auth.clients.register_client`; its access token comes from the server's own
/oauth/token (client_secret_basic), a fresh one each round (tokens live 10 minutes). The
development token is the admin's, with the same scope.

The API: bench_api.py's `opportunities(first: 50)` query as the admin, over HTTP to
`api_server.py graphql` (one uvicorn worker), closed loop, one httpx.AsyncClient per client. Each
round runs every concurrency with both tokens back to back, their order alternating from round
to round, so that the machine's drift (other work on it) falls on both alike.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Callable
from typing import Any

import common
import httpx
from bench_api import BODY, QUERY, check
from pydantic import SecretStr

from api.cli_sync import connect_devorg
from api.settings import Settings
from auth.access_tokens import verify_access_token
from auth.bearer import verify_bearer
from auth.clients import register_client
from auth.dev_tokens import issue_dev_token
from auth.revocation import token_revoked
from services.orgs import OrgRefresher
from store.engine import make_engine

SCOPES = ["pipeline:read"]  # all the query needs; both tokens carry exactly it
KINDS = ("development token", "OAuth access token")


def median_us(runs: int, call: Callable[[], object]) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter_ns()
        call()
        samples.append(time.perf_counter_ns() - start)
    return statistics.median(samples) / 1000


def prepare(args: argparse.Namespace, url: str, settings: Settings) -> dict[str, Any]:
    """The synced mirror and the run-as client: org id, admin id, client id and secret."""
    config_path = common.devorg_json(args.opportunities, args.seed)
    common.recreate(url)
    with common.devorg(config_path) as config:
        org_id = connect_devorg(settings, config_path)  # runs the migrations
        engine = make_engine(url)
        refresher = OrgRefresher(engine, settings)
        try:
            print("full sync ...", flush=True)
            start = time.perf_counter()
            refresher.refresh(org_id, "full")
            synced = time.perf_counter() - start
        finally:
            refresher.close()
    admin = config["users"]["admin"]["user_id"]
    client, secret = register_client(
        engine, org_id=org_id, name="bench run-as client", scopes=SCOPES, run_as_user_id=admin
    )
    assert secret is not None
    engine.dispose()
    return {"org_id": org_id, "admin": admin, "client": (client.client_id, secret),
            "synced": synced}  # fmt: skip


def access_token(endpoint: str, client: tuple[str, str]) -> str:
    """A token from the server's /oauth/token, as a partner gets one (client_secret_basic)."""
    answer = httpx.post(
        endpoint.removesuffix("/graphql") + "/oauth/token",
        data={"grant_type": "client_credentials"}, auth=client, timeout=30,
    )  # fmt: skip
    answer.raise_for_status()
    token: str = answer.json()["access_token"]
    return token


def validation_costs(url: str, settings: Settings, tokens: dict[str, str], runs: int) -> list[Any]:
    """Per-call medians in this process, on the mirror's database (warm: one call first)."""
    engine = make_engine(url)
    try:
        oauth, dev = tokens[KINDS[1]], tokens[KINDS[0]]
        claims = verify_access_token(engine, settings, oauth)
        for token in (oauth, dev):
            verify_bearer(engine, settings, token)
        measures = [
            ("verify_bearer, OAuth access token (all of the below)",
             lambda: verify_bearer(engine, settings, oauth)),
            ("  verify_access_token: ES256 signature and claims",
             lambda: verify_access_token(engine, settings, oauth)),
            ("  token_revoked: the revocation SELECT (SQLite mirror)",
             lambda: token_revoked(engine, claims)),
            ("verify_bearer, development token (HMAC)",
             lambda: verify_bearer(engine, settings, dev)),
        ]  # fmt: skip
        return [[name, f"{median_us(runs, call):.1f}"] for name, call in measures]
    finally:
        engine.dispose()


def interleaved(
    endpoint: str, client: tuple[str, str], dev_token: str, args: argparse.Namespace
) -> tuple[dict[tuple[str, int], list[float]], dict[tuple[str, int], int], str]:
    """Latencies (s) and error counts per (kind, concurrency) over all rounds; the last
    access token (for the in-process costs)."""
    latencies: dict[tuple[str, int], list[float]] = {}
    errors: dict[tuple[str, int], int] = {}
    oauth_token = ""
    for round_number in range(args.rounds):
        oauth_token = access_token(endpoint, client)
        check(httpx.post(endpoint, json={"query": QUERY}, timeout=60,
                         headers={"authorization": f"Bearer {oauth_token}"}))  # fmt: skip
        tokens = {KINDS[0]: dev_token, KINDS[1]: oauth_token}
        order = KINDS if round_number % 2 == 0 else KINDS[::-1]
        for concurrency in args.concurrency:
            for kind in order:
                print(f"round {round_number + 1}: {kind}, c={concurrency} ...", flush=True)
                r = asyncio.run(common.load(endpoint, tokens[kind], BODY, concurrency,
                                            args.seconds, args.warmup))  # fmt: skip
                latencies.setdefault((kind, concurrency), []).extend(r["latencies"])
                errors[(kind, concurrency)] = errors.get((kind, concurrency), 0) + r["errors"]
    return latencies, errors, oauth_token


def throughput_rows(
    latencies: dict[tuple[str, int], list[float]],
    errors: dict[tuple[str, int], int],
    args: argparse.Namespace,
) -> tuple[list[list[object]], list[list[object]]]:
    measured = args.rounds * args.seconds
    rows: list[list[object]] = []
    ratios: list[list[object]] = []
    summary: dict[tuple[str, int], tuple[float, float, float]] = {}
    for concurrency in args.concurrency:
        for kind in KINDS:
            samples = sorted(latencies[(kind, concurrency)])
            rps = len(samples) / measured
            p50 = statistics.median(samples) * 1000
            p99 = common.percentile(samples, 0.99) * 1000
            summary[(kind, concurrency)] = (rps, p50, p99)
            rows.append([kind, concurrency, len(samples), f"{rps:.1f}", f"{p50:.1f}",
                         f"{p99:.1f}", errors[(kind, concurrency)]])  # fmt: skip
        oauth, dev = summary[(KINDS[1], concurrency)], summary[(KINDS[0], concurrency)]
        ratios.append([concurrency, f"{oauth[0] / dev[0]:.3f}", f"{oauth[1] / dev[1]:.3f}",
                       f"{(oauth[1] - dev[1]) * 1000:+.0f}"])  # fmt: skip
    return rows, ratios


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--opportunities", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--concurrency", default="1,8")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--runs", type=int, default=5000)
    args = parser.parse_args()
    args.concurrency = [int(c) for c in args.concurrency.split(",")]
    started = time.perf_counter()

    name = f"n{args.opportunities}-s{args.seed}"
    path = common.CACHE / f"auth-mirror-{name}.sqlite3"
    url = f"sqlite:///{path}"
    settings = Settings(database_url=url, secret_key=SecretStr(common.SECRET_KEY), dev_tokens=True)
    setup = prepare(args, url, settings)
    dev_token = issue_dev_token(settings, setup["org_id"], setup["admin"], scopes=SCOPES)
    with common.api_server("graphql", url) as endpoint:
        latencies, errors, oauth_token = interleaved(endpoint, setup["client"], dev_token, args)
    costs = validation_costs(url, settings, {KINDS[0]: dev_token, KINDS[1]: oauth_token}, args.runs)
    rows, ratios = throughput_rows(latencies, errors, args)

    print(f"\n{common.command_line()}")
    print(f"machine: {common.machine()}; server and load generator share the cores")
    print(f"mirror: {args.opportunities:,} opportunities (seed {args.seed}), SQLite, synced in "
          f"{setup['synced']:.0f} s; run {time.perf_counter() - started:.0f} s")  # fmt: skip
    print(f"access token {len(oauth_token)} characters, development token {len(dev_token)}\n")
    print(
        f"bearer check per call, in process, median of {args.runs:,} calls (target: well "
        "under 1 ms)"
    )
    print(common.table(["measure", "µs per call"], costs))
    print(f"\nopportunities(first: 50) as the admin, {args.rounds} rounds of {args.seconds:g} s "
          f"per cell after {args.warmup:g} s of warm-up, the two tokens interleaved")  # fmt: skip
    print(common.table(["token", "clients", "requests", "req/s", "p50 (ms)", "p99 (ms)",
                        "errors"], rows))  # fmt: skip
    print()
    print(common.table(["clients", "req/s OAuth / dev", "p50 OAuth / dev",
                        "p50 OAuth - dev (µs)"], ratios))  # fmt: skip


if __name__ == "__main__":
    main()
