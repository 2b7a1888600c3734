"""`dealpulse demo`: a devorg (seeded once), mirrored, with the ready-made sales process
(services.demo_process: milestones, rules, the org's validation rules imported, a first
evaluation finished), behind the GraphQL API, with tokens."""

from __future__ import annotations

import json
import os
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from pydantic import SecretStr
from rich.console import Console
from rich.progress import Progress
from sqlalchemy import Engine

from api import cli_devorg, cli_sync
from api.cli_demo_login import PARTNER_SCOPES, DemoCredentials, DemoUser, demo_credentials
from api.settings import STATE_DIR, Settings
from rules.time_zones import local_date, org_time_zone
from services.demo_process import DemoProcessReport, set_up_demo_process
from services.orgs import OrgRefresher
from services.validation_import import ImportOutcome
from store.engine import make_engine
from store.mirror import Mirror
from store.queries import Visibility
from store.todo import todo_rows

DEVORG_DB = STATE_DIR / "devorg.sqlite3"
DEVORG_JSON = STATE_DIR / "devorg.json"
DEMO_JSON = STATE_DIR / "demo.json"
# The demo's access tokens last a working session (the default is 10 minutes; the most a day).
DEMO_TOKEN_SECONDS = 8 * 3600
ROLES = ("rep", "manager", "admin")

# The rep's open deals, soonest to close first: health, and the open alerts with what to fix.
EXAMPLE_QUERY = (
    "{ me { user { name } } opportunities(first: 5, filter: {isClosed: false}, orderBy:"
    " {field: CLOSE_DATE, direction: ASC}) { totalCount edges { node { name amount closeDate"
    " stage { name } health { score progress penalty breakdown { label points } }"
    " alerts(status: [OPEN]) { rule { name } kind severity message recommendation"
    " fixFields { name } openedAt } } } } }"
)

# The rep's to-do list: the deals with fields to fix, most urgent first, each with the fields'
# editor metadata and the lastModifiedAt a quick-fix sends back.
TODO_QUERY = (
    "{ todo(first: 5) { totalCount remainingTodoCount summary { total amount bySeverity"
    " { severity count } } edges { node { opportunity { id name amount closeDate"
    " lastModifiedAt } alerts { id message rule { name } } fixFields { name label type"
    " currentValue required length picklistValues { value label } } priority reasons } } } }"
)


# The fields the demo's quick-fix example can set, with the value it sets: a date a week or a
# month ahead clears "in the past" alerts whatever day the demo runs.
_EXAMPLE_FIXES = (("Next_Meeting_Date__c", 7), ("CloseDate", 30))
# The devorg's rules on late stages (an amount, a decision maker): a deal that breaks one
# already would have Salesforce refuse any change, which is no demo of a quick-fix.
_LATE_STAGES = frozenset({"Proposal/Price Quote", "Negotiation/Review"})
_QUICK_FIX_FIELDS = (
    "outcome opportunity { id name health { score } } resolvedAlerts { id rule { name } }"
    " remainingTodoCount errors { field message ... on QuickFixError { code } }"
)


def quick_fix_example(engine: Engine, org_id: str, rep_id: str, today: date) -> str | None:
    """A quickFix document that runs as it is with the rep's token: the first of its to-do
    items with a date to move forward, its value, the lastModifiedAt the mirror holds and an
    idempotency key of its own (run twice, it answers the first outcome again). None when the
    rep has nothing such to fix."""
    rows = todo_rows(engine, Visibility(org_id, frozenset({rep_id})), rep_id).rows
    for field, days in _EXAMPLE_FIXES:
        for row in rows:
            deal = row.opportunity
            late = deal.stage_name in _LATE_STAGES
            if late and (deal.amount is None or not deal.fields.get("Decision_Maker__c")):
                continue
            if deal.last_modified_date is None:
                continue
            if any(field in alert.fix_fields for alert in row.alerts):
                value = json.dumps((today + timedelta(days=days)).isoformat())
                expected = deal.last_modified_date.astimezone(UTC).isoformat()
                return (
                    f'mutation {{ quickFix(input: {{opportunityId: "{deal.id}", values: '
                    f'{{{field}: {value}}}, expectedLastModified: "{expected}", '
                    f'idempotencyKey: "demo-{uuid.uuid4()}"}}) {{ {_QUICK_FIX_FIELDS} }} }}'
                )
    return None


