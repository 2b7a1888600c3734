"""The `dealpulse` command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

app = typer.Typer(no_args_is_help=True, help="dealpulse: continuous sales-process rules.")
devorg_app = typer.Typer(no_args_is_help=True, help="A local Salesforce org for demos and tests.")
app.add_typer(devorg_app, name="devorg")
console = Console()

STATE_DIR = Path(".dealpulse")
DEFAULT_DB = STATE_DIR / "devorg.sqlite3"

DatabaseOption = Annotated[
    Path, typer.Option("--database", help="SQLite file of the org.", dir_okay=False)
]
PortOption = Annotated[int, typer.Option("--port", min=1, max=65535, help="Port devorg serves on.")]


def _seed(database: Path, opportunities: int, seed: int, port: int) -> None:
    from devorg.config_file import write_config
    from devorg.db import OrgDatabase
    from devorg.seed import seed_org

    db = OrgDatabase(database)
    try:
        if db.is_seeded:
            raise typer.BadParameter(
                f"{database} already holds an org; use --force to replace it", param_hint="--force"
            )
        columns = (BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*Progress.get_default_columns()[:1], *columns, console=console) as bar:
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


@devorg_app.command("seed")
def devorg_seed(
    opportunities: Annotated[int, typer.Option(min=1, max=5_000_000)] = 5000,
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same org.")] = 42,
    database: DatabaseOption = DEFAULT_DB,
    port: PortOption = 8001,
    force: Annotated[bool, typer.Option(help="Replace an existing org.")] = False,
) -> None:
    """Build a deterministic, believable demo org and write .dealpulse/devorg.json."""
    if force:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{database}{suffix}").unlink(missing_ok=True)
    _seed(database, opportunities, seed, port)


def _serve(database: Path, port: int) -> None:
    import uvicorn

    from devorg.app import create_app
    from devorg.config_file import update_instance_url
    from devorg.settings import DevorgSettings

    settings = DevorgSettings(database=database, port=port)
    if not database.exists():
        raise typer.BadParameter(
            f"no org at {database}: run 'dealpulse devorg seed' first", param_hint="--database"
        )
    update_instance_url(database.parent, settings.instance_url)
    console.print(f"devorg serving {database} at {settings.instance_url}")
    uvicorn.run(create_app(settings), host=settings.host, port=port, log_level="warning")


@devorg_app.command("serve")
def devorg_serve(database: DatabaseOption = DEFAULT_DB, port: PortOption = 8001) -> None:
    """Serve the Salesforce REST API of a seeded org over http://127.0.0.1:PORT."""
    _serve(database, port)


@app.command()
def demo(
    devorg_port: Annotated[int, typer.Option("--devorg-port", min=1, max=65535)] = 8001,
    opportunities: Annotated[int, typer.Option(min=1, max=5_000_000)] = 5000,
) -> None:
    """Seed a demo org if there is none, then serve it (the GraphQL API joins in Foundation B)."""
    if not DEFAULT_DB.exists():
        _seed(DEFAULT_DB, opportunities, 42, devorg_port)
    from devorg.config_file import read_config

    config = read_config(STATE_DIR) or {}
    for role, user in config.get("users", {}).items():
        console.print(f"{role:8} {user['username']}  password: {user['password']}")
    _serve(DEFAULT_DB, devorg_port)


def main() -> None:
    app()
