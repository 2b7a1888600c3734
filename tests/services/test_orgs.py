"""The per-org registry: the background sync and clock tick of every connected org (one org
failing does not stop the others), and the request-time hot pass."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine
from sqlmodel import Session, select

from auth.salesforce_tokens import keep_salesforce_refresh_token
from services.orgs import OrgRefresher
from store.mirror import ORG_PASS, Mirror
from store.models import DerivedFacts
from store.queries import org_synced_at
from tests import factories as f
from tests.devorg_server import RunningDevorg, free_port
from tests.graphql_client import make_settings

pytestmark = pytest.mark.sqlite_only

UNREACHABLE_ORG = "00D000000000001AAA"  # sorts before the devorg's id: it is synced first


def test_one_failing_org_does_not_stop_the_others(
    store_engine: Engine, devorg: RunningDevorg, tmp_path: Path
) -> None:
    key = tmp_path / "jwt.pem"
    key.write_text(devorg.seed.jwt_private_key_pem)
    connection = {
        "auth_flow": "jwt", "client_id": devorg.seed.client_id, "is_devorg": True,
        "username": devorg.seed.users["admin"].username, "private_key_file": str(key),
    }  # fmt: skip
    Mirror(store_engine, UNREACHABLE_ORG).ensure_org(
        name="gone", instance_url=f"http://127.0.0.1:{free_port()}", **connection
    )
    Mirror(store_engine, devorg.seed.org_id).ensure_org(
        name="devorg", instance_url=devorg.url, **connection
    )
    refresher = OrgRefresher(store_engine, make_settings())
    try:
        assert refresher.full_all() == [UNREACHABLE_ORG]
    finally:
        refresher.close()
    assert org_synced_at(store_engine, devorg.seed.org_id) is not None
    assert org_synced_at(store_engine, UNREACHABLE_ORG) is None


def test_a_hot_pass_spends_no_call_when_a_later_pass_completed_first(
    store_engine: Engine, devorg: RunningDevorg, connected_refresher: OrgRefresher
) -> None:
    """As when a request's hot pass waited for the org's lock while the scheduler's full pass,
    started after the request asked, ran: the mirror is already as fresh as it would make it.
    (A hot pass of a stale mirror costs one call: tests/api/test_graphql_api_calls.py.)"""
    org_id = devorg.seed.org_id
    later = datetime.now(UTC) + timedelta(minutes=1)
    Mirror(store_engine, org_id).record_success(ORG_PASS, watermark=None, records=0, at=later)
    assert connected_refresher.hot(org_id) is None
    assert connected_refresher.gateway(org_id).api_calls == 0


def test_the_clock_tick_of_every_org_refreshes_its_open_deals(store_engine: Engine) -> None:
    team = f.team(store_engine)
    open_deal = f.opportunity(store_engine, team.reps[0])
    f.opportunity(store_engine, team.reps[0], stage="Closed Won")
    refresher = OrgRefresher(store_engine, make_settings())
    try:
        assert refresher.tick_all() == []
    finally:
        refresher.close()
    with Session(store_engine) as session:
        ticked = session.exec(select(DerivedFacts.opportunity_id)).all()
    assert ticked == [open_deal.id]


def test_a_users_gateway_follows_its_latest_login_and_an_undecryptable_token_gives_none(
    store_engine: Engine,
) -> None:
    f.org(store_engine)
    settings = make_settings()
    refresher = OrgRefresher(store_engine, settings)
    user = "005000000000001AAA"
    assert refresher.user_gateway(f.ORG_A, user) is None  # no token held
    keep = lambda token: keep_salesforce_refresh_token(  # noqa: E731
        store_engine, settings, org_id=f.ORG_A, user_id=user, refresh_token=token
    )
    keep("refresh-token-of-the-first-login")
    first = refresher.user_gateway(f.ORG_A, user)
    assert first is not None
    assert refresher.user_gateway(f.ORG_A, user) is first  # built once per login
    keep("refresh-token-of-the-second-login")
    second = refresher.user_gateway(f.ORG_A, user)
    assert second is not None
    assert second is not first
    other_key = make_settings(secret_key=SecretStr("another-secret-key-of-forty-characters!!"))
    assert OrgRefresher(store_engine, other_key).user_gateway(f.ORG_A, user) is None
    refresher.close()
