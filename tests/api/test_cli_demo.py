"""`dealpulse demo`'s sales-process step, in process over a synced devorg: what it says it set
up, the skipped validation rule and why, and the first evaluation finished before it returns
(demo.json is written after it)."""

from __future__ import annotations

import pytest
from rich.console import Console
from sqlalchemy import Engine

from api.cli_demo import TODO_QUERY, quick_fix_example, set_up_process
from auth.dev_tokens import issue_dev_token
from devorg.organization import demo_today
from services.demo_process import MILESTONES, RULES
from services.orgs import OrgRefresher
from store.queries import all_orgs
from tests.devorg_server import RunningDevorg
from tests.graphql_client import graphql_client, make_settings

pytestmark = pytest.mark.sqlite_only
# The validation rules the demo imports as fix-alerts (devorg.validation's, by their names).
IMPORTED_RULE_NAMES = {
    "Amount_Required_Late_Stage",
    "Next_Meeting_Not_In_Past",
    "Decision_Maker_Before_Proposal",
}


def test_the_demo_sets_up_its_process_and_says_so(
    store_engine: Engine, refresher: OrgRefresher, devorg: RunningDevorg
) -> None:
    settings = make_settings(database_url=store_engine.url.render_as_string(hide_password=False))
    console = Console(record=True, width=300)
    org_id = devorg.seed.org_id

    report = set_up_process(settings, org_id, devorg.seed.users["admin"].user_id, console)

    said = console.export_text()
    assert (
        f"Sales process: {len(MILESTONES)} milestones and {len(RULES)} rules created; "
        "validation rules: 3 imported, 0 updated, 0 unchanged, 1 skipped"
    ) in said
    assert "  skipped Stage_Cannot_Move_Backwards: it uses PRIORVALUE" in said
    evaluation = report.evaluation
    assert (
        f"First evaluation: {len(RULES) + 3} rules over {evaluation.opportunities_evaluated} "
        f"open deals, {evaluation.alerts_open} open alerts"
    ) in said
    assert evaluation.alerts_open > 0
    assert [org.id for org in all_orgs(store_engine)] == [org_id]


@pytest.mark.anyio
async def test_the_demos_todo_query_runs_as_it_is_and_lists_the_reps_bad_data(
    store_engine: Engine, refresher: OrgRefresher, devorg: RunningDevorg
) -> None:
    settings = make_settings(database_url=store_engine.url.render_as_string(hide_password=False))
    org_id = devorg.seed.org_id
    set_up_process(settings, org_id, devorg.seed.users["admin"].user_id, Console(file=None))
    rep = devorg.seed.users["rep"].user_id
    async with graphql_client(store_engine) as client:
        response = await client.post(
            TODO_QUERY, token=issue_dev_token(client.settings, org_id, rep)
        )
    payload = response.json()
    assert "errors" not in payload, payload
    todo = payload["data"]["todo"]
    assert todo["totalCount"] == todo["remainingTodoCount"] > 0
    # demo.json's quick-fix example finds a date of the rep's to fix (it runs as it is:
    # tests/api/test_demo_quick_fix.py, on an org of its own, as it writes to Salesforce).
    example = quick_fix_example(store_engine, org_id, rep, demo_today())
    assert example is not None
    assert "quickFix(input:" in example
    assert todo["summary"]["total"] >= todo["totalCount"]
    rules = {alert["rule"]["name"] for edge in todo["edges"] for alert in edge["node"]["alerts"]}
    assert rules <= {rule.name for rule in RULES} | IMPORTED_RULE_NAMES
    for edge in todo["edges"]:
        node = edge["node"]
        assert node["reasons"]
        assert node["opportunity"]["lastModifiedAt"]
        assert all(field["label"] and field["type"] for field in node["fixFields"])
    priorities = [edge["node"]["priority"] for edge in todo["edges"]]
    assert priorities == sorted(priorities, reverse=True)
