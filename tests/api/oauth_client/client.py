"""Drive dealpulse's OAuth endpoints with openid-client (npm), in one Node process per call: see
runner.mjs for the steps and their results.
Installed from the committed lock by tests.node_packages."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


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
