"""Access token cost per request: `verify_access_token` on a warm key ring (what every API
request pays), against a reference measured in the same run: decoding the same token's header
and claims JSON without verifying anything (the floor of any JWT check). Also the one-off
cold verification (the ring's first load and key decryption) and issuing a token.

    .venv/bin/python bench/bench_tokens.py [--runs 10000]

Prints a Markdown table of medians. The database is a fresh SQLite file in a temporary
directory; verification does not read it once the ring is loaded.
"""

from __future__ import annotations

import argparse
import base64
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from common import SECRET_KEY, command_line, machine
from pydantic import SecretStr
from sqlmodel import SQLModel

import store.models  # noqa: F401  (registers the tables)
from api.settings import Settings
from auth.access_tokens import issue_access_token, verify_access_token
from auth.signing_keys import forget_key_ring
from store.engine import make_engine


def median_us(runs: int, call: Callable[[], object]) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter_ns()
        call()
        samples.append(time.perf_counter_ns() - start)
    return statistics.median(samples) / 1000


def decode_unverified(token: str) -> tuple[object, object]:
    header, claims, _ = token.split(".")
    return (
        json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4))),
        json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4))),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite:///{Path(directory) / 'tokens.sqlite3'}"
        engine = make_engine(url)
        SQLModel.metadata.create_all(engine)
        settings = Settings(database_url=url, secret_key=SecretStr(SECRET_KEY))

        def issue() -> str:
            return issue_access_token(
                engine, settings, subject="005000000000001AAA", client_id="dp_bench",
                org_id="00D000000000001AAA", scopes=["pipeline:read", "alerts:read"],
            )  # fmt: skip

        token = issue()
        forget_key_ring(engine)
        now = datetime.now(UTC)
        start = time.perf_counter_ns()
        verify_access_token(engine, settings, token, now=now)
        cold_us = (time.perf_counter_ns() - start) / 1000
        verify_us = median_us(args.runs, lambda: verify_access_token(engine, settings, token))
        reference_us = median_us(args.runs, lambda: decode_unverified(token))
        issue_us = median_us(min(args.runs, 2000), issue)
        engine.dispose()

    print(f"\n{command_line()}")
    print(f"machine: {machine()}")
    print(f"token: {len(token)} characters; medians of {args.runs:,} calls\n")
    print("| measure | time per call | vs reference |")
    print("| --- | ---: | ---: |")
    ratio = verify_us / reference_us
    print(f"| verify_access_token, warm ring | {verify_us:.1f} µs | {ratio:.0f}x |")
    print(f"| reference: decode the JSON, no verification | {reference_us:.1f} µs | 1x |")
    print(f"| first verification (loads and decrypts the key set) | {cold_us:.0f} µs | once |")
    print(f"| issue_access_token (one SELECT + ES256 sign) | {issue_us:.0f} µs | |")


if __name__ == "__main__":
    main()
