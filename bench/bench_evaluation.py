"""Benchmark: the evaluation pass over a 100,000-opportunity mirror, SQLite and PostgreSQL, one run.

    .venv/bin/python bench/bench_evaluation.py [--opportunities 100000] [--seed 42]
        [--backends sqlite,postgresql] [--changed 1000] [--single 20]

Per backend: a fresh mirror written straight into the database (evaluation_mirror.py: 30 % of
the deals closed, Los Angeles), the rule set of evaluation_rules.py (50 rules, 7 milestones)
created through the store repositories, then
(b) the first pass, every alert new; (a) the steady-state full pass after a sync that changed
`--changed` deals, then a full pass and a pass on the changed ids (what the sync's hook runs),
with the frame read (store.evaluation.load_evaluation_frame) timed on its own beside them;
(c) the evaluation alone (rules.formula.bulk.evaluate_bulk_many of every condition, message
merge field and milestone formula over the pass's frame) against the hand-written Polars
expressions of the same conditions over the same frame (median of 3 each); (d) the pass on one
opportunity just changed (median and worst of `--single`). Prints Markdown tables.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import polars as pl
from common import BACKENDS, CACHE, PG_SERVER, analyze, command_line, machine, recreate, table
from evaluation_mirror import ORG_ID, TIME_ZONE, build_mirror, describe
from evaluation_rules import MILESTONES, RULES
from sqlalchemy import Engine, bindparam, select, update
from sqlmodel import col

from rules.catalog import rule_catalog
from rules.definitions import check_milestone, check_rule
from rules.fact_registry import Moment
from rules.formula import compile_formula
from rules.formula.bulk import BulkResult, BulkValues, evaluate_bulk_many
from rules.formula.compiler import CompiledFormula
from rules.formula.templates import compile_template
from rules.process import RuleOrigin
from rules.time_zones import local_date, time_zone
from services.evaluation import EvaluationReport, evaluate_org
from store.alert_rules import create_rule
from store.engine import make_engine
from store.evaluation import load_evaluation_frame
from store.migrate import upgrade
from store.milestones import create_milestone
from store.models import Opportunity

NOW = datetime(2026, 12, 2, 17, 0, tzinfo=UTC)
ZONE = time_zone(TIME_ZONE)
STAGE_NAMES = {"Prospecting", "Qualification", "Needs Analysis", "Value Proposition",
               "Id. Decision Makers", "Perception Analysis", "Proposal/Price Quote",
               "Negotiation/Review", "Closed Won", "Closed Lost"}  # fmt: skip


def url_of(backend: str, opportunities: int, seed: int) -> str:
    if backend == "sqlite":
        return f"sqlite:///{CACHE / f'evaluation-n{opportunities}-s{seed}.sqlite3'}"
    return f"{PG_SERVER}/dealpulse_bench_evaluation_n{opportunities}_s{seed}"


def timed(action: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    result = action()
    return result, time.perf_counter() - started


def define_process(engine: Engine) -> dict[str, str]:
    """The bench rules and milestones, each checked as an admin's would be; the catalog."""
    catalog = rule_catalog(describe())
    for rule in RULES:
        problems = check_rule(rule.draft, catalog, describe())
        assert not problems, (rule.draft.name, problems)
        values = {**asdict(rule.draft), "origin": RuleOrigin.MANUAL}
        create_rule(engine, ORG_ID, values, None, NOW)
    for milestone, _ in MILESTONES:
        assert not check_milestone(milestone, catalog, STAGE_NAMES), milestone.name
        create_milestone(engine, ORG_ID, asdict(milestone), NOW)
    return catalog


def pass_formulas(catalog: dict[str, str]) -> tuple[list[CompiledFormula], list[int]]:
    """What a pass evaluates: every condition, every message's merge fields, every formula
    milestone; and the indices of the conditions and milestone formulas among them."""
    formulas: list[CompiledFormula] = []
    checked: list[int] = []
    for rule in RULES:
        checked.append(len(formulas))
        formulas.append(compile_formula(rule.draft.condition, catalog))
        template = compile_template(rule.draft.message, catalog)
        formulas += [p for p in template.parts if isinstance(p, CompiledFormula)]
    for milestone, _ in MILESTONES:
        if milestone.formula:
            checked.append(len(formulas))
            formulas.append(compile_formula(milestone.formula, catalog))
    return formulas, checked


def change_deals(engine: Engine, ids: Sequence[str], at: datetime) -> None:
    """What a sync writes for deals a rep edited: a next meeting booked, a next step set."""
    with engine.begin() as connection:
        rows = connection.execute(
            select(col(Opportunity.id), col(Opportunity.fields)).where(
                col(Opportunity.org_id) == ORG_ID, col(Opportunity.id).in_(list(ids))
            )
        ).all()
        meeting = (local_date(at, ZONE) + timedelta(days=7)).isoformat()
        changed = [
            {"key": opp_id, "fields": {**fields, "Next_Meeting_Date__c": meeting,
                                       "NextStep": "Demo booked"}, "modstamp": at}
            for opp_id, fields in rows
        ]  # fmt: skip
        connection.execute(
            update(Opportunity)
            .where(col(Opportunity.org_id) == ORG_ID, col(Opportunity.id) == bindparam("key"))
            .values(fields=bindparam("fields"), system_modstamp=bindparam("modstamp")),
            changed,
        )


def by_hand(frame: pl.DataFrame) -> list[list[int]]:
    today = local_date(NOW, ZONE)
    exprs = [r.by_hand(today).fill_null(False).alias(f"r{i}") for i, r in enumerate(RULES)]
    exprs += [h(today).fill_null(False).alias(f"m{i}") for i, (_, h) in enumerate(MILESTONES) if h]
    result = frame.select(exprs)
    return [result.get_column(name).arg_true().to_list() for name in result.columns]


