"""Initial full sync of a large devorg into a fresh SQLite file and a fresh PostgreSQL database,
then an incremental pass with nothing changed and the request-time hot pass.

    .venv/bin/python bench/bench_sync.py [--opportunities 100000] [--seed 42]
                                         [--backends sqlite,postgresql] [--hot-passes 5]

devorg runs as `dealpulse devorg serve` in a subprocess (access log off); the sync runs in this
process through the production path (`OrgRefresher.refresh`, as `dealpulse sync` does). The
mirrors are left in place for bench_api.py.

"sync" is until the last page is committed; "facts" is the derived-facts refresh that
`refresh_org` runs after it, over every opportunity on a first load. API calls are counted
twice: by the gateway (every HTTP request, the token request included) and by devorg (its
`Sforce-Limit-Info` usage, reset to 0 before each pass).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import common
from pydantic import SecretStr

from api.cli_sync import connect_devorg
from api.settings import Settings
from services.orgs import OrgRefresher
from store.engine import make_engine


class PageClock:
    """An on_page hook: time spent per object (from the previous committed page to this one)."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.last = self.started
        self.seconds: dict[str, float] = defaultdict(float)

    def __call__(self, sobject: str, _page: int, _rows: int) -> None:
        now = time.perf_counter()
        self.seconds[sobject] += now - self.last
        self.last = now


def timed_pass(
    refresher: OrgRefresher, org_id: str, config: dict[str, Any], kind: str
) -> dict[str, Any]:
    gateway = refresher.gateway(org_id)
    common.reset_api_usage(config)
    calls_before = gateway.api_calls
    clock = PageClock()
    result = refresher.refresh(org_id, kind, on_page=clock)  # type: ignore[arg-type]
    total = time.perf_counter() - clock.started
    usage = gateway.api_usage
    return {
        "total": total,
        "sync": clock.last - clock.started,
        "facts": time.perf_counter() - clock.last if result.facts_refreshed else 0.0,
        "per_object": dict(clock.seconds),
        "counts": result.sync.counts,
        "gateway_calls": gateway.api_calls - calls_before,
        "devorg_usage": None if usage is None else usage[0],
        "facts_refreshed": result.facts_refreshed,
    }


def bench_backend(
    backend: str, args: argparse.Namespace, config_path: Path, config: dict[str, Any]
) -> dict[str, Any]:
    url = common.mirror_url(backend, args.opportunities, args.seed)
    common.recreate(url)
    settings = Settings(database_url=url, secret_key=SecretStr(common.SECRET_KEY))
    org_id = connect_devorg(settings, config_path)  # runs the migrations
    engine = make_engine(url)
    refresher = OrgRefresher(engine, settings)
    try:
        print(f"{backend}: full sync ...", flush=True)
        full = timed_pass(refresher, org_id, config, "full")
        incremental = timed_pass(refresher, org_id, config, "full")
        hot = [timed_pass(refresher, org_id, config, "hot") for _ in range(args.hot_passes)]
    finally:
        refresher.close()
        engine.dispose()
    return {"full": full, "incremental": incremental, "hot": hot, "size": common.database_size(url)}


def report(results: dict[str, dict[str, Any]], args: argparse.Namespace) -> None:
    print(f"\n{common.command_line()}")
    print(f"machine: {common.machine()}; devorg in a subprocess on the same cores")
    print(f"devorg: {args.opportunities:,} opportunities, seed {args.seed}\n")
    names = list(results)
    full = {b: results[b]["full"] for b in names}
    rows: list[list[object]] = [
        ["initial sync, wall (s)", *(f"{full[b]['total']:.1f}" for b in names)],
        ["  of which sync: fetch + upsert (s)", *(f"{full[b]['sync']:.1f}" for b in names)],
        ["  of which facts refresh (s)", *(f"{full[b]['facts']:.1f}" for b in names)],
        ["records/s (sync part)",
         *(f"{sum(full[b]['counts'].values()) / full[b]['sync']:,.0f}" for b in names)],
        ["API calls (gateway / devorg usage)",
         *(f"{full[b]['gateway_calls']} / {full[b]['devorg_usage']}" for b in names)],
        ["mirror size on disk", *(results[b]["size"] for b in names)],
    ]  # fmt: skip
    print(common.table(["initial full sync", *names], rows))

    sobjects = list(full[names[0]]["counts"])
    rows = [
        [s, f"{full[names[0]]['counts'][s]:,}",
         *(f"{full[b]['per_object'].get(s, 0.0):.1f}" for b in names)]
        for s in sobjects
    ]  # fmt: skip
    rows.append(["facts (DerivedFacts rows)", f"{full[names[0]]['facts_refreshed']:,}",
                 *(f"{full[b]['facts']:.1f}" for b in names)])  # fmt: skip
    print()
    print(common.table(["object", "records", *(f"{b} (s)" for b in names)], rows))

    rows = []
    for label, key in (("incremental, no change", "incremental"), ("hot pass, no change", "hot")):
        for b in names:
            runs = results[b][key] if key == "hot" else [results[b][key]]
            ms = [r["total"] * 1000 for r in runs]
            first = runs[0]
            rows.append([
                label, b, f"{statistics.median(ms):.0f}",
                f"{first['gateway_calls']} / {first['devorg_usage']}",
                sum(first["counts"].values()), first["facts_refreshed"],
            ])  # fmt: skip
    print()
    print(common.table(
        ["pass", "backend", "wall (ms, median)", "API calls (gateway / devorg)",
         "records received", "facts refreshed"], rows,
    ))  # fmt: skip
    print(f"\nhot pass: median of {args.hot_passes} passes")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--opportunities", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--backends", default=",".join(common.BACKENDS))
    parser.add_argument("--hot-passes", type=int, default=5)
    args = parser.parse_args()
    config_path = common.devorg_json(args.opportunities, args.seed)
    results = {}
    with common.devorg(config_path) as config:
        for backend in args.backends.split(","):
            results[backend] = bench_backend(backend, args, config_path, config)
    report(results, args)


if __name__ == "__main__":
    main()