def set_up_process(
    settings: Settings, org_id: str, admin_id: str, console: Console
) -> DemoProcessReport:
    """The ready-made process of the synced demo org, evaluated once (see demo_process)."""
    engine = make_engine(settings.database_url)
    refresher = OrgRefresher(engine, settings, request_timeout=settings.salesforce_timeout_seconds)
    try:
        report = set_up_demo_process(
            engine, refresher.gateway(org_id), org_id, admin_id, datetime.now(UTC),
            evaluate=refresher.evaluate,
        )  # fmt: skip
    finally:
        refresher.close()
        engine.dispose()
    imported = Counter(r.outcome for r in report.imports)
    console.print(
        f"Sales process: {len(report.milestones_created)} milestones and "
        f"{len(report.rules_created)} rules created; validation rules: "
        f"{imported[ImportOutcome.IMPORTED]} imported, {imported[ImportOutcome.UPDATED]} updated,"
        f" {imported[ImportOutcome.UNCHANGED]} unchanged, {imported[ImportOutcome.SKIPPED]} "
        "skipped"
    )
    for result in report.imports:
        if result.outcome is ImportOutcome.SKIPPED:
            console.print(f"  skipped {result.name}: {result.reason}", markup=False)
    evaluation = report.evaluation
    console.print(
        f"First evaluation: {evaluation.rules_evaluated} rules over "
        f"{evaluation.opportunities_evaluated} open deals, {evaluation.alerts_open} open alerts "
        f"({evaluation.seconds:.2f} s)"
    )
    return report


def write_demo_json(
    graphql_url: str,
    devorg_url: str,
    credentials: DemoCredentials,
    issuer: str,
    quick_fix: str | None,
) -> Path:
    """The URLs, the users' access tokens and the partner client's credentials,
    owner-readable only (they are credentials)."""
    examples = {"todo_query": TODO_QUERY}
    if quick_fix is not None:
        examples["quick_fix_mutation"] = quick_fix
    body = {
        "graphql_url": graphql_url,
        "devorg_url": devorg_url,
        "tokens": {role: credentials.tokens[role] for role in ROLES},
        "clients": {
            "partner": {
                "client_id": credentials.partner_id,
                "client_secret": credentials.partner_secret,
                "scopes": PARTNER_SCOPES,
            }
        },
        "oauth": {"issuer": issuer},
        "examples": examples,
    }
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
    config = json.loads(DEVORG_JSON.read_text())
    issuer = f"http://127.0.0.1:{port}"
    # The users log in to dealpulse with Salesforce through devorg's connected app: its
    # callback is dealpulse's at this port, its secret the web server flow's.
    cli_devorg.add_callback_url(
        DEVORG_DB, config["client_id"], f"{issuer}/oauth/salesforce/callback"
    )
    settings = settings.model_copy(update={
        "oauth_issuer": issuer,
        "sf_client_secret": SecretStr(config["client_secret"]),
        "access_token_ttl_seconds": DEMO_TOKEN_SECONDS,
    })  # fmt: skip
    devorg = cli_devorg.start_in_thread(DEVORG_DB, devorg_port)
    devorg_url = f"http://127.0.0.1:{devorg_port}"
    try:
        org_id = cli_sync.connect_devorg(settings, DEVORG_JSON)
        if not cli_sync.sync_orgs(settings, org_id, progress_bar()):
            raise SystemExit("the first sync of the devorg failed")
        users = config["users"]
        set_up_process(settings, org_id, users["admin"]["user_id"], console)
        graphql_url = f"{issuer}/graphql"
        engine = make_engine(settings.database_url)
        try:
            logins = {role: DemoUser(users[role]["username"], users[role]["password"])
                      for role in ROLES}  # fmt: skip
            credentials = demo_credentials(settings, engine, org_id, logins)
            # The org's date, as its validation rules see it (a day behind UTC's in the evening).
            zone = org_time_zone(Mirror(engine, org_id).time_zone())
            today = local_date(datetime.now(UTC), zone)
            quick_fix = quick_fix_example(engine, org_id, users["rep"]["user_id"], today)
        finally:
            engine.dispose()
        path = write_demo_json(graphql_url, devorg_url, credentials, issuer, quick_fix)
        tokens = credentials.tokens
        console.print(f"\nGraphQL API: {graphql_url}  (GraphiQL in a browser)")
        console.print(f"devorg:      {devorg_url}")
        console.print(
            f"OAuth:       {issuer} (the users logged in with Salesforce through devorg; tokens "
            f"valid {DEMO_TOKEN_SECONDS // 3600} h)"
        )
        for role in ROLES:
            console.print(f"token {role:8} {tokens[role]}", soft_wrap=True)
        console.print(
            f"partner client ({PARTNER_SCOPES}): {credentials.partner_id} "
            f"{credentials.partner_secret}  (client credentials at {issuer}/oauth/token)",
            soft_wrap=True, markup=False,
        )  # fmt: skip
        console.print(f"(also in {path})\n\nTry, as the rep:")
        examples = [("", EXAMPLE_QUERY), ("\nThe rep's to-do list:", TODO_QUERY)]
        if quick_fix is not None:
            examples.append(("\nFix the first item in one call (a quick-fix):", quick_fix))
        for title, query in examples:
            if title:
                console.print(title)
            console.print(
                f"curl -s {graphql_url} -H 'Authorization: Bearer {tokens['rep']}' "
                f"-H 'Content-Type: application/json' -d '{json.dumps({'query': query})}'",
                soft_wrap=True,
                markup=False,
            )
        cli_sync.serve(settings, "127.0.0.1", port)
    finally:
        devorg.should_exit = True