def true_rows(results: Sequence[BulkResult]) -> list[list[int]]:
    """What a pass takes of each condition, and what `by_hand` gives: the rows it holds on."""
    return [
        r.values.true_rows() if isinstance(r.values, BulkValues)
        else [i for i, v in enumerate(r.values) if v is True]
        for r in results
    ]  # fmt: skip


def median_of(runs: int, action: Callable[[], Any]) -> tuple[Any, float]:
    times, result = [], None
    for _ in range(runs):
        result, seconds = timed(action)
        times.append(seconds)
    return result, statistics.median(times)


def run_backend(backend: str, args: argparse.Namespace) -> list[list[object]]:
    url = url_of(backend, args.opportunities, args.seed)
    recreate(url)
    upgrade(url)
    engine = make_engine(url)
    _, built = timed(lambda: build_mirror(engine, args.opportunities, seed=args.seed, now=NOW))
    analyze(url)
    catalog = define_process(engine)
    print(f"{backend}: mirror of {args.opportunities:,} written in {built:.1f} s", flush=True)
    rows: list[list[object]] = []

    def report(label: str, result: EvaluationReport, seconds: float) -> None:
        rows.append([backend, label, result.opportunities_evaluated, result.alerts_opened,
                     result.alerts_resolved, result.alerts_open,
                     f"{seconds * 1000:,.0f}"])  # fmt: skip
        print(f"  {label}: {seconds:.2f} s", flush=True)

    first, seconds = timed(lambda: evaluate_org(engine, ORG_ID, now=NOW))
    report("(b) first pass, every alert new", first, seconds)
    formulas, checked = pass_formulas(catalog)
    references = {name for f in formulas for name in f.references} | {"StageName"}
    moment = Moment(NOW, ZONE)
    loaded, seconds = median_of(3, lambda: load_evaluation_frame(
        engine, ORG_ID, catalog, moment, references=references))  # fmt: skip
    rows.append([backend, "frame read alone (median of 3)", len(loaded.ids), "", "", "",
                 f"{seconds * 1000:,.0f}"])  # fmt: skip
    open_ids = loaded.ids
    changed = open_ids[:: max(1, len(open_ids) // args.changed)][: args.changed]
    later = NOW + timedelta(minutes=5)
    change_deals(engine, changed, later)
    steady, seconds = timed(lambda: evaluate_org(engine, ORG_ID, now=later))
    report(f"(a) steady full pass after a sync changing {len(changed):,}", steady, seconds)
    change_deals(engine, changed[::2], later + timedelta(minutes=1))
    hooked, seconds = timed(lambda: evaluate_org(
        engine, ORG_ID, opportunity_ids=changed, now=later + timedelta(minutes=1)))  # fmt: skip
    report(f"(a) pass on the {len(changed):,} changed ids", hooked, seconds)
    quiet, seconds = median_of(3, lambda: evaluate_org(engine, ORG_ID, now=later))
    report("(a) steady full pass, nothing changed (median of 3)", quiet, seconds)

    frame = loaded.frame
    conditions = [formulas[index] for index in checked]
    evaluate_bulk_many(formulas, frame, NOW, tz=ZONE)  # warm-up
    bulk, engine_s = median_of(
        3, lambda: true_rows(evaluate_bulk_many(conditions, frame, NOW, tz=ZONE))
    )
    hand, hand_s = median_of(3, lambda: by_hand(frame.frame))
    _, everything_s = median_of(3, lambda: evaluate_bulk_many(formulas, frame, NOW, tz=ZONE))
    agree = bulk == hand
    height = len(frame.records)
    rows.append([backend, f"(c) evaluation alone: {len(conditions)} conditions (rules and "
                 "milestones), bulk path, their true rows (median of 3)", height, "", "", "",
                 f"{engine_s * 1000:,.0f}"])  # fmt: skip
    rows.append([backend, f"(c) the same {len(hand)} conditions as hand-written Polars "
                 f"(ratio {engine_s / hand_s:.1f}x; same rows: {'yes' if agree else 'NO'})",
                 height, "", "", "", f"{hand_s * 1000:,.0f}"])  # fmt: skip
    rows.append([backend, f"(c) all {len(formulas)} formulas of a pass (conditions and "
                 "message merge fields), bulk path, values made when read", height, "", "", "",
                 f"{everything_s * 1000:,.0f}"])  # fmt: skip
    singles = []
    step = max(1, len(open_ids) // args.single)
    for index, opp_id in enumerate(open_ids[1::step][: args.single]):
        at = later + timedelta(minutes=10 + index)
        change_deals(engine, [opp_id], at)
        _, seconds = timed(
            lambda: evaluate_org(engine, ORG_ID, opportunity_ids=[opp_id], now=at)  # noqa: B023
        )
        singles.append(seconds)
    rows.append([backend, f"(d) one opportunity after a change (median; worst "
                 f"{max(singles) * 1000:.0f} ms of {len(singles)})", 1, "", "", "",
                 f"{statistics.median(singles) * 1000:,.1f}"])  # fmt: skip
    engine.dispose()
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--opportunities", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--backends", default=",".join(BACKENDS))
    parser.add_argument("--changed", type=int, default=1000)
    parser.add_argument("--single", type=int, default=20)
    args = parser.parse_args()
    print(f"command: {command_line()}")
    print(f"machine: {machine()}; Polars {pl.__version__}")
    rows = []
    for backend in args.backends.split(","):
        rows += run_backend(backend, args)
    print()
    print(table(["backend", "measure", "opportunities", "opened", "resolved", "open after",
                 "wall (ms)"], rows))  # fmt: skip
    print(f"\nmachine after the run: {machine()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
