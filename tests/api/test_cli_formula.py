"""`dealpulse formula check|eval` as a user runs them (in process: tests.cli)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli import run_dealpulse


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "fields.json").write_text(
        json.dumps({"Amount": "currency", "StageName": "picklist", "CloseDate": "date"})
    )
    (tmp_path / "record.json").write_text(
        json.dumps({"Amount": 150000, "StageName": "Negotiation/Review", "CloseDate": "2026-07-01"})
    )
    return tmp_path


def run(cwd: Path, *args: str) -> tuple[int, dict[str, object]]:
    done = run_dealpulse(cwd, "formula", *args)
    return done.returncode, json.loads(done.stdout)


def test_check(files: Path) -> None:
    code, out = run(
        files, "check", "AND(Amount > 100000, ISPICKVAL(StageName, 'x'))", "--fields", "fields.json"
    )
    assert (code, out) == (0, {"type": "checkbox", "references": ["Amount", "StageName"]})


def test_eval(files: Path) -> None:
    args = ("--fields", "fields.json", "--record", "record.json", "--now", "2026-06-15T14:30:00Z")
    assert run(files, "eval", "Amount * 1.1", *args) == (
        0,
        {"type": "currency", "value": "165000.0"},
    )
    assert run(files, "eval", "CloseDate - TODAY()", *args) == (
        0,
        {"type": "number", "value": "16"},
    )
    assert run(files, "eval", "CloseDate + 1", *args) == (
        0,
        {"type": "date", "value": "2026-07-02"},
    )
    assert run(files, "eval", "ISPICKVAL(StageName, 'x')", *args) == (
        0,
        {"type": "checkbox", "value": False},
    )


def test_errors_exit_2(files: Path) -> None:
    code, out = run(files, "eval", "Amont", "--fields", "fields.json", "--record", "record.json")
    assert code == 2
    assert out == {
        "error": {
            "code": "unknown_field",
            "message": "unknown field 'Amont' at 1:1; did you mean 'Amount'?",
            "line": 1,
            "column": 1,
            "suggestion": "Amount",
        }
    }
    code, out = run(files, "eval", "1 / 0", "--fields", "fields.json", "--record", "record.json")
    assert code == 2
    assert out["error"]["code"] == "evaluation"  # type: ignore[index]
    code, out = run(files, "check", "1", "--fields", "missing.json")
    assert code == 2
    assert out["error"]["code"] == "bad_input"  # type: ignore[index]
