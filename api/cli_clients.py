"""`dealpulse clients create|list|revoke`: the OAuth clients of the orgs (auth.clients).

`create` prints the new client's id and secret: the secret this once (dealpulse keeps only its
hash; a public client has none). `--json` prints one JSON object instead: create's
{client_id, client_secret, org_id, scopes, run_as_user_id, redirect_uris, public}, list's one
object per client per line (as `dealpulse evaluate --json`), never a secret. A refusal
prints one line on stderr, `error: ...`, and exits with status 1.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Annotated, NoReturn

import typer
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from api.settings import Settings
from auth.clients import (
    ClientRegistrationError,
    RegisteredClient,
    find_client,
    list_clients,
    register_client,
    revoke_client,
    user_id_by_username,
)
from store import queries
from store.engine import make_engine
from store.migrate import upgrade

clients_app = typer.Typer(no_args_is_help=True, help="OAuth clients: partners, BI tools, apps.")

# The command-line option behind each field a registration can be refused for.
_OPTIONS = {
    "org_id": "--org",
    "name": "--name",
    "scopes": "--scopes",
    "redirect_uris": "--redirect-uri",
    "run_as_user_id": "--run-as",
}


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)


@contextmanager
def _database() -> Iterator[Engine]:
    """The migrated database of the settings, its errors reported in one safe line. Settings
    are read directly, not through api.cli.load_settings: clients need no signing key."""
    settings = Settings()
    try:
        upgrade(settings.database_url)
        engine = make_engine(settings.database_url)
        try:
            yield engine
        finally:
            engine.dispose()
    except SQLAlchemyError as error:
        # Only the type: a driver's message may hold the database URL and its password.
        _fail(f"the database could not be reached or refused the request ({type(error).__name__})")


def _as_json(client: RegisteredClient) -> dict[str, object]:
    return {
        "client_id": client.client_id,
        "org_id": client.org_id,
        "name": client.name,
        "scopes": list(client.scopes),
        "run_as_user_id": client.run_as_user_id,
        "redirect_uris": list(client.redirect_uris),
        "public": client.public,
        "created_at": client.created_at.isoformat(),
        "revoked_at": None if client.revoked_at is None else client.revoked_at.isoformat(),
    }


def _run_as(engine: Engine, org: str, username: str | None) -> str | None:
    if username is None:
        return None
    user_id = user_id_by_username(engine, org, username)
    if user_id is not None:
        return user_id
    if not queries.org_exists(engine, org):
        _fail(f"--org: no org {org!r} is registered: run 'dealpulse connect' first")
    _fail(
        f"--run-as: org {org} has no mirrored user with the username {username!r} "
        "(run 'dealpulse sync' if the user is new)"
    )


@clients_app.command("create")
def create(
    org: Annotated[str, typer.Option("--org", help="The org (18-character id) it belongs to.")],
    scopes: Annotated[
        str, typer.Option("--scopes", help='Space-separated: "pipeline:read alerts:read".')
    ],
    name: Annotated[str, typer.Option("--name", help="Who or what it is.")] = "OAuth client",
    run_as: Annotated[
        str | None,
        typer.Option("--run-as", help="Salesforce username of the org's user it acts as."),
    ] = None,
    redirect_uris: Annotated[
        list[str] | None,
        typer.Option("--redirect-uri", help="An exact redirect URI (repeatable)."),
    ] = None,
    public: Annotated[
        bool, typer.Option("--public", help="No secret: a browser or native app using PKCE.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """Register a client and print its id and secret (the secret this once)."""
    with _database() as engine:
        try:
            client, secret = register_client(
                engine,
                org_id=org,
                name=name,
                scopes=scopes,
                run_as_user_id=_run_as(engine, org, run_as),
                redirect_uris=redirect_uris or (),
                public=public,
            )
        except ClientRegistrationError as refused:
            hint = ": run 'dealpulse connect' first" if refused.field == "org_id" else ""
            _fail(f"{_OPTIONS.get(refused.field, refused.field)}: {refused.message}{hint}")
    if as_json:
        shown = {
            "client_id": client.client_id,
            "client_secret": secret,
            "org_id": client.org_id,
            "scopes": list(client.scopes),
            "run_as_user_id": client.run_as_user_id,
            "redirect_uris": list(client.redirect_uris),
            "public": client.public,
        }
        typer.echo(json.dumps(shown))
        return
    # typer.echo, not the rich console: a console may wrap a long line inside the secret.
    typer.echo(f"client_id: {client.client_id}")
    if secret is None:
        typer.echo("client_secret: none (a public client: it proves itself with PKCE)")
    else:
        typer.echo(f"client_secret: {secret}")
        typer.echo("the secret is shown this once: dealpulse keeps only its hash")


def _table(rows: Sequence[Sequence[str]]) -> list[str]:
    """Left-aligned columns two spaces apart; never wrapped, so ids stay whole."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  ".join(map(str.ljust, row, widths)).rstrip() for row in rows]


def _row(client: RegisteredClient) -> tuple[str, ...]:
    revoked = client.revoked_at
    return (
        client.client_id,
        client.org_id,
        client.name,
        " ".join(client.scopes),
        client.run_as_user_id or "-",
        "yes" if client.public else "no",
        client.created_at.isoformat(timespec="seconds"),
        "-" if revoked is None else revoked.isoformat(timespec="seconds"),
    )


@clients_app.command("list")
def list_(
    org: Annotated[str | None, typer.Option("--org", help="Only this org's clients.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """List the clients (revoked ones too), oldest first. Secrets are never shown."""
    with _database() as engine:
        clients = list_clients(engine, org)
    if as_json:
        for client in clients:
            typer.echo(json.dumps(_as_json(client)))
        return
    if not clients:
        typer.echo("no client registered: run 'dealpulse clients create'")
        return
    header = ("id", "org", "name", "scopes", "run-as", "public", "created", "revoked")
    rows = [_row(client) for client in clients]
    for line in _table([header, *rows]):
        typer.echo(line)


@clients_app.command("revoke")
def revoke(client_id: Annotated[str, typer.Argument(help="The client's id (dp_...).")]) -> None:
    """Revoke a client for good: it authenticates no more."""
    with _database() as engine:
        if not revoke_client(engine, client_id):
            found = find_client(engine, client_id)
            if found is None:
                _fail(f"no client {client_id!r}")
            revoked = found.revoked_at
            when = "" if revoked is None else f" at {revoked.isoformat(timespec='seconds')}"
            _fail(f"client {client_id} was already revoked{when}")
    typer.echo(f"revoked {client_id}")
