"""`dealpulse devorg ...` and the demo's devorg: the only production-side module (with the
demo) that imports devorg, which is otherwise reached over HTTP only."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import typer
import uvicorn
from rich.console import Console
from rich.progress import Progress

from devorg.app import create_app
from devorg.config_file import update_instance_url, write_config
from devorg.db import OrgDatabase
from devorg.seed import seed_org
from devorg.settings import DevorgSettings


def remove_org(database: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)


def seed(
    database: Path, opportunities: int, seed: int, port: int, bar: Progress, console: Console
) -> None:
    db = OrgDatabase(database)
    try:
        if db.is_seeded:
            raise typer.BadParameter(
                f"{database} already holds an org; use --force to replace it", param_hint="--force"
            )
        with bar:
            task = bar.add_task("seeding opportunities", total=opportunities)
            result = seed_org(
                db,
                opportunities=opportunities,
                seed=seed,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
    finally:
        db.close()
    path = write_config(database.parent, instance_url=f"http://127.0.0.1:{port}", result=result)
    console.print(f"seeded {opportunities} opportunities into {database}; credentials in {path}")


def _server(database: Path, port: int) -> uvicorn.Server:
    if not database.exists():
        raise typer.BadParameter(
            f"no org at {database}: run 'dealpulse devorg seed' first", param_hint="--database"
        )
    settings = DevorgSettings(database=database, port=port)
    update_instance_url(database.parent, settings.instance_url)
    config = uvicorn.Config(
        create_app(settings), host=settings.host, port=port, log_level="warning", access_log=False
    )
    return uvicorn.Server(config)


def serve(database: Path, port: int, console: Console) -> None:
    server = _server(database, port)
    console.print(f"devorg serving {database} at http://127.0.0.1:{port}")
    server.run()


def start_in_thread(database: Path, port: int) -> uvicorn.Server:
    """Serve devorg from a background thread (the demo runs it beside the API)."""
    server = _server(database, port)
    thread = threading.Thread(target=server.run, name="devorg", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError(f"devorg did not start on port {port}")
        time.sleep(0.05)
    return server


def add_callback_url(database: Path, client_id: str, url: str) -> None:
    """List `url` among the callback URLs of the devorg's connected app `client_id` (one per
    line, as Salesforce's setup keeps them): the demo's users log in to dealpulse through it,
    at whatever port the demo serves."""
    db = OrgDatabase(database)
    try:
        row = db.conn.execute(
            "SELECT callback_url FROM _connected_app WHERE client_id = ?", [client_id]
        ).fetchone()
        if row is None:
            raise LookupError(f"devorg has no connected app {client_id}")
        urls = str(row[0]).split()
        if url not in urls:
            db.conn.execute(
                "UPDATE _connected_app SET callback_url = ? WHERE client_id = ?",
                ["\n".join([*urls, url]), client_id],
            )
    finally:
        db.close()
