"""The to-do list and quick-fix (issue 9): `todo(first: 20)` for a rep with 500+ items against
a static ceiling, the quickFix round trip with devorg's own time subtracted, and the
re-evaluation of one opportunity that a quick-fix runs, all in one run.

    .venv/bin/python bench/bench_todo.py [--opportunities 20000] [--seed 42] [--rep-open 1400]
        [--min-items 500] [--concurrency 1,8,32] [--seconds 10] [--warmup 2] [--fixes 30]
        [--single 20]

Set-up (not in the figures): a scratch copy of the seeded devorg (quick-fix writes to it; the
seed stays as it was for the other benches) in which the demo rep is handed other owners' open
deals until it owns --rep-open (see give_open_deals), served by `dealpulse devorg serve`; a
fresh SQLite mirror, synced in full through `OrgRefresher.refresh` and given the demo's sales
process (services.demo_process, as `dealpulse demo` and tests/api/write_api.py do: its rules,
milestones and imported validation rules, then a first evaluation). The rep must then have at
least --min-items to-do items (open deals with an OPEN fix-alert): 1,400 open deals give ~590.

1. `todo(first: 20)` (QUERY, every field an inline editor needs) over real HTTP to the app in its
   own uvicorn process (api_server.py graphql), closed loop at each concurrency as in
   bench_api.py; then a static Starlette endpoint answering the very bytes the API answered,
   from memory (api_server.py static): the ceiling. Ratios todo / ceiling per concurrency.
2. quickFix of NextStep with a fresh idempotency key, each on another of the rep's deals, one
   client, interleaved with the same two Salesforce calls made directly with `requests` on
   another deal: the conditional PATCH (If-Unmodified-Since) and the Composite read-back
   (salesforce.writes.read_back's own queries). Two payloads alternate (PAYLOADS: without and
   with remainingTodoCount), --fixes pairs each. Every quickFix is checked to be APPLIED in
   exactly 2 API calls (devorg's Sforce-Limit-Info). dealpulse's own time is the round trip
   minus devorg's, pair by pair.
3. With the server stopped, in this process: services.quick_fix.quick_fix on one opportunity
   at a time (--single) with the app's evaluator (OrgRefresher.evaluate, as api/app.py wires it
   into WriteContext.evaluate) wrapped in a timer: the re-evaluation step alone; and the facts
   refresh that quick-fix runs just before it, timed on the same opportunity afterwards.

About 2.5 minutes with the defaults (the sync is 45-55 s of it), plus ~15 s to seed the devorg
the first time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Collection, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlencode

import common
import httpx
import requests
from pydantic import SecretStr
from sqlalchemy import Engine, false
from sqlmodel import Session, col, select

from api.cli_sync import connect_devorg
from api.settings import Settings
from auth.credentials import Credentials
from auth.dev_tokens import issue_dev_token
from auth.principals import resolve_principal
from auth.visibility import AccessLevel
from rules.process import AuditOutcome
from salesforce.gateway import Gateway
from salesforce.writes import json_body, read_back, unmodified_since_header
from services.demo_process import set_up_demo_process
from services.evaluation import EvaluationReport
from services.orgs import OrgRefresher
from services.quick_fix import quick_fix
from services.refresh import refresh_facts
from services.write_settle import HISTORY_OVERLAP, FixRequest, WriteContext
from store.engine import make_engine
from store.mirror import Mirror
from store.models import Opportunity
from store.todo import todo_rows

QUERY = """{ todo(first: 20) { totalCount summary { total amount bySeverity { severity count } }
  edges { node { opportunity { id name amount lastModifiedAt }
    alerts { id message rule { name } }
    fixFields { name label type currentValue required length picklistValues { value label } }
    priority reasons } } } }"""
BODY = json.dumps({"query": QUERY}).encode()
QUICK_FIX = """mutation($input: QuickFixInput!) { quickFix(input: $input) {
  outcome errors { field message code } opportunity { id lastModifiedAt }
  resolvedAlerts { id }%s } }"""
# The payload a to-do editor needs, and the same with the list's new length: remainingTodoCount
# reads the caller's whole to-do list again (store.todo), which costs more than the write.
PAYLOADS = {"lean": QUICK_FIX % "", "count": QUICK_FIX % " remainingTodoCount"}
WARM_FIXES = 3  # quickFix round trips (and direct pairs) before the measured ones
LATE_STAGES = {"Proposal/Price Quote", "Negotiation/Review"}
TARGET_MS = 20.0


def timed(action: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    result = action()
    return result, time.perf_counter() - started


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f}"


# -- set-up ---------------------------------------------------------------------------------------
def give_open_deals(database: Path, rep_id: str, target: int) -> int:
    """Hand the rep other owners' open deals (lowest ids first) in the scratch org until it
    owns `target` open ones; how many it owns. Straight into devorg's SQLite before it serves:
    this shapes the seed (no seeded rep owns 500 deals with fix-alerts below about 100,000
    opportunities, too many to sync within the bench's few minutes), and through the API
    devorg's validation rules would refuse every deal already breaking one, many of those with
    fix-alerts."""
    with sqlite3.connect(database) as connection:
        (owned,) = connection.execute(
            "SELECT count(*) FROM Opportunity WHERE IsClosed = 0 AND OwnerId = ?", (rep_id,)
        ).fetchone()
        connection.execute(
            "UPDATE Opportunity SET OwnerId = ? WHERE Id IN (SELECT Id FROM Opportunity "
            "WHERE IsClosed = 0 AND IsDeleted = 0 AND OwnerId != ? ORDER BY Id LIMIT ?)",
            (rep_id, rep_id, max(0, target - owned)),
        )
        (owned,) = connection.execute(
            "SELECT count(*) FROM Opportunity WHERE IsClosed = 0 AND OwnerId = ?", (rep_id,)
        ).fetchone()
    connection.close()
    return int(owned)


def todo_items(engine: Engine, org_id: str, rep_id: str) -> int:
    """The rep's to-do items (open deals with an OPEN fix-alert), checked to be a rep's."""
    principal = resolve_principal(engine, Credentials(org_id, rep_id, 0))
    if principal.access is not AccessLevel.REP:
        raise RuntimeError(f"{rep_id} is not a rep but {principal.access}")
    return len(todo_rows(engine, principal.visibility, rep_id).rows)


def fixable(engine: Engine, org_id: str, owner_id: str) -> list[Opportunity]:
    """The owner's open deals a NextStep change can be saved on: devorg runs its validation
    rules (devorg/validation.py) on every update, so deals already breaking one are left out."""
    today = date.today().isoformat()
    query = select(Opportunity).where(
        col(Opportunity.org_id) == org_id,
        col(Opportunity.owner_id) == owner_id,
        col(Opportunity.is_closed) == false(),
        col(Opportunity.is_deleted) == false(),
    )
    with Session(engine) as session:
        deals = list(session.exec(query.order_by(col(Opportunity.id))).all())
    found = []
    for deal in deals:
        meeting = deal.fields.get("Next_Meeting_Date__c")
        late = deal.stage_name in LATE_STAGES
        if meeting is not None and meeting <= today:  # "today" may be tomorrow in devorg's zone
            continue
        if late and (deal.amount is None or not deal.fields.get("Decision_Maker__c")):
            continue
        found.append(deal)
    return found


# -- 1. todo --------------------------------------------------------------------------------------
def first_answer(endpoint: str, token: str, at_least: int) -> bytes:
    response = httpx.post(
        endpoint,
        content=BODY,
        timeout=60,
        headers={"authorization": f"Bearer {token}", "content-type": "application/json"},
    )
    body = response.json()
    if response.status_code != 200 or body.get("errors"):
        raise RuntimeError(f"bad answer {response.status_code}: {response.text[:500]}")
    todo = body["data"]["todo"]
    if todo["totalCount"] < at_least or len(todo["edges"]) != 20:
        raise RuntimeError(f"{todo['totalCount']} items, {len(todo['edges'])} edges")
    return response.content


def run_cells(label: str, endpoint: str, token: str, args: argparse.Namespace) -> list[Any]:
    results = []
    for concurrency in args.concurrency:
        print(f"{label} c={concurrency} ...", flush=True)
        cell = common.load(endpoint, token, BODY, concurrency, args.seconds, args.warmup)
        results.append(asyncio.run(cell))
    return results


# -- 2. quickFix and devorg's own time ------------------------------------------------------------
class Devorg:
    """devorg called directly with `requests` (keep-alive, as simple-salesforce's session),
    with the requests the gateway sends for a quick-fix of one record."""

    def __init__(self, config: dict[str, Any], describe: dict[str, Any]) -> None:
        self.config, self.describe = config, describe
        self.http = requests.Session()
        admin = config["users"]["admin"]
        token = self.http.post(
            f"{config['instance_url']}/services/oauth2/token",
            data={"grant_type": "password", "client_id": config["client_id"],
                  "client_secret": config["client_secret"], "username": admin["username"],
                  "password": admin["password"]},
            timeout=30,
        )  # fmt: skip
        token.raise_for_status()
        self.http.headers.update(
            {"Authorization": f"Bearer {token.json()['access_token']}",
             "Content-Type": "application/json", "X-PrettyPrint": "1"}
        )  # fmt: skip
        self.api = f"{config['instance_url']}/services/data/v{config['api_version']}"

    def reset_usage(self) -> None:
        common.reset_api_usage(self.config)

    def patch(self, deal: Opportunity, values: dict[str, object]) -> tuple[int, float]:
        """salesforce.writes.update_record's PATCH; the API usage it reports, and its time."""
        assert deal.last_modified_date is not None
        headers = {"If-Unmodified-Since": unmodified_since_header(deal.last_modified_date)}
        url = f"{self.api}/sobjects/Opportunity/{deal.id}"
        response, seconds = timed(
            lambda: self.http.patch(url, data=json_body(values), headers=headers, timeout=30)
        )
        if response.status_code != 204:
            raise RuntimeError(f"PATCH {deal.id}: {response.status_code} {response.text[:300]}")
        usage = response.headers["Sforce-Limit-Info"].split("=", 1)[1].split("/")[0]
        return int(usage), seconds

    def read_back(self, deal: Opportunity, values: dict[str, object]) -> float:
        """read_back's Composite call for one record (its queries, Gateway.first_pages' body)."""
        since = datetime.now(UTC) - HISTORY_OVERLAP
        queries = read_back_queries(self.describe, deal.id, since, self.config["api_version"])
        base = f"/services/data/v{self.config['api_version']}"
        body = {
            "allOrNone": False,
            "compositeRequest": [
                {"method": "GET", "url": f"{base}/{'queryAll' if deleted else 'query'}/?"
                 + urlencode({"q": soql}), "referenceId": f"q{number}"}
                for number, (soql, deleted) in enumerate(queries)
            ],
        }  # fmt: skip
        response, seconds = timed(
            lambda: self.http.post(f"{self.api}/composite", json=body, timeout=30)
        )
        response.raise_for_status()
        answers = response.json()["compositeResponse"]
        if any(int(a["httpStatusCode"]) >= 400 for a in answers):
            raise RuntimeError(f"read-back of {deal.id}: {answers}")
        (record,) = answers[0]["body"]["records"]
        if any(record[name] != value for name, value in values.items()):
            raise RuntimeError(f"read-back of {deal.id} does not hold {values}: {record}")
        return seconds


class _Queries(Exception):
    def __init__(self, queries: list[tuple[str, bool]]) -> None:
        super().__init__("captured")
        self.queries = queries


class _QueryRecorder:
    """Stands in for the Gateway in read_back: what it would send, without sending it."""

    def __init__(self, api_version: str) -> None:
        self.connection = type("Connection", (), {"api_version": api_version})()

    def first_pages(self, queries: Sequence[tuple[str, bool]], **_: object) -> list[Any]:
        raise _Queries(list(queries))


def read_back_queries(
    describe: dict[str, Any], opportunity_id: str, since: datetime, api_version: str
) -> list[tuple[str, bool]]:
    """The (soql, include_deleted) queries of salesforce.writes.read_back for one opportunity,
    exactly as it builds them (it is called, and stopped where it would send them)."""
    recorder = cast(Gateway, _QueryRecorder(api_version))
    try:
        read_back(recorder, cast(Mirror, None), describe, [opportunity_id], history_since=since)
    except _Queries as captured:
        return captured.queries
    raise AssertionError("read_back sent nothing")


def quick_fix_round_trips(
    endpoint: str, token: str, devorg: Devorg, deals: list[Opportunity], count: int
) -> dict[str, list[float]]:
    """`count` measured pairs per payload (alternating) after WARM_FIXES: a quickFix on one
    deal, then the same two calls directly on the next deal. Seconds per pair, by what was
    timed: the round trip and dealpulse's own time by payload, devorg's calls."""
    times: dict[str, list[float]] = {"patch": [], "read": []}
    for variant in PAYLOADS:
        times |= {f"round {variant}": [], f"own {variant}": []}
    headers = {"authorization": f"Bearer {token}"}
    variants = list(PAYLOADS)
    with httpx.Client(timeout=60) as client:
        for number in range(WARM_FIXES + len(PAYLOADS) * count):
            mine, theirs = deals[2 * number], deals[2 * number + 1]
            variant = variants[number % len(variants)]
            assert mine.last_modified_date is not None
            values: dict[str, object] = {"NextStep": f"bench step {number} {uuid.uuid4().hex[:8]}"}
            variables = {"input": {
                "opportunityId": mine.id, "values": values,
                "expectedLastModified": mine.last_modified_date.isoformat(),
                "idempotencyKey": str(uuid.uuid4()),
            }}  # fmt: skip
            request = {"query": PAYLOADS[variant], "variables": variables}
            devorg.reset_usage()
            response, round_trip = timed(
                lambda: client.post(endpoint, json=request, headers=headers)  # noqa: B023
            )
            body = response.json()
            if "errors" in body or body["data"]["quickFix"]["outcome"] != "APPLIED":
                raise RuntimeError(f"quickFix of {mine.id}: {body}")
            usage, patch = devorg.patch(theirs, values)
            if usage != 3:  # this PATCH is the third call since the reset
                raise RuntimeError(f"quickFix of {mine.id} made {usage - 1} API calls, not 2")
            read = devorg.read_back(theirs, values)
            if number >= WARM_FIXES:
                times["patch"].append(patch)
                times["read"].append(read)
                times[f"round {variant}"].append(round_trip)
                times[f"own {variant}"].append(round_trip - patch - read)
    return times


# -- 3. the re-evaluation a quick-fix runs --------------------------------------------------------
def evaluation_after_fix(
    engine: Engine, refresher: OrgRefresher, org_id: str, rep_id: str, deals: list[Opportunity]
) -> dict[str, list[float]]:
    """services.quick_fix.quick_fix on each deal with the app's evaluator, timed alone."""
    times: dict[str, list[float]] = {"evaluate": [], "facts": [], "fix": []}
    principal = resolve_principal(engine, Credentials(org_id, rep_id, 0))

    def evaluate(
        org_id: str,
        *,
        opportunity_ids: Collection[str] | None = None,
        rule_ids: Collection[str] | None = None,
        now: datetime | None = None,
    ) -> EvaluationReport:
        report, seconds = timed(lambda: refresher.evaluate(
            org_id, opportunity_ids=opportunity_ids, rule_ids=rule_ids, now=now))  # fmt: skip
        times["evaluate"].append(seconds)
        return cast(EvaluationReport, report)

    for number, deal in enumerate(deals):
        assert deal.last_modified_date is not None
        context = WriteContext(
            engine, principal, lambda: refresher.gateway(org_id), evaluate, datetime.now(UTC)
        )
        request = FixRequest(
            deal.id, {"NextStep": f"evaluated {number}"}, deal.last_modified_date, str(uuid.uuid4())
        )
        (outcome,), seconds = timed(lambda: quick_fix(context, [request]))  # noqa: B023
        if outcome.kind is not AuditOutcome.APPLIED:
            raise RuntimeError(f"quick_fix of {deal.id}: {outcome}")
        times["fix"].append(seconds)
        _, seconds = timed(lambda: refresh_facts(engine, org_id, [deal.id]))  # noqa: B023
        times["facts"].append(seconds)
    if len(times["evaluate"]) != len(deals):
        raise RuntimeError("quick_fix did not call its evaluator once per fix")
    return times


# -- report ---------------------------------------------------------------------------------------
def spread(seconds: Sequence[float]) -> list[str]:
    ordered = sorted(seconds)
    return [ms(statistics.median(ordered)), ms(common.percentile(ordered, 0.9)), ms(ordered[-1])]


def report(
    args: argparse.Namespace,
    setup: dict[str, Any],
    todo: list[Any],
    ceiling: list[Any],
    fixes: dict[str, list[float]],
    evaluation: dict[str, list[float]],
) -> None:
    print(f"\n{common.command_line()}")
    print(f"machine: {common.machine()}; server, devorg and load generator share the cores")
    print(f"devorg: {args.opportunities:,} opportunities (seed {args.seed}); " + setup["line"])
    print(f"{args.seconds:g} s per cell after {args.warmup:g} s of warm-up; closed loop\n")
    rows: list[list[object]] = []
    for label, cells in (("todo(first: 20)", todo), ("ceiling (static bytes)", ceiling)):
        for concurrency, r in zip(args.concurrency, cells, strict=True):
            rows.append([label, concurrency, r["requests"], f"{r['rps']:.1f}", f"{r['p50']:.1f}",
                         f"{r['p99']:.1f}", r["errors"]])  # fmt: skip
    print(common.table(["server", "clients", "requests", "req/s", "p50 (ms)", "p99 (ms)",
                        "errors"], rows))  # fmt: skip
    rows = [
        [c, f"{t['p50'] / r['p50']:.0f}x", f"{t['p99'] / r['p99']:.0f}x",
         f"{100 * t['rps'] / r['rps']:.1f} %"]
        for c, t, r in zip(args.concurrency, todo, ceiling, strict=True)
    ]  # fmt: skip
    print()
    print(common.table(["clients", "p50 todo / ceiling", "p99 todo / ceiling",
                        "req/s todo / ceiling"], rows))  # fmt: skip

    count = len(fixes["round lean"])
    rows = [
        ["quickFix round trip (GraphQL over HTTP, APPLIED, 2 API calls)",
         *spread(fixes["round lean"])],
        ["  the same selecting remainingTodoCount too", *spread(fixes["round count"])],
        ["devorg: conditional PATCH + Composite read-back (requests)",
         *spread([p + r for p, r in zip(fixes["patch"], fixes["read"], strict=True)])],
        ["  of which the PATCH", *spread(fixes["patch"])],
        ["  of which the Composite read-back", *spread(fixes["read"])],
        ["dealpulse's own: round trip - devorg, pair by pair", *spread(fixes["own lean"])],
        ["  the same selecting remainingTodoCount too", *spread(fixes["own count"])],
    ]  # fmt: skip
    print(f"\nquickFix, one client, {count} pairs per payload (alternating) after {WARM_FIXES} "
          "warm-up pairs; payload: outcome errors opportunity { id lastModifiedAt } "
          "resolvedAlerts { id }")  # fmt: skip
    print(common.table(["measure", "p50 (ms)", "p90 (ms)", "worst (ms)"], rows))

    evaluate = statistics.median(evaluation["evaluate"]) * 1000
    rows = [
        ["evaluate (OrgRefresher.evaluate of the fixed deal, in quick_fix)",
         *spread(evaluation["evaluate"]), f"{TARGET_MS:g} ms: "
         + ("met" if evaluate <= TARGET_MS else "missed")],
        ["facts refresh of the same deal (quick_fix runs it just before)",
         *spread(evaluation["facts"]), ""],
        ["the whole quick_fix in process (checks, 2 calls, read-back, both)",
         *spread(evaluation["fix"]), ""],
    ]  # fmt: skip
    print(f"\nre-evaluation after a quick-fix, {len(evaluation['evaluate'])} fixes, SQLite")
    print(common.table(["measure", "p50 (ms)", "p90 (ms)", "worst (ms)", "target"], rows))
    print(f"\nmachine after the run: {common.machine()}")


def prepare(
    args: argparse.Namespace, engine: Engine, refresher: OrgRefresher, config: dict[str, Any]
) -> dict[str, Any]:
    """The full sync and the demo's process; the rep, the deals to fix, a line to report."""
    org_id = config["org_id"]
    print("full sync and the demo's process ...", flush=True)
    _, synced = timed(lambda: refresher.refresh(org_id, "full"))
    admin = config["users"]["admin"]["user_id"]
    process, evaluated = timed(lambda: set_up_demo_process(
        engine, refresher.gateway(org_id), org_id, admin, datetime.now(UTC),
        evaluate=refresher.evaluate))  # fmt: skip
    rep_id = config["users"]["rep"]["user_id"]
    items = todo_items(engine, org_id, rep_id)
    if items < args.min_items:
        raise SystemExit(f"the rep has {items} to-do items, not {args.min_items}: raise --rep-open")
    deals = fixable(engine, org_id, rep_id)
    needed = 2 * (WARM_FIXES + len(PAYLOADS) * args.fixes) + args.single
    if len(deals) < needed:
        raise SystemExit(f"{len(deals)} fixable deals, {needed} needed")
    line = (
        f"sync {synced:.0f} s, demo process and first evaluation {evaluated:.0f} s "
        f"({process.evaluation.alerts_open:,} open alerts); the rep: {args.owned:,} open deals, "
        f"{items} to-do items"
    )
    print(line, flush=True)
    return {"deals": deals, "line": line}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--opportunities", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--rep-open", type=int, default=1400)
    parser.add_argument("--min-items", type=int, default=500)
    parser.add_argument("--concurrency", default="1,8,32")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--fixes", type=int, default=30)
    parser.add_argument("--single", type=int, default=20)
    args = parser.parse_args()
    args.concurrency = [int(c) for c in args.concurrency.split(",")]
    started = time.perf_counter()

    name = f"n{args.opportunities}-s{args.seed}"
    config_path = common.scratch_devorg(
        common.devorg_json(args.opportunities, args.seed), f"todo-devorg-{name}"
    )
    rep_id = json.loads(config_path.read_text())["users"]["rep"]["user_id"]
    args.owned = give_open_deals(config_path.with_name("devorg.sqlite3"), rep_id, args.rep_open)
    url = f"sqlite:///{common.CACHE / f'todo-mirror-{name}.sqlite3'}"
    common.recreate(url)
    settings = Settings(database_url=url, secret_key=SecretStr(common.SECRET_KEY))
    with common.devorg(config_path) as config:
        org_id = connect_devorg(settings, config_path)  # runs the migrations
        engine = make_engine(url)
        refresher = OrgRefresher(engine, settings)
        try:
            setup = prepare(args, engine, refresher, config)
            deals = setup["deals"]
            token = issue_dev_token(settings, org_id, rep_id)
            describe = Mirror(engine, org_id).load_catalog("Opportunity")
            assert describe is not None
            direct = Devorg(config, describe)
            with common.api_server("graphql", url) as endpoint:
                answer = first_answer(endpoint, token, args.min_items)
                todo = run_cells("todo", endpoint, token, args)
                print("quickFix round trips ...", flush=True)
                fixes = quick_fix_round_trips(endpoint, token, direct, deals, args.fixes)
            with tempfile.NamedTemporaryFile("wb", suffix=".json") as handle:
                handle.write(answer)
                handle.flush()
                with common.api_server("static", handle.name) as endpoint:
                    ceiling = run_cells("ceiling", endpoint, token, args)
            print("re-evaluation after a quick-fix ...", flush=True)
            rest = deals[2 * (WARM_FIXES + len(PAYLOADS) * args.fixes) :][: args.single]
            evaluation = evaluation_after_fix(engine, refresher, org_id, rep_id, rest)
        finally:
            refresher.close()
            engine.dispose()
    setup["line"] += f"; answer {len(answer):,} bytes; run {time.perf_counter() - started:.0f} s"
    report(args, setup, todo, ceiling, fixes, evaluation)


if __name__ == "__main__":
    main()
