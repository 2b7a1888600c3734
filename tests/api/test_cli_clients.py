"""`dealpulse clients create|list|revoke`, run as a user would (in process: tests.cli), on a
SQLite file arranged with the store factories: the secret printed once and usable, never
listed; --run-as resolved by username; refusals as one `error:` line on stderr, exit 1."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from auth.clients import authenticate_client, find_client
from store.engine import make_engine
from store.migrate import upgrade
from tests import factories as f
from tests.cli import run_dealpulse

A, B = f.ORG_A, f.ORG_B


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Engine]:
    """The migrated database the commands use, with two orgs and a mirrored user in org A."""
    upgrade(f"sqlite:///{tmp_path / 'dealpulse.sqlite3'}")
    engine = make_engine(f"sqlite:///{tmp_path / 'dealpulse.sqlite3'}")
    f.org(engine, A, with_stages=False)
    f.org(engine, B, with_stages=False)
    yield engine
    engine.dispose()


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    url = f"sqlite:///{cwd / 'dealpulse.sqlite3'}"
    return run_dealpulse(cwd, "clients", *args, env={"DATABASE_URL": url})


def created(cwd: Path, *args: str) -> dict[str, object]:
    result = run(cwd, "create", *args, "--json")
    assert result.returncode == 0, result.stderr
    output: dict[str, object] = json.loads(result.stdout)
    return output


def refused(result: subprocess.CompletedProcess[str]) -> str:
    """The one line a refusal prints on stderr (nothing on stdout, exit status 1)."""
    assert result.returncode == 1
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith("error: ")
    assert "Traceback" not in result.stderr
    return line


def test_create_prints_the_id_and_a_secret_that_authenticates(
    database: Engine, tmp_path: Path
) -> None:
    result = run(tmp_path, "create", "--org", A, "--scopes", "alerts:read pipeline:read")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    client_id = lines[0].removeprefix("client_id: ")
    secret = lines[1].removeprefix("client_secret: ")
    assert client_id.startswith("dp_")
    assert "shown this once" in lines[2]
    client = authenticate_client(database, client_id, secret)
    assert client is not None
    assert (client.org_id, client.scopes) == (A, ("pipeline:read", "alerts:read"))
    with database.connect() as conn:
        stored = " ".join(map(str, conn.execute(text("SELECT * FROM oauth_client")).one()))
    assert secret not in stored

    listed = run(tmp_path, "list")
    assert listed.returncode == 0, listed.stderr
    assert client_id in listed.stdout
    assert secret not in listed.stdout
    assert secret not in run(tmp_path, "list", "--json").stdout


def test_create_json_resolves_the_run_as_username(database: Engine, tmp_path: Path) -> None:
    rep = f.user(database, "Ada Rep", org_id=A)
    output = created(
        tmp_path,
        *("--org", A, "--scopes", "admin pipeline:read", "--name", "Partner"),
        *("--run-as", rep.username.upper()),
        *("--redirect-uri", "https://p.example/cb", "--redirect-uri", "http://localhost:9/cb"),
    )
    secret = output.pop("client_secret")
    client_id = output.pop("client_id")
    assert isinstance(secret, str)
    assert isinstance(client_id, str)
    assert output == {
        "org_id": A,
        "scopes": ["pipeline:read", "admin"],
        "run_as_user_id": rep.id,
        "redirect_uris": ["https://p.example/cb", "http://localhost:9/cb"],
        "public": False,
    }
    found = find_client(database, client_id)
    assert found is not None
    assert found.name == "Partner"
    assert authenticate_client(database, client_id, secret) == found


def test_a_public_client_has_no_secret(database: Engine, tmp_path: Path) -> None:
    output = created(
        tmp_path, "--org", A, "--scopes", "alerts:read", "--public",
        "--redirect-uri", "https://app.example/cb",
    )  # fmt: skip
    assert output["client_secret"] is None
    assert output["public"] is True

    text_run = run(
        tmp_path, "create", "--org", A, "--scopes", "alerts:read", "--public",
        "--redirect-uri", "https://app.example/cb",
    )  # fmt: skip
    assert text_run.returncode == 0, text_run.stderr
    assert "client_secret: none" in text_run.stdout


def test_list_shows_each_client_once_by_org_and_never_a_secret(
    database: Engine, tmp_path: Path
) -> None:
    rep = f.user(database, "Ada Rep", org_id=A)
    of_a = created(tmp_path, "--org", A, "--scopes", "pipeline:read", "--run-as", rep.username)
    of_b = created(tmp_path, "--org", B, "--scopes", "alerts:read", "--name", "B's tool")

    table = run(tmp_path, "list", "--org", A)
    assert table.returncode == 0, table.stderr
    header, row = table.stdout.splitlines()
    assert header.split() == [
        "id",
        "org",
        "name",
        "scopes",
        "run-as",
        "public",
        "created",
        "revoked",
    ]
    assert row.split()[:2] == [of_a["client_id"], A]
    assert rep.id in row.split()
    assert str(of_b["client_id"]) not in table.stdout

    every = run(tmp_path, "list", "--json")
    assert every.returncode == 0, every.stderr
    listed = [json.loads(line) for line in every.stdout.splitlines()]
    assert [client["client_id"] for client in listed] == [of_a["client_id"], of_b["client_id"]]
    assert all(client["revoked_at"] is None for client in listed)
    assert not [key for client in listed for key in client if "secret" in key]
    for output in (of_a, of_b):
        assert str(output["client_secret"]) not in every.stdout + table.stdout


def test_list_without_clients_says_how_to_create_one(database: Engine, tmp_path: Path) -> None:
    result = run(tmp_path, "list")
    assert result.returncode == 0
    assert "dealpulse clients create" in result.stdout
    assert run(tmp_path, "list", "--json").stdout == ""


def test_revoke_stops_the_client_and_refuses_a_second_time(
    database: Engine, tmp_path: Path
) -> None:
    output = created(tmp_path, "--org", A, "--scopes", "pipeline:read")
    client_id, secret = str(output["client_id"]), str(output["client_secret"])

    result = run(tmp_path, "revoke", client_id)
    assert result.returncode == 0, result.stderr
    assert f"revoked {client_id}" in result.stdout
    assert authenticate_client(database, client_id, secret) is None
    [listed] = [json.loads(line) for line in run(tmp_path, "list", "--json").stdout.splitlines()]
    assert listed["revoked_at"] is not None

    assert "already revoked" in refused(run(tmp_path, "revoke", client_id))


def test_revoking_an_unknown_client_is_refused(database: Engine, tmp_path: Path) -> None:
    assert refused(run(tmp_path, "revoke", "dp_nope")) == "error: no client 'dp_nope'"


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--org", A, "--scopes", "alerts:read pipeline:write"], "--scopes: unknown scope"),
        (["--org", A, "--scopes", "alerts:read alerts:read"], "--scopes: scope 'alerts:read'"),
        (["--org", A, "--scopes", ""], "--scopes: a client needs at least one scope"),
        (["--org", "00D000000000009AAA", "--scopes", "admin"], "--org: no org"),
        (["--org", "00D000000000009AAA", "--scopes", "admin", "--run-as", "x@y"], "--org: no"),
        (["--org", A, "--scopes", "admin", "--run-as", "nobody@x"], "--run-as: org"),
        (["--org", A, "--scopes", "admin", "--public"], "--redirect-uri: a public client"),
        (["--org", A, "--scopes", "admin", "--redirect-uri", "http://x.example/cb"], "http://"),
        (["--org", A, "--scopes", "admin", "--redirect-uri", "https://x/cb#f"], "fragment"),
        (["--org", A, "--scopes", "admin", "--name", " "], "--name: a client needs a name"),
    ],
)
def test_a_refused_creation_prints_one_line_and_creates_nothing(
    database: Engine, tmp_path: Path, args: list[str], says: str
) -> None:
    line = refused(run(tmp_path, "create", *args))
    assert says in line
    assert run(tmp_path, "list", "--json").stdout == ""


def test_a_run_as_user_of_another_org_is_not_found(database: Engine, tmp_path: Path) -> None:
    of_b = f.user(database, "Bo Other", org_id=B)
    line = refused(
        run(tmp_path, "create", "--org", A, "--scopes", "admin", "--run-as", of_b.username)
    )
    assert "--run-as: org" in line


def test_a_database_that_cannot_be_reached_is_one_line_without_its_password(
    tmp_path: Path,
) -> None:
    url = "postgresql+psycopg://dealpulse:hunter2-secret@127.0.0.1:1/none"
    result = run_dealpulse(tmp_path, "clients", "list", env={"DATABASE_URL": url})
    line = refused(result)
    assert "hunter2" not in line
    assert "OperationalError" in line
