"""The `dealpulse` command line."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import SecretStr, ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from sqlalchemy.exc import SQLAlchemyError
from typer.core import TyperGroup

from api.cli_clients import clients_app
from api.cli_formula import formula_app
from api.settings import STATE_DIR, Settings


class _Commands(TyperGroup):
    """The command group: invalid settings, or a database that cannot be reached (or refuses a
    statement), are one error line and exit status 1, not a traceback; the settings' values
    and the driver's message are not shown (they may hold a secret key or the URL's password)."""

    # Any: the context is Typer's vendored click Context, which Typer does not export.
    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except ValidationError as error:
            # Where and why only: the input values may be secrets (DEALPULSE_SECRET_KEY...).
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'settings'}: {e['msg']}"
                for e in error.errors(include_input=False)
            )
            typer.echo(f"error: invalid settings: {problems}", err=True)
            raise typer.Exit(code=1) from None
        except SQLAlchemyError as error:
            typer.echo(
                f"error: the database could not be reached or refused the request "
                f"({type(error).__name__}); check DATABASE_URL",
                err=True,
            )
            raise typer.Exit(code=1) from None


app = typer.Typer(
    cls=_Commands, no_args_is_help=True, help="dealpulse: continuous sales-process rules."
)
devorg_app = typer.Typer(no_args_is_help=True, help="A local Salesforce org for demos and tests.")
app.add_typer(devorg_app, name="devorg")
app.add_typer(formula_app, name="formula")
app.add_typer(clients_app, name="clients")
console = Console()

DEFAULT_DEVORG_DB = STATE_DIR / "devorg.sqlite3"
SECRET_KEY_FILE = STATE_DIR / "secret-key"

DatabaseOption = Annotated[
    Path, typer.Option("--database", help="SQLite file of the org.", dir_okay=False)
]
PortOption = Annotated[int, typer.Option("--port", min=1, max=65535, help="Port to serve on.")]
OrgOption = Annotated[str | None, typer.Option("--org", help="Only this org id.")]


def progress_bar() -> Progress:
    columns = (BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    return Progress(*Progress.get_default_columns()[:1], *columns, console=console)


def load_settings() -> Settings:
    """Settings from the environment; without DEALPULSE_SECRET_KEY, a random key kept in
    .dealpulse/secret-key (created once, owner-only) signs development tokens."""
    settings = Settings()
    if settings.secret_key.get_secret_value():
        return settings
    if not SECRET_KEY_FILE.exists():
        SECRET_KEY_FILE.parent.mkdir(parents=True, exist_ok=True)
        SECRET_KEY_FILE.touch(mode=0o600)
        SECRET_KEY_FILE.write_text(secrets.token_urlsafe(48))
    return Settings(secret_key=SecretStr(SECRET_KEY_FILE.read_text().strip()))


# -- devorg ---------------------------------------------------------------------------------------
@devorg_app.command("seed")
def devorg_seed(
    opportunities: Annotated[int, typer.Option(min=1, max=5_000_000)] = 5000,
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same org.")] = 42,
    database: DatabaseOption = DEFAULT_DEVORG_DB,
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port devorg will serve on.")] = 8001,
    force: Annotated[bool, typer.Option(help="Replace an existing org.")] = False,
) -> None:
    """Build a deterministic, believable demo org and write .dealpulse/devorg.json."""
    from api import cli_devorg

    if force:
        cli_devorg.remove_org(database)
    cli_devorg.seed(database, opportunities, seed, port, progress_bar(), console)


@devorg_app.command("serve")
def devorg_serve(database: DatabaseOption = DEFAULT_DEVORG_DB, port: PortOption = 8001) -> None:
    """Serve the Salesforce REST API of a seeded org over http://127.0.0.1:PORT."""
    from api import cli_devorg

    cli_devorg.serve(database, port, console)


# -- dealpulse ------------------------------------------------------------------------------------
@app.command()
def migrate() -> None:
    """Apply the database migrations (SQLite file or DATABASE_URL)."""
    from store.migrate import upgrade

    upgrade(load_settings().database_url)
    console.print("database is at the latest migration")


