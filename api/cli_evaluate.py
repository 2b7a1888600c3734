"""`dealpulse evaluate`: one evaluation pass of every connected org (or one), as the scheduler
of `dealpulse serve` runs it: every active rule and formula milestone over every open
opportunity. Prints, per org, the rules evaluated, the alerts opened, resolved and still open,
and the time it took; `--json` prints one JSON object per org instead (one per line)."""

from __future__ import annotations

import json
from dataclasses import asdict

import typer
from rich.console import Console
from rich.markup import escape

from api.cli_sync import connected_orgs, refresher_of
from api.settings import Settings
from services.evaluation import EvaluationReport
from services.passes import pass_error


def _line(report: EvaluationReport) -> str:
    errors = f"; {len(report.errors)} could not be evaluated" if report.errors else ""
    return (
        f"{report.org_id}: {report.rules_evaluated} rules evaluated over "
        f"{report.opportunities_evaluated} open opportunities; alerts {report.alerts_opened} "
        f"opened, {report.alerts_resolved} resolved, {report.alerts_open} open{errors}; "
        f"{report.seconds:.2f} s"
    )


def evaluate_orgs(settings: Settings, only: str | None, as_json: bool, console: Console) -> bool:
    """One evaluation pass per org; False if there is no org or any pass failed."""
    ok = True
    with refresher_of(settings) as (engine, refresher):
        orgs = connected_orgs(engine, only, console)
        if not orgs:
            return False
        for org in orgs:
            try:
                report = refresher.evaluate(org.id)
            except Exception as error:  # reported, then the next org
                ok = False
                console.print(f"[red]{org.id}: evaluation failed: {escape(pass_error(error))}")
                continue
            if as_json:
                typer.echo(json.dumps(asdict(report), sort_keys=True))
            else:
                console.print(escape(_line(report)))
                for owner_id, why in sorted(report.errors.items()):
                    console.print(f"  {owner_id}: {escape(why)}")
    return ok
