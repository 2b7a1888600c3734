"""Writes use the user's own Salesforce session when dealpulse holds one (issue 10): a rep who
logged in through dealpulse's OAuth server (with Salesforce: devorg) quick-fixes a deal and
Salesforce records the rep as its last modifier, the audit says "user"; a manager who never
logged in through dealpulse writes through the org's integration connection, and the audit
says "integration"."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool

from api.app import create_app
from api.cli_demo_login import DemoUser, demo_credentials
from api.cli_devorg import add_callback_url
from auth.dev_tokens import issue_dev_token
from store.write_models import AuditEntry
from tests.api.write_api import WriteOrg, fix_input, owned_open, writable, write_devorg, write_org
from tests.graphql_client import make_settings

pytestmark = [pytest.mark.anyio, pytest.mark.sqlite_only]
__all__ = ["write_devorg", "write_org"]
BASE = "https://dealpulse.test"
QUICK_FIX = """mutation($input: QuickFixInput!) { quickFix(input: $input) {
  outcome errors { field message ... on QuickFixError { code } } } }"""


def _connection_of(write_org: WriteOrg, opportunity_id: str) -> list[str]:
    query = select(AuditEntry.connection).where(
        col(AuditEntry.org_id) == write_org.org_id,
        col(AuditEntry.opportunity_id) == opportunity_id,
    )
    with Session(write_org.engine) as session:
        return list(session.exec(query).all())


async def _fix(http: httpx.AsyncClient, token: str, value: dict[str, Any]) -> dict[str, Any]:
    answer = await http.post(
        "/graphql", json={"query": QUICK_FIX, "variables": {"input": value}},
        headers={"authorization": f"Bearer {token}"},
    )  # fmt: skip
    body: dict[str, Any] = answer.json()
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["quickFix"]
    return payload


async def test_a_user_who_logged_in_through_dealpulse_writes_as_itself(
    write_org: WriteOrg,
) -> None:
    seed = write_org.devorg.seed
    add_callback_url(write_org.devorg.database, seed.client_id, f"{BASE}/oauth/salesforce/callback")
    settings = make_settings(
        oauth_issuer=BASE, sf_client_secret=seed.client_secret,
        database_url=write_org.engine.url.render_as_string(hide_password=False),
    )  # fmt: skip
    rep, manager = seed.users["rep"], seed.users["manager"]
    logins = {"rep": DemoUser(rep.username, rep.password)}
    # the demo's own login (it runs its event loop: in a thread beside this test's)
    logged_in = await run_in_threadpool(
        demo_credentials, settings, write_org.engine, write_org.org_id, logins
    )
    rep_deal = writable(owned_open(write_org.engine, write_org.org_id, rep.user_id))[0]
    # a deal the manager may fix (its own or one below it), written by the integration user
    candidates = [*owned_open(write_org.engine, write_org.org_id, manager.user_id),
                  *owned_open(write_org.engine, write_org.org_id, rep.user_id)]  # fmt: skip
    other = next(o for o in writable(candidates) if o.id != rep_deal.id)
    app = create_app(settings, engine=write_org.engine, evaluate=write_org.refresher.evaluate)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as http:
        as_rep = await _fix(
            http, logged_in.tokens["rep"],
            fix_input(rep_deal, {"NextStep": "Written as the rep"}, str(uuid.uuid4())),
        )  # fmt: skip
        manager_token = issue_dev_token(settings, write_org.org_id, manager.user_id)
        as_manager = await _fix(
            http, manager_token,
            fix_input(other, {"NextStep": "Written by the integration"}, str(uuid.uuid4())),
        )  # fmt: skip
    assert (as_rep["outcome"], as_manager["outcome"]) == ("APPLIED", "APPLIED")
    sf = write_org.devorg.sf()
    assert sf.Opportunity.get(rep_deal.id)["LastModifiedById"] == rep.user_id
    assert sf.Opportunity.get(other.id)["LastModifiedById"] == seed.users["admin"].user_id
    assert _connection_of(write_org, rep_deal.id) == ["user"]
    assert _connection_of(write_org, other.id) == ["integration"]
