"""The long schemathesis run (issue 11): tests/api/test_schemathesis.py with many examples per
root field instead of CI's 8, the API over real HTTP; prints the command, the examples, how
many root fields passed and how long it took.

    .venv/bin/python bench/bench_schemathesis.py [--examples 300]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import common

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=300)
    args = parser.parse_args()
    env = {**os.environ, "DEALPULSE_SCHEMATHESIS_EXAMPLES": str(args.examples)}
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "tests/api/test_schemathesis.py"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    elapsed = time.perf_counter() - started
    summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr[-500:]
    fields = sum(int(n) for n in re.findall(r"(\d+) (?:passed|failed)", summary))
    print(f"\n{common.command_line()}")
    print(f"machine: {common.machine()}")
    print(f"{args.examples} examples per root field, {fields} root fields: {summary}")
    print(f"about {args.examples * fields:,} requests in {elapsed:.0f} s")
    if done.returncode != 0:
        print(done.stdout[-4000:])
        raise SystemExit(done.returncode)


if __name__ == "__main__":
    main()
