"""`dealpulse migrate`, `connect --devorg`, `sync` and `export-schema`, run as a user would
(in process: tests.cli)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from devorg.config_file import write_config
from schema.schema import SDL_PATH
from tests.cli import run_dealpulse
from tests.devorg_server import RunningDevorg, free_port


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_dealpulse(cwd, *args, env={"DATABASE_URL": f"sqlite:///{cwd / 'dealpulse.sqlite3'}"})


def test_connect_a_devorg_then_sync_it(devorg: RunningDevorg, tmp_path: Path) -> None:
    config = write_config(tmp_path / "state", instance_url=devorg.url, result=devorg.seed)
    assert run(tmp_path, "migrate").returncode == 0
    connected = run(tmp_path, "connect", "--devorg", str(config))
    assert connected.returncode == 0, connected.stderr
    synced = run(tmp_path, "sync")
    assert synced.returncode == 0, synced.stderr
    assert f"{devorg.seed.org_id}: " in synced.stdout
    assert "Opportunity" in synced.stdout
    again = run(tmp_path, "sync")
    assert again.returncode == 0, again.stderr
    # A new command: a token request, then the two composite calls of an incremental pass.
    calls = re.search(r"(\d+) API calls", again.stdout.replace("\n", " "))
    assert calls is not None
    assert int(calls.group(1)) == 3


def test_a_failed_sync_says_why_without_secrets(devorg: RunningDevorg, tmp_path: Path) -> None:
    unreachable = f"http://127.0.0.1:{free_port()}"
    config = write_config(tmp_path / "state", instance_url=unreachable, result=devorg.seed)
    assert run(tmp_path, "connect", "--devorg", str(config)).returncode == 0
    synced = run(tmp_path, "sync")
    assert synced.returncode == 1
    said = " ".join(synced.stdout.split())  # the console wraps long lines
    assert "sync failed: SalesforceUnavailable: login failed: ConnectionError" in said
    assert devorg.seed.client_secret not in synced.stdout + synced.stderr


def test_sync_without_an_org_says_what_to_do(tmp_path: Path) -> None:
    result = run(tmp_path, "sync")
    assert result.returncode == 1
    assert "dealpulse connect" in result.stdout


def test_export_schema_writes_the_committed_sdl(tmp_path: Path) -> None:
    target = tmp_path / "schema.graphql"
    result = run(tmp_path, "export-schema", "--output", str(target))
    assert result.returncode == 0, result.stderr
    assert target.read_text() == SDL_PATH.read_text()
