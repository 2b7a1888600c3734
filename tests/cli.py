"""Run the `dealpulse` command line in process (Typer's runner), as a user would from a folder.

A process per command cost about a second of imports each; in process, a command runs in the
test's interpreter with its working directory and environment set for the call only. A command
that crashes re-raises here (the runner would turn it into exit status 1, which a test expecting
a clean failure could not tell from a bug).
"""

from __future__ import annotations

import contextlib
import subprocess
from pathlib import Path

from typer.testing import CliRunner

from api.cli import app


def run_dealpulse(
    cwd: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`dealpulse ARGS...` run in `cwd` with `env` added to the environment."""
    with contextlib.chdir(cwd):
        result = CliRunner().invoke(app, list(args), env=env, catch_exceptions=True)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return subprocess.CompletedProcess(
        ["dealpulse", *args], result.exit_code, result.stdout, result.stderr
    )
