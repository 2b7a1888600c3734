"""Benchmark: 100 alert formulas over 100,000 opportunities, per record and in bulk, one run.

    .venv/bin/python bench/formula_bench.py [--records 100000] [--seed 7] [--sample N]

Prints a table: the per-record interpreter's time (all formulas x all records, or x a sample
of N records, scaled up and labelled as such), the bulk path's time (one Polars query for all
100 formulas, plus the interpreter for any rows the bulk path hands over), the speed-up, and
checks that both paths give the same answer on every row they both evaluated. Not run in CI.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import polars as pl
from bench_data import FIELDS, FORMULAS, make_records

from rules.formula import compile_formula
from rules.formula.bulk import evaluate_bulk_many, plan_bulk
from rules.formula.bulk_frame import frame_from_records

NOW = datetime(2026, 6, 15, 14, 30, tzinfo=UTC)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--sample", type=int, default=0, help="per-record path on N records only")
    args = parser.parse_args()

    records = make_records(args.records, seed=args.seed, today=NOW.date())
    formulas = [compile_formula(text, FIELDS) for text in FORMULAS]

    started = time.perf_counter()
    frame = frame_from_records(records, FIELDS)
    build_s = time.perf_counter() - started
    not_native = [f.source for f in formulas if not plan_bulk(f, frame, NOW).native]

    evaluate_bulk_many(formulas, frame, NOW)  # warm-up: Polars' first query pays set-up costs
    started = time.perf_counter()
    bulk = evaluate_bulk_many(formulas, frame, NOW)
    bulk_s = time.perf_counter() - started
    handed_over = sum(result.fallback_rows for result in bulk)

    sample = records if not args.sample else records[: args.sample]
    started = time.perf_counter()
    per_record = [[f.evaluate(record, NOW) for record in sample] for f in formulas]
    record_s = (time.perf_counter() - started) * len(records) / len(sample)

    mismatches = sum(
        1
        for f_index, values in enumerate(per_record)
        for row, value in enumerate(values)
        if bulk[f_index].values[row] != value
    )
    fired = sum(sum(1 for v in result.values if v is True) for result in bulk)
    cells = len(formulas) * len(records)
    label = "" if not args.sample else f" (measured on {len(sample):,} records, scaled)"
    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}")
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, Polars {pl.__version__}"
    )
    print(
        f"{len(formulas)} formulas x {len(records):,} records = {cells:,} evaluations; "
        f"{fired:,} alerts fire"
    )
    print(f"frame built once from the records: {build_s:.2f} s (not in the timings below)")
    print()
    print("| path | time (s) | evaluations/s |")
    print("|---|---:|---:|")
    print(f"| per record (interpreter){label} | {record_s:.2f} | {cells / record_s:,.0f} |")
    print(f"| bulk (Polars) | {bulk_s:.3f} | {cells / bulk_s:,.0f} |")
    print()
    print(
        f"speed-up: {record_s / bulk_s:.0f}x (target >= 20x); bulk under 2 s: "
        f"{'yes' if bulk_s < 2 else 'NO'}"
    )
    print(
        f"rows handed to the interpreter by the bulk path: {handed_over:,}; formulas not "
        f"compiled natively: {len(not_native)}"
    )
    for source in not_native:
        print(f"  interpreter only: {source}")
    print(f"rows where the two paths disagree: {mismatches}")
    ok = mismatches == 0 and bulk_s < 2 and record_s / bulk_s >= 20
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