@app.command()
def connect(
    devorg: Annotated[
        Path | None, typer.Option(help="Connect the devorg described by this devorg.json.")
    ] = None,
    org_id: Annotated[str | None, typer.Option(help="The org's 18-character id.")] = None,
    name: Annotated[str, typer.Option()] = "Salesforce org",
    instance_url: Annotated[str | None, typer.Option()] = None,
    client_id: Annotated[str | None, typer.Option(help="Connected app consumer key.")] = None,
    username: Annotated[str | None, typer.Option(help="Integration user.")] = None,
    private_key_file: Annotated[Path | None, typer.Option(help="JWT bearer key.")] = None,
    auth_flow: Annotated[str, typer.Option(help="jwt | password | client_credentials")] = "jwt",
) -> None:
    """Register an org to mirror (JWT bearer by default; other flows read their secret from
    DEALPULSE_SF_PASSWORD / DEALPULSE_SF_CLIENT_SECRET / DEALPULSE_SF_REFRESH_TOKEN)."""
    from api import cli_sync

    settings = load_settings()
    if devorg is not None:
        cli_sync.connect_devorg(settings, devorg)
    else:
        if auth_flow not in ("jwt", "password", "client_credentials", "refresh_token"):
            raise typer.BadParameter("unknown flow", param_hint="--auth-flow")
        if not (org_id and instance_url and client_id):
            raise typer.BadParameter("--org-id, --instance-url and --client-id are required")
        cli_sync.connect_org(
            settings, org_id=org_id, name=name, instance_url=instance_url,
            client_id=client_id, username=username, auth_flow=auth_flow,
            private_key_file=str(private_key_file.resolve()) if private_key_file else None,
        )  # fmt: skip
    console.print("connected; run 'dealpulse sync' to mirror it")


@app.command()
def sync(org: OrgOption = None) -> None:
    """Run one incremental sync pass (a full load the first time) of every connected org."""
    from api import cli_sync

    if not cli_sync.sync_orgs(load_settings(), org, progress_bar()):
        raise typer.Exit(code=1)


@app.command()
def evaluate(
    org: OrgOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per org.")] = False,
) -> None:
    """Run one evaluation pass (every active rule and formula milestone over every open
    opportunity) of every connected org."""
    from api import cli_evaluate

    if not cli_evaluate.evaluate_orgs(load_settings(), org, as_json, console):
        raise typer.Exit(code=1)


@app.command()
def serve(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: PortOption = 8000,
    dev: Annotated[
        bool,
        typer.Option(
            "--dev",
            help="Also accept development tokens (refused with DEALPULSE_ENVIRONMENT=production).",
        ),
    ] = False,
) -> None:
    """Serve the GraphQL API (syncing every org in the background)."""
    from api import cli_sync

    settings = load_settings()
    if dev:
        try:
            settings = settings.allowing_dev_tokens()
        except ValueError as error:
            raise typer.BadParameter(str(error), param_hint="--dev") from None
    cli_sync.serve(settings, host, port)


@app.command("export-schema")
def export_schema(
    output: Annotated[Path | None, typer.Option(help="Default: schema/schema.graphql")] = None,
) -> None:
    """Write the GraphQL SDL (the committed schema/schema.graphql is checked by a test)."""
    from schema.schema import SDL_PATH, export_sdl

    target = output or SDL_PATH
    target.write_text(export_sdl())
    console.print(f"wrote {target}")


@app.command()
def demo(
    port: PortOption = 8000,
    devorg_port: Annotated[int, typer.Option("--devorg-port", min=1, max=65535)] = 8001,
    opportunities: Annotated[int, typer.Option(min=1, max=5_000_000)] = 5000,
) -> None:
    """Seed a devorg if there is none, serve it, mirror it and serve the GraphQL API on it."""
    from api import cli_demo

    # The demo's users log in through dealpulse's OAuth server: no development tokens.
    settings = load_settings()
    cli_demo.run(settings, port, devorg_port, opportunities, progress_bar, console)


def main() -> None:
    app()
