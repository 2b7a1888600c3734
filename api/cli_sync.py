"""`dealpulse connect`, `sync` and `serve`: registering orgs, syncing them, serving the API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, TaskID
from sqlalchemy import Engine

from api.app import create_app
from api.settings import Settings
from salesforce.sync import safe_error
from services.orgs import OrgRefresher
from services.scheduler import Scheduler, org_jobs
from store import queries
from store.engine import make_engine
from store.migrate import upgrade
from store.mirror import Mirror
from store.models import Org


def connect_org(settings: Settings, *, org_id: str, name: str, **connection: object) -> None:
    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        Mirror(engine, org_id).ensure_org(name=name, **connection)
    finally:
        engine.dispose()


def connect_devorg(settings: Settings, devorg_json: Path) -> str:
    """Register the devorg of a devorg.json (JWT bearer as its admin); returns the org id."""
    config = json.loads(devorg_json.read_text())
    key_file = Path(config["jwt_private_key_file"])
    connect_org(
        settings,
        org_id=config["org_id"],
        name="devorg: Brightwave Software",
        instance_url=config["instance_url"],
        api_version=config["api_version"],
        auth_flow="jwt",
        client_id=config["client_id"],
        username=config["users"]["admin"]["username"],
        private_key_file=str(key_file.resolve()),
        is_devorg=True,
    )
    return str(config["org_id"])


@contextmanager
def refresher_of(settings: Settings) -> Iterator[tuple[Engine, OrgRefresher]]:
    """The database (migrated first) and an OrgRefresher on it, closed afterwards."""
    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    refresher = OrgRefresher(engine, settings, request_timeout=settings.salesforce_timeout_seconds)
    try:
        yield engine, refresher
    finally:
        refresher.close()
        engine.dispose()


def connected_orgs(engine: Engine, only: str | None, console: Console) -> list[Org]:
    """The connected orgs (or the one asked for); says what to do when there is none."""
    orgs = [o for o in queries.all_orgs(engine) if only is None or o.id == only]
    if not orgs:
        console.print("no org connected: run 'dealpulse connect' first")
    return orgs


def sync_orgs(settings: Settings, only: str | None, bar: Progress) -> bool:
    """One full incremental pass per org with a progress bar; False if any failed."""
    ok = True
    with refresher_of(settings) as (engine, refresher):
        orgs = connected_orgs(engine, only, bar.console)
        if not orgs:
            return False
        with bar:
            for org in orgs:
                task = bar.add_task(f"{org.name}: records", total=None)

                def advance(_sobject: str, _page: int, rows: int, task: TaskID = task) -> None:
                    bar.advance(task, rows)

                try:
                    result = refresher.refresh(org.id, "full", on_page=advance)
                except Exception as error:  # reported, then the next org
                    ok = False
                    # The gateway's message is secret-free by construction (safe_error keeps
                    # only the type of anything else); escaped, since it may hold "[...]".
                    bar.console.print(f"[red]{org.id}: sync failed: {escape(safe_error(error))}")
                    continue
                counts = ", ".join(f"{k} {v}" for k, v in result.sync.counts.items() if v)
                bar.console.print(
                    f"{org.id}: {counts or 'no changes'}; {result.sync.api_calls} API calls; "
                    f"facts refreshed for {result.facts_refreshed} opportunities"
                )
    return ok


def serve(settings: Settings, host: str, port: int) -> None:
    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    refresher = OrgRefresher(engine, settings, request_timeout=settings.salesforce_timeout_seconds)
    jobs = org_jobs(
        refresher,
        sync_interval_seconds=settings.sync_interval_seconds,
        clock_tick_seconds=settings.clock_tick_seconds,
        evaluation_interval_seconds=settings.evaluation_interval_seconds,
    )
    app = create_app(
        settings,
        engine=engine,
        sync_org=refresher.hot,
        evaluate=refresher.evaluate,
        gateways=refresher.gateway,
        user_gateways=refresher.user_gateway,
        alert_events=refresher.alert_events,
        scheduler=Scheduler(jobs),
    )
    try:
        uvicorn.run(app, host=host, port=port, log_level="info", ws="websockets-sansio")
    finally:
        refresher.close()
        engine.dispose()
