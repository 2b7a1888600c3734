"""Drive dealpulse's OAuth endpoints with openid-client (npm), in one Node process per call: see
runner.mjs for the steps and their results.

`install(cache_dir)` copies package.json, package-lock.json and runner.mjs into `cache_dir` and
runs `npm ci` there when the installed openid-client is not the locked one (node_modules lives
only in the cache, installed from the committed lock, never globally).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
FILES = ("package.json", "package-lock.json", "runner.mjs")
PACKAGE = "openid-client"


def install(cache_dir: Path) -> Path:
    cache_dir.mkdir(parents=True, exist_ok=True)
    for name in FILES:
        shutil.copyfile(HERE / name, cache_dir / name)
    marker = cache_dir / "node_modules" / PACKAGE / "package.json"
    wanted = json.loads((HERE / "package.json").read_text())["dependencies"][PACKAGE]
    if not marker.exists() or json.loads(marker.read_text())["version"] != wanted:
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=cache_dir,
            check=True,
            capture_output=True,
            timeout=300,
        )
    return cache_dir


def run(
    cache_dir: Path,
    issuer: str,
    clients: dict[str, tuple[str, str]],
    steps: list[dict[str, Any]],
    tokens: dict[str, str] | None = None,
) -> list[dict[str, Any]]:
    """The result of each step, in order: {"ok": True, "value": ...} or {"ok": False,
    "error": {...}}. `clients` maps a name to (client id, client secret); `tokens` gives
    access tokens that steps may name (as a "token" step's `as` label does)."""
    payload = {
        "issuer": issuer,
        "tokens": tokens or {},
        "clients": {
            name: {"client_id": client_id, "client_secret": secret}
            for name, (client_id, secret) in clients.items()
        },
        "steps": steps,
    }
    done = subprocess.run(
        ["node", str(cache_dir / "runner.mjs")],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        cwd=cache_dir,
    )
    results: list[dict[str, Any]] = json.loads(done.stdout)
    assert len(results) == len(steps), done.stderr
    return results
