"""`dealpulse formula eval --tz`, in process (Typer's runner): TODAY() on both sides of local
midnight in Los Angeles, and an unknown zone as a typed error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "fields.json").write_text(json.dumps({"CloseDate": "date"}))
    (tmp_path / "record.json").write_text(json.dumps({"CloseDate": "2026-06-15"}))
    return tmp_path


def evaluate(files: Path, formula: str, *options: str) -> tuple[int, dict[str, object]]:
    args = ["formula", "eval", formula, "--fields", str(files / "fields.json"),
            "--record", str(files / "record.json"), *options]  # fmt: skip
    result = CliRunner().invoke(app, args)
    return result.exit_code, json.loads(result.stdout)


@pytest.mark.parametrize(
    ("now", "today"),
    [
        ("2026-06-16T06:30:00Z", "2026-06-15"),  # 23:30 in Los Angeles
        ("2026-06-16T07:30:00Z", "2026-06-16"),  # 00:30 in Los Angeles
    ],
)
def test_eval_takes_today_in_the_given_zone(files: Path, now: str, today: str) -> None:
    zone = ("--now", now, "--tz", "America/Los_Angeles")
    assert evaluate(files, "TODAY()", *zone) == (0, {"type": "date", "value": today})
    assert evaluate(files, "TODAY()", "--now", now) == (0, {"type": "date", "value": "2026-06-16"})
    overdue = today > "2026-06-15"
    assert evaluate(files, "CloseDate < TODAY()", *zone) == (
        0,
        {"type": "checkbox", "value": overdue},
    )


def test_eval_with_an_unknown_zone_is_an_error(files: Path) -> None:
    code, out = evaluate(files, "TODAY()", "--tz", "Mars/Olympus_Mons")
    assert code == 2
    error = out["error"]
    assert isinstance(error, dict)
    assert error["code"] == "unknown_time_zone"
    assert "Mars/Olympus_Mons" in error["message"]
