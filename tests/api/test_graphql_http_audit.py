"""The GraphQL-over-HTTP spec's own audit (npm graphql-http's `auditServer`, issue 11) against
the API served over real HTTP (uvicorn), every request carrying a valid token: each MUST and
each SHOULD audit passes."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from auth.dev_tokens import issue_dev_token
from tests import factories as f
from tests import node_packages
from tests.api.subscriptions import served

pytestmark = [pytest.mark.sqlite_only]  # the HTTP edge only
AUDIT = Path(__file__).resolve().parent / "graphql_http_audit"


@pytest.fixture(scope="session")
def graphql_http(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return node_packages.installed(request, tmp_path_factory, AUDIT)


def _audit(cache_dir: Path, url: str, token: str) -> list[dict[str, Any]]:
    done = subprocess.run(
        ["node", str(cache_dir / "audit.mjs")], input=json.dumps({"url": url, "token": token}),
        capture_output=True, text=True, check=True, timeout=120, cwd=cache_dir,
    )  # fmt: skip
    results: list[dict[str, Any]] = json.loads(done.stdout)
    return results


def test_every_must_and_should_of_the_audit_passes(
    store_engine: Engine, graphql_http: Path
) -> None:
    team = f.team(store_engine)
    with served(store_engine) as api:
        token = issue_dev_token(api.settings, f.ORG_A, team.reps[0].id)
        url = api.url.replace("ws://", "http://")
        results = _audit(graphql_http, url, token)
    by_level: dict[str, list[dict[str, Any]]] = {"MUST": [], "SHOULD": []}
    for result in results:
        level = result["name"].split(" ", 1)[0]
        if level in by_level:
            by_level[level].append(result)
    failing = [r for rs in by_level.values() for r in rs if r["status"] != "ok"]
    assert failing == []
    assert (len(by_level["MUST"]), len(by_level["SHOULD"])) == (13, 23)
