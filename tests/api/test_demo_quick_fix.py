"""The demo's `examples.quick_fix_mutation`: a GraphQL document that runs as it is with the
rep's token, fixes the rep's first date in the past through Salesforce (a private devorg) and
resolves its alert; run again, it answers the same outcome without writing again. demo.json
carries it beside `todo_query`, owner-readable only."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from api import cli_demo
from api.cli_demo import TODO_QUERY, quick_fix_example, write_demo_json
from api.cli_demo_login import DemoCredentials
from devorg.organization import demo_today
from tests.api.write_api import (
    LATE_STAGES,
    WriteOrg,
    mirrored,
    open_alerts_of_rule,
    write_devorg,
    write_org,
)
from tests.graphql_client import graphql_client

pytestmark = [pytest.mark.anyio, pytest.mark.sqlite_only]
__all__ = ["write_devorg", "write_org"]


async def test_the_quick_fix_example_runs_as_it_is(write_org: WriteOrg) -> None:
    engine, org_id = write_org.engine, write_org.org_id
    # This org's "rep" has nothing to fix; the owner of a past meeting date stands in (the demo
    # org's rep has one: tests/api/test_cli_demo.py).
    alerts = open_alerts_of_rule(engine, org_id, "Next meeting date is in the past")
    deals = [mirrored(engine, org_id, opp_id) for opp_id in sorted(alerts)]
    rep = next(d for d in deals if d.stage_name not in LATE_STAGES).owner_id
    document = quick_fix_example(engine, org_id, rep, demo_today())
    assert document is not None
    async with graphql_client(engine) as client:
        token = write_org.token_of(client, rep)
        first = (await client.post(document, token=token)).json()
        writes = write_org.devorg_writes()
        again = (await client.post(document, token=token)).json()
        assert write_org.devorg_writes() == writes
    assert "errors" not in first, first
    fixed = first["data"]["quickFix"]
    assert (fixed["outcome"], fixed["errors"]) == ("APPLIED", [])
    assert fixed["resolvedAlerts"], "the fix resolves the alert it was chosen for"
    assert again["data"]["quickFix"]["outcome"] == "APPLIED"


def test_demo_json_carries_the_tokens_the_partner_and_both_examples(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli_demo, "DEMO_JSON", tmp_path / "demo.json")
    tokens = {"rep": "r", "manager": "m", "admin": "a", "partner": "p"}
    credentials = DemoCredentials(tokens, "dp_partner", "s3cret")
    path = write_demo_json(
        "http://api", "http://devorg", credentials, "http://issuer", "mutation { x }"
    )
    body = json.loads(path.read_text())
    assert body["examples"] == {"todo_query": TODO_QUERY, "quick_fix_mutation": "mutation { x }"}
    assert body["tokens"] == {"rep": "r", "manager": "m", "admin": "a"}
    assert body["clients"]["partner"] == {
        "client_id": "dp_partner", "client_secret": "s3cret", "scopes": "pipeline:read alerts:read",
    }  # fmt: skip
    assert body["oauth"] == {"issuer": "http://issuer"}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
