"""Node tools of the tests (formulon, openid-client, graphql-http), installed from their
committed lock files into pytest's cache, never globally: `installed(request, ...)` (a session
fixture's body) skips without node and npm, else copies the folder's package.json,
package-lock.json and scripts into the cache and runs `npm ci` there when an installed
dependency is not the version package.json pins."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest


def install(source: Path, cache_dir: Path) -> Path:
    cache_dir.mkdir(parents=True, exist_ok=True)
    for path in source.iterdir():
        if path.name in ("package.json", "package-lock.json") or path.suffix in (".js", ".mjs"):
            shutil.copyfile(path, cache_dir / path.name)
    wanted: dict[str, str] = json.loads((source / "package.json").read_text())["dependencies"]
    if any(_installed(cache_dir, name) != version for name, version in wanted.items()):
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=cache_dir, check=True, capture_output=True, timeout=300,
        )  # fmt: skip
    return cache_dir


def _installed(cache_dir: Path, name: str) -> str | None:
    marker = cache_dir / "node_modules" / name / "package.json"
    return json.loads(marker.read_text())["version"] if marker.exists() else None


def installed(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, source: Path
) -> Path:
    """The cache directory `source`'s tools run from; the test is skipped without Node."""
    if shutil.which("npm") is None or shutil.which("node") is None:
        pytest.skip(f"npm and node are needed to install and run {source.name} (npm)")
    cache = request.config.cache
    name = source.name
    where = cache.mkdir(name) if cache is not None else tmp_path_factory.mktemp(name)
    return install(source, Path(where))
