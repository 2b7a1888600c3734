"""`dealpulse serve --dev` is refused in production before anything starts."""

from __future__ import annotations

from pathlib import Path

from tests.cli import run_dealpulse


def test_serve_dev_is_refused_in_production(tmp_path: Path) -> None:
    env = {
        "DEALPULSE_ENVIRONMENT": "production",
        "DEALPULSE_SECRET_KEY": "k" * 40,
        "DEALPULSE_DATABASE_URL": f"sqlite:///{tmp_path / 'store.sqlite3'}",
    }
    result = run_dealpulse(tmp_path, "serve", "--dev", "--port", "1", env=env)
    assert result.returncode == 2
    assert "production takes OAuth only" in result.stderr
    assert not (tmp_path / "store.sqlite3").exists()  # nothing started, nothing migrated


def test_invalid_settings_are_one_error_line_without_their_values(tmp_path: Path) -> None:
    env = {"DEALPULSE_ENVIRONMENT": "production", "DEALPULSE_DEV_TOKENS": "true",
           "DEALPULSE_SECRET_KEY": "s" * 40, "DEALPULSE_CLOCK_TICK_SECONDS": "-5"}  # fmt: skip
    result = run_dealpulse(tmp_path, "sync", env=env)
    assert result.returncode == 1
    assert result.stderr.startswith("error: invalid settings: ")
    assert "clock_tick_seconds" in result.stderr
    assert "s" * 40 not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr
