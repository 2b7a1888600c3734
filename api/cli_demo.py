"""`dealpulse demo`: a devorg (seeded once), mirrored, behind the GraphQL API, with tokens."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.progress import Progress

from api import cli_devorg, cli_sync
from api.settings import STATE_DIR, Settings
from auth.dev_tokens import issue_dev_token

DEVORG_DB = STATE_DIR / "devorg.sqlite3"
DEVORG_JSON = STATE_DIR / "devorg.json"
DEMO_JSON = STATE_DIR / "demo.json"
ROLES = ("rep", "manager", "admin")

EXAMPLE_QUERY = (
    "{ me { accessLevel user { name } } opportunities(first: 5, orderBy: {field: CLOSE_DATE,"
    " direction: ASC}) { totalCount edges { node { name amount closeDate stage { name }"
    " daysInStage nextMeetingDate account { name } } } } }"
)


def write_demo_json(graphql_url: str, devorg_url: str, tokens: dict[str, str]) -> Path:
    """The URLs and ready-to-use tokens, owner-readable only (they are credentials)."""
    body = {"graphql_url": graphql_url, "devorg_url": devorg_url, "tokens": tokens}
    DEMO_JSON.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(DEMO_JSON, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(json.dumps(body, indent=2) + "\n")
    return DEMO_JSON


def run(
    settings: Settings,
    port: int,
    devorg_port: int,
    opportunities: int,
    progress_bar: Callable[[], Progress],
    console: Console,
) -> None:
    if not DEVORG_DB.exists():
        cli_devorg.seed(DEVORG_DB, opportunities, 42, devorg_port, progress_bar(), console)
    devorg = cli_devorg.start_in_thread(DEVORG_DB, devorg_port)
    devorg_url = f"http://127.0.0.1:{devorg_port}"
    try:
        org_id = cli_sync.connect_devorg(settings, DEVORG_JSON)
        if not cli_sync.sync_orgs(settings, org_id, progress_bar()):
            raise SystemExit("the first sync of the devorg failed")
        users = json.loads(DEVORG_JSON.read_text())["users"]
        tokens = {role: issue_dev_token(settings, org_id, users[role]["user_id"]) for role in ROLES}
        graphql_url = f"http://127.0.0.1:{port}/graphql"
        path = write_demo_json(graphql_url, devorg_url, tokens)
        console.print(f"\nGraphQL API: {graphql_url}  (GraphiQL in a browser)")
        console.print(f"devorg:      {devorg_url}")
        for role in ROLES:
            console.print(f"token {role:8} {tokens[role]}", soft_wrap=True)
        console.print(f"(also in {path})\n\nTry, as the rep:")
        console.print(
            f"curl -s {graphql_url} -H 'Authorization: Bearer {tokens['rep']}' "
            f"-H 'Content-Type: application/json' -d '{json.dumps({'query': EXAMPLE_QUERY})}'",
            soft_wrap=True,
            markup=False,
        )
        cli_sync.serve(settings, "127.0.0.1", port)
    finally:
        devorg.should_exit = True
