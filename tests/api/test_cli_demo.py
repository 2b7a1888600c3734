"""`dealpulse demo`'s sales-process step, in process over a synced devorg: what it says it set
up, the skipped validation rule and why, and the first evaluation finished before it returns
(demo.json is written after it)."""

from __future__ import annotations

import pytest
from rich.console import Console
from sqlalchemy import Engine

from api.cli_demo import set_up_process
from services.demo_process import MILESTONES, RULES
from services.orgs import OrgRefresher
from store.queries import all_orgs
from tests.devorg_server import RunningDevorg
from tests.graphql_client import make_settings

pytestmark = pytest.mark.sqlite_only


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
