"""`dealpulse evaluate`, run as a user would (in process: tests.cli): per org, the rules
evaluated and the alerts opened, resolved and still open, as text or JSON."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from devorg.config_file import write_config
from store.engine import make_engine
from tests.cli import run_dealpulse
from tests.devorg_server import RunningDevorg
from tests.services import evaluation_rows as rows


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_dealpulse(cwd, *args, env={"DATABASE_URL": f"sqlite:///{cwd / 'dealpulse.sqlite3'}"})


def test_evaluate_reports_each_org_s_pass(devorg: RunningDevorg, tmp_path: Path) -> None:
    config = write_config(tmp_path / "state", instance_url=devorg.url, result=devorg.seed)
    assert run(tmp_path, "connect", "--devorg", str(config)).returncode == 0
    assert run(tmp_path, "sync").returncode == 0
    org_id = devorg.seed.org_id
    engine = make_engine(f"sqlite:///{tmp_path / 'dealpulse.sqlite3'}")
    try:
        rule = rows.rule(engine, "Amount > 100000", org_id=org_id)
        broken = rows.rule(engine, "No_Such_Field__c > 1", org_id=org_id)
    finally:
        engine.dispose()

    first = run(tmp_path, "evaluate", "--json")
    assert first.returncode == 0, first.stderr
    [report] = [json.loads(line) for line in first.stdout.splitlines()]
    assert report["org_id"] == org_id
    assert report["rules_evaluated"] == 1
    assert report["alerts_opened"] == report["alerts_open"] > 0
    assert report["alerts_resolved"] == 0
    assert "no longer compiles" in report["errors"][broken.id]
    assert rule.id not in report["errors"]
    assert report["seconds"] > 0

    again = run(tmp_path, "evaluate", "--org", org_id)
    assert again.returncode == 0, again.stderr
    said = " ".join(again.stdout.split())  # the console wraps long lines
    opened = report["alerts_open"]
    assert f"{org_id}: 1 rules evaluated over" in said
    assert f"alerts 0 opened, 0 resolved, {opened} open; 1 could not be evaluated;" in said
    assert f"{broken.id}: the formula no longer compiles" in said


def test_evaluate_without_an_org_says_what_to_do(tmp_path: Path) -> None:
    result = run(tmp_path, "evaluate")
    assert result.returncode == 1
    assert "dealpulse connect" in result.stdout
