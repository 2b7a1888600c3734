"""The background tick syncs every connected org; one org failing does not stop the others."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from services.orgs import OrgRefresher
from store.mirror import Mirror
from store.queries import org_synced_at
from tests.devorg_server import RunningDevorg, free_port
from tests.graphql_client import make_settings

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
