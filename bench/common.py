"""What the bench scripts share: the cached devorg, the mirror databases, the API servers and
the closed-loop load generator, tables.

Data files live under .dealpulse/bench/ (git-ignored): the seeded devorg per (N, seed), reused
across runs, and the SQLite mirror that bench_sync.py leaves for bench_api.py. The PostgreSQL
mirror is the database `dealpulse_bench_n<N>_s<seed>` on 127.0.0.1:5432 (trust auth).
devorg is reached the way production reaches it: the `dealpulse devorg` CLI and HTTP.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import shlex
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".dealpulse" / "bench"
DEALPULSE = str(Path(sys.executable).with_name("dealpulse"))
PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
# Signs the bench's development tokens only (never a real deployment's key).
SECRET_KEY = "bench-only-secret-key-not-for-deployments"  # noqa: S105
BACKENDS = ("sqlite", "postgresql")


def machine() -> str:
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} cores ({platform.processor() or platform.machine()}), "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}; "
        f"load average now {load}"
    )


def command_line() -> str:
    return " ".join(shlex.quote(a) for a in [".venv/bin/python", *sys.argv])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before {url} answered")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


@contextmanager
def running(
    argv: Sequence[str], probe_url: str, env: dict[str, str] | None = None
) -> Iterator[None]:
    """A server subprocess, up once `probe_url` answers, terminated on exit."""
    process = subprocess.Popen(list(argv), cwd=ROOT, env={**os.environ, **(env or {})})
    try:
        wait_for(probe_url, process)
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# -- devorg ---------------------------------------------------------------------------------------
def devorg_json(opportunities: int, seed: int) -> Path:
    """The devorg.json of a seeded org of `opportunities` (seeded once, then reused)."""
    directory = CACHE / f"devorg-n{opportunities}-s{seed}"
    database = directory / "devorg.sqlite3"
    config = directory / "devorg.json"
    if not (database.exists() and config.exists()):
        directory.mkdir(parents=True, exist_ok=True)
        print(f"seeding {opportunities} opportunities into {database} (once) ...", flush=True)
        subprocess.run(
            [DEALPULSE, "devorg", "seed", "--opportunities", str(opportunities),
             "--seed", str(seed), "--database", str(database), "--force"],
            cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
    return config


def scratch_devorg(config: Path, name: str) -> Path:
    """A copy of the seeded org of `config` under CACHE/`name` (replacing any earlier copy), for
    a bench that writes to it: the seeded org stays as seeded for the others. Its devorg.json
    points at the seed's JWT key file, which is only read."""
    directory = CACHE / name
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    for path in config.parent.glob("devorg.sqlite3*"):
        shutil.copyfile(path, directory / path.name)
    shutil.copyfile(config, directory / config.name)
    return directory / config.name


@contextmanager
def devorg(config: Path) -> Iterator[dict[str, Any]]:
    """`dealpulse devorg serve` on a free port (it rewrites instance_url in devorg.json);
    yields the config as it is then."""
    port = free_port()
    argv = [DEALPULSE, "devorg", "serve", "--database", str(config.with_name("devorg.sqlite3")),
            "--port", str(port)]  # fmt: skip
    with running(argv, f"http://127.0.0.1:{port}/services/data/"):
        yield json.loads(config.read_text())


def reset_api_usage(config: dict[str, Any]) -> None:
    """Today's API usage of the devorg back to 0, so its Sforce-Limit-Info counts one run."""
    httpx.put(
        f"{config['instance_url']}/_devorg/api-usage",
        json={"used": 0},
        headers={"X-Devorg-Control": config["client_secret"]},
        timeout=10,
    ).raise_for_status()


# -- API servers and load ------------------------------------------------------------------------
@contextmanager
def api_server(kind: str, source: str) -> Iterator[str]:
    """One of api_server.py's servers in its own uvicorn process; yields its /graphql URL."""
    port = free_port()
    argv = [sys.executable, str(Path(__file__).with_name("api_server.py")), kind, source, str(port)]
    url = f"http://127.0.0.1:{port}/graphql"
    with running(argv, url):
        yield url


def percentile(ordered: Sequence[float], share: float) -> float:
    """The value at `share` (0.99: p99) of an ascending list, nearest rank below."""
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


async def load(
    url: str, token: str, body: bytes, concurrency: int, seconds: float, warmup: float
) -> dict[str, Any]:
    """`concurrency` clients POSTing `body` in a closed loop for warmup + seconds; latencies
    after warm-up. Each client has its own AsyncClient (one keep-alive connection): one pool
    shared by 32 coroutines costs httpx more than the ceiling server spends per request."""
    headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}
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
    if not latencies:
        raise RuntimeError(f"no request was sent within the {seconds:g} s measured: lengthen it")
    latencies.sort()
    return {
        "requests": len(latencies),
        "rps": len(latencies) / seconds,
        "p50": statistics.median(latencies) * 1000,
        "p99": percentile(latencies, 0.99) * 1000,
        "errors": errors,
        "latencies": latencies,  # seconds, ascending, after warm-up
    }


# -- mirrors --------------------------------------------------------------------------------------
def mirror_url(backend: str, opportunities: int, seed: int) -> str:
    if backend == "sqlite":
        return f"sqlite:///{CACHE / f'mirror-n{opportunities}-s{seed}.sqlite3'}"
    return f"{PG_SERVER}/dealpulse_bench_n{opportunities}_s{seed}"


def psql(sql: str, database: str = "postgres") -> None:
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", database, "-qAtc", sql], check=True
    )


def analyze(url: str) -> None:
    """Planner statistics for a PostgreSQL mirror. This server runs with autovacuum off (a
    production server would have analysed the tables soon after the initial load)."""
    if url.startswith("postgresql"):
        psql("ANALYZE", database=url.rsplit("/", 1)[1])


def recreate(url: str) -> None:
    """An empty database at `url` (the SQLite file removed, the PostgreSQL database recreated)."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1]
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    name = url.rsplit("/", 1)[1]
    psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    psql(f"CREATE DATABASE {name}")


def database_size(url: str) -> str:
    if url.startswith("sqlite"):
        path = Path(url.split("///", 1)[1])
        size = sum(p.stat().st_size for p in path.parent.glob(f"{path.name}*"))
    else:
        name = url.rsplit("/", 1)[1]
        size = int(
            subprocess.run(
                ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-qAtc",
                 f"SELECT pg_database_size('{name}')"],
                check=True, capture_output=True, text=True,
            ).stdout.strip()
        )  # fmt: skip
    return f"{size / 1e6:,.0f} MB"


# -- output ---------------------------------------------------------------------------------------
def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table (pastes into README.md as is)."""
    cells = [[str(h) for h in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: list[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(cells[0]), rule, *(line(r) for r in cells[1:])])
