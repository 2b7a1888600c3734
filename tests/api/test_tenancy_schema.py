"""Tenancy over the whole GraphQL schema (issue 10): two orgs hold records under the same ids,
names and owners, and GraphQL documents generated from schema/schema.graphql itself (every root
field each example, random field selections down nested relations, arguments drawn from both
orgs' ids and names) never answer anything only org B holds to org A, nor the other way round,
and never fail with INTERNAL_SERVER_ERROR, whoever runs them: the shared administrator, a
manager, a rep owning a deal of its own, a run-as client acting as that rep, or a client acting
as no user; every mutation so generated (naming the other org's ids too), by any of them but
the manager, leaves the other org's rows exactly as they were; an evaluation in one org
publishes nothing to the other's alertsChanged subscriber.

What "only the other org holds" means is computed from the rows themselves: every string value
of the other org's rows that appears in no row of the caller's org (B's names, messages and
notes say "B ...", its only-B ids, its org id, its time zone...); a mutation's answer may
quote what the caller sent and stored in its own org (a note "B deal"). The store tests
(tests/store/test_tenancy*.py) cover both databases; this is the GraphQL edge, SQLite only."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from anyio import from_thread, to_thread
from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLUnionType,
    Undefined,
    build_schema,
)
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, update
from sqlmodel import Session, SQLModel, col, select
from starlette.concurrency import run_in_threadpool
from websockets.asyncio.client import ClientConnection

from auth.access_tokens import issue_access_token
from auth.clients import RegisteredClient, register_client
from auth.dev_tokens import issue_dev_token
from resolvers.ids import opaque_id
from store.models import Opportunity, SfUser
from store.process_models import Alert, AlertRule, AlertRuleVersion, Milestone
from store.write_models import AuditEntry, IdempotencyKey
from tests import factories as f
from tests import process_factories as pf
from tests.api.alert_api import org_with_describe
from tests.api.subscriptions import changes, served, subscribed, subscribed_listening
from tests.graphql_client import GraphQLClient, graphql_client
from tests.store.test_tenancy import (
    ACCOUNT,
    B_ONLY_DEAL,
    B_ONLY_USER,
    DEAL,
    REP_ROLE,
    TAG,
    TOP,
    USER,
    _deal_rows,
)
from tests.store.test_tenancy_process import ALERT, MILESTONE, RULE, two_orgs_with_process

pytestmark = [pytest.mark.anyio, pytest.mark.sqlite_only]

A, B = f.ORG_A, f.ORG_B
SCHEMA: GraphQLSchema = build_schema(
    (Path(__file__).parents[2] / "schema" / "schema.graphql").read_text()
)
# Ids of the form the API takes (store.process_models.new_id), as test_tenancy_process's.
B_ONLY_RULE, B_ONLY_MILESTONE = "rule_bonly000000000000000", "ms_bonly000000000000000"
B_ONLY_ALERT = "alert_bonly000000000000000"
INFO_RULE, INFO_ALERT = "rule_infoshared0000000000", "alert_infoshared0000000000"
AUDIT, IDEMPOTENCY_KEY = "aud_shared00000000000000", "key_shared"
# The principals beyond the shared administrator, under the same ids in both orgs (the store
# tests' ids end in 1 and 2; 006000000000003AAA is the deal no org holds).
MANAGER, REP, REP_DEAL = "005000000000003AAA", "005000000000004AAA", "006000000000004AAA"
MAX_DEPTH = 4  # selection depth below a root field: the schema's limit is 10
TENANT_TABLES = [
    table for table in SQLModel.metadata.sorted_tables if "org_id" in table.columns
]  # every row of a tenant; org registry rows (`org`) are matched by their id


def _extra_rows(org: str) -> list[SQLModel]:
    """What the store tests' two orgs lack that the API reaches: a manager (role TOP) and a rep
    (role REP_ROLE) owning a deal of its own, audit entries and idempotency keys under shared
    ids, and (in B) a rule, milestone and alert A does not have."""
    tag = TAG[org]
    rows: list[SQLModel] = [
        SfUser(
            org_id=org, id=MANAGER, name=f"{tag} manager", username=f"{tag}.manager@x",
            user_role_id=TOP, profile_name="Standard User",
        ),
        SfUser(
            org_id=org, id=REP, name=f"{tag} rep", username=f"{tag}.rep@x",
            user_role_id=REP_ROLE, profile_name="Standard User",
        ),
        *_deal_rows(org, REP_DEAL, REP),  # type: ignore[list-item]
        AuditEntry(
            org_id=org, id=AUDIT, at=f.NOW, user_id=USER, action="QUICK_FIX",
            opportunity_id=DEAL, field="Name", old_value=f"{tag} old", new_value=f"{tag} new",
            outcome="APPLIED", connection=f"integration:{tag}@x",
        ),
        IdempotencyKey(
            org_id=org, user_id=USER, key=IDEMPOTENCY_KEY, action="quickFix",
            request_digest=f"{tag} digest", state="DONE", outcome={"said": f"{tag} outcome"},
            created_at=f.NOW, expires_at=f.NOW + timedelta(days=3650),
        ),
    ]  # fmt: skip
    informative = {
        "name": f"{tag} info rule", "kind": "INFORMATIVE", "severity": "LOW",
        "condition": "Amount > 0", "message": f"{tag} info message", "fix_fields": [],
    }  # fmt: skip
    # An informative alert under a shared id: dismissAlert and snoozeAlert reach it in both.
    rows += [
        AlertRule(org_id=org, id=INFO_RULE, version=1, **informative, created_at=f.NOW),
        AlertRuleVersion(org_id=org, rule_id=INFO_RULE, version=1, **informative),
        Alert(
            org_id=org, id=INFO_ALERT, rule_id=INFO_RULE, rule_version=1, opportunity_id=DEAL,
            status="OPEN", message=f"{tag} info alert", matched_since=f.NOW, opened_at=f.NOW,
        ),
    ]  # fmt: skip
    if org == B:
        definition = {
            "name": "B only rule", "kind": "INFORMATIVE", "severity": "LOW",
            "condition": "Amount > 0", "message": "B only message", "fix_fields": [],
        }  # fmt: skip
        rows += [
            AlertRule(org_id=B, id=B_ONLY_RULE, version=1, **definition, created_at=f.NOW),
            AlertRuleVersion(org_id=B, rule_id=B_ONLY_RULE, version=1, **definition),
            Milestone(org_id=B, id=B_ONLY_MILESTONE, name="B only milestone", position=1),
            Alert(
                org_id=B, id=B_ONLY_ALERT, rule_id=B_ONLY_RULE, rule_version=1,
                opportunity_id=B_ONLY_DEAL, status="OPEN", message="B only alert",
                matched_since=f.NOW, opened_at=f.NOW,
            ),
        ]  # fmt: skip
    return rows


def seed(engine: Engine) -> None:
    two_orgs_with_process(engine)
    f.add(engine, *_extra_rows(A), *_extra_rows(B))
    # The shared user administers both orgs: it sees every opportunity of its own org, so
    # whatever its answers lack is the org boundary's doing, not visibility's.
    with engine.begin() as connection:
        connection.execute(
            update(SfUser)
            .where(col(SfUser.id) == USER)
            .values(profile_name="System Administrator", email="user@example.com")
        )


NOT_A_MARKER = re.compile(r"[A-Z_]+|\d{4}-\d{2}-\d{2}.*")


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def org_strings(engine: Engine, org: str) -> set[str]:
    with Session(engine) as session:
        found = {org}
        for table in TENANT_TABLES:
            for row in session.execute(select(table).where(table.c.org_id == org)):
                found.update(_strings(list(row)))
        return found


def only_in(engine: Engine, org: str, other: str) -> set[str]:
    """The strings of `org`'s rows no row of `other` holds: an answer to `other` naming one of
    them crossed orgs. Short ones ("B"), enum names ("INFORMATIVE") and dates (B's field
    history moves to NOW's date) cannot say which org they came from."""
    return {
        text
        for text in org_strings(engine, org) - org_strings(engine, other)
        if len(text) >= 4 and not NOT_A_MARKER.fullmatch(text)
    }


def org_rows(engine: Engine, org: str) -> list[str]:
    """Every row of the org, as text, in a stable order: what must not change."""
    with Session(engine) as session:
        return sorted(
            f"{table.name} {list(row)!r}"
            for table in TENANT_TABLES
            for row in session.execute(select(table).where(table.c.org_id == org))
        )


# principal -> org -> what `me { accessLevel }` answers and how many opportunities it sees.
# B's role tree puts no role under TOP: there the manager has nobody below it, a rep owning
# nothing (a MANAGER in B would have read A's tree). "run-as" is an OAuth client acting as the
# rep (its token's subject the rep), "client" one acting as no user (the whole org).
SERVED_AS = {
    "admin": {A: ("ADMIN", 2), B: ("ADMIN", 3)},
    "manager": {A: ("MANAGER", 2), B: ("REP", 0)},
    "rep": {A: ("REP", 1), B: ("REP", 1)},
    "run-as": {A: ("REP", 1), B: ("REP", 1)},
    "client": {A: ("CLIENT", 2), B: ("CLIENT", 3)},
}
DEV_TOKEN_USERS = {"admin": USER, "manager": MANAGER, "rep": REP}
WRITES = ["pipeline:read", "alerts:read", "alerts:write", "opportunities:write"]


@dataclass(frozen=True)
class Orgs:
    engine: Engine
    client: GraphQLClient
    tokens: dict[tuple[str, str], str]  # (principal of SERVED_AS, org) -> its bearer token
    markers: dict[str, set[str]]  # org -> strings only that org's rows hold
    snapshots: dict[str, list[str]]  # org -> its rows as seeded (org_rows)


def _client_token(engine: Engine, client: GraphQLClient, registered: RegisteredClient) -> str:
    """An access token as the client credentials grant issues it (auth.oauth_server): its
    subject the client's run-as user, or the client itself when it acts as no user."""
    return issue_access_token(
        engine, client.settings, subject=registered.run_as_user_id or registered.client_id,
        client_id=registered.client_id, org_id=registered.org_id, scopes=list(registered.scopes),
    )  # fmt: skip


def _tokens(engine: Engine, client: GraphQLClient, org: str) -> dict[tuple[str, str], str]:
    """The org's token of every principal of SERVED_AS (registering its two clients)."""
    run_as, _ = register_client(
        engine, org_id=org, name="rep's BI", run_as_user_id=REP, scopes=WRITES
    )
    # acting as no user, it writes too (through the integration connection): its mutations
    # run, and are judged, as a user's
    reader, _ = register_client(engine, org_id=org, name="partner sync", scopes=WRITES)
    tokens = {
        (principal, org): issue_dev_token(client.settings, org, user)
        for principal, user in DEV_TOKEN_USERS.items()
    }
    tokens[("run-as", org)] = _client_token(engine, client, run_as)
    tokens[("client", org)] = _client_token(engine, client, reader)
    return tokens


@pytest.fixture
async def orgs(store_engine: Engine) -> AsyncIterator[Orgs]:
    """Both orgs seeded, and one client of the app for every example (each_example runs them
    in the fixtures' event loop)."""
    seed(store_engine)
    markers = {A: only_in(store_engine, A, B), B: only_in(store_engine, B, A)}
    assert {B_ONLY_DEAL, B_ONLY_USER, B_ONLY_ALERT, "B deal", "B note", B} <= markers[B]
    assert all(opaque_id(i, prefix=i.split("_")[0]) for i in PROCESS_IDS)  # the API takes them
    assert {"A deal", "A note", A} <= markers[A]
    async with graphql_client(store_engine) as client:
        tokens = _tokens(store_engine, client, A) | _tokens(store_engine, client, B)
        # the clients' rows are the org's too: snapshot after registering them
        snapshots = {org: org_rows(store_engine, org) for org in (A, B)}
        yield Orgs(store_engine, client, tokens, markers, snapshots)


# --- documents generated from the schema ------------------------------------------------------

SHARED_IDS = [
    A, B, USER, MANAGER, REP, TOP, ACCOUNT, DEAL, REP_DEAL, RULE, MILESTONE, ALERT, INFO_RULE,
    INFO_ALERT, AUDIT,
]  # fmt: skip
ONLY_B_IDS = [B_ONLY_DEAL, B_ONLY_USER, B_ONLY_RULE, B_ONLY_MILESTONE, B_ONLY_ALERT]
IDS = [*SHARED_IDS, *ONLY_B_IDS, "006000000000003AAA", "not-an-id"]
NAMED = [
    "deal", "account", "user", "manager", "rep", "rule", "milestone", "alert", "reps",
    "Prospecting",
]  # fmt: skip
NAMES = [f"{tag} {what}" for tag in ("A", "B") for what in NAMED] + [
    "B only", "Prospecting", "", "Amount > 0", "CloseDate < TODAY()", "%", "_",
]  # fmt: skip
SCALARS: dict[str, st.SearchStrategy[Any]] = {
    "ID": st.sampled_from(IDS),
    "String": st.sampled_from(NAMES + IDS),
    "Int": st.sampled_from([0, 1, 2, 3, 50, 200, -1]),
    "Float": st.sampled_from([0.0, 0.5, 1.0, 2.5]),
    "Boolean": st.booleans(),
    "Date": st.sampled_from(["2026-01-01", "2026-06-30", "2027-12-31"]),
    "DateTime": st.sampled_from(["2026-03-01T12:00:00Z", "2030-01-01T00:00:00Z"]),
    "Decimal": st.sampled_from(["0", "100.00", "200.00", "1000000"]),
    "JSON": st.sampled_from([None, "B deal", 200, {"Name": "B deal"}]),
}


def _literal(value: Any) -> str:
    """A GraphQL literal of a JSON-like value (enums come wrapped in _Enum)."""
    if isinstance(value, _Enum):
        return value.name
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_literal(item) for item in value) + "]"
    return "{" + ", ".join(f"{key}: {_literal(item)}" for key, item in value.items()) + "}"


@dataclass(frozen=True)
class _Enum:
    name: str


SALESFORCE_IDS = [i for i in IDS if len(i) == 18]
PROCESS_IDS = [
    RULE, MILESTONE, ALERT, INFO_RULE, INFO_ALERT, B_ONLY_RULE, B_ONLY_MILESTONE, B_ONLY_ALERT,
]  # fmt: skip


def _ids(name: str) -> st.SearchStrategy[Any]:
    """Ids for an argument called `name` ("alertId", or "updateAlertRule id" for a root
    field's): of the kind it names, as any other is INVALID_ID before any query runs."""
    lowered = name.lower()
    kinds = [
        ("opportunit", [i for i in SALESFORCE_IDS if i.startswith("006")]),
        ("owner", [i for i in SALESFORCE_IDS if i.startswith("005")]),
        ("user", [i for i in SALESFORCE_IDS if i.startswith("005")]),
        ("milestone", [i for i in PROCESS_IDS if i.startswith("ms_")]),
        ("rule", [i for i in PROCESS_IDS if i.startswith("rule_")]),
        ("alert", [i for i in PROCESS_IDS if i.startswith("alert_")]),
    ]
    for word, ids in kinds:
        if word in lowered:
            return st.sampled_from(ids)
    return st.sampled_from(PROCESS_IDS + SALESFORCE_IDS)


def input_value(kind: GraphQLInputType, depth: int = 0, name: str = "") -> st.SearchStrategy[Any]:
    if isinstance(kind, GraphQLNonNull):
        return input_value(kind.of_type, depth, name)
    if isinstance(kind, GraphQLList):
        return st.lists(input_value(kind.of_type, depth, name), max_size=3)
    if isinstance(kind, GraphQLScalarType) and kind.name == "ID":
        return _ids(name)
    if isinstance(kind, GraphQLEnumType):
        return st.sampled_from([_Enum(name) for name in kind.values])
    if isinstance(kind, GraphQLScalarType):
        return SCALARS[kind.name]
    assert isinstance(kind, GraphQLInputObjectType)
    return input_object(kind, depth)


@st.composite
def input_object(draw: st.DrawFn, kind: GraphQLInputObjectType, depth: int) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, field in kind.fields.items():
        required = isinstance(field.type, GraphQLNonNull) and field.default_value is Undefined
        if required or (depth < 3 and draw(st.booleans())):
            values[name] = draw(input_value(field.type, depth + 1, name))
    return values


@st.composite
def arguments(draw: st.DrawFn, field: GraphQLField, field_name: str) -> str:
    chosen = []
    for name, argument in field.args.items():
        required = isinstance(argument.type, GraphQLNonNull) and argument.default_value is Undefined
        # A cursor is opaque: a drawn string is only ever INVALID_CURSOR.
        if required or (name != "after" and draw(st.booleans())):
            value = draw(input_value(argument.type, name=f"{field_name} {name}"))
            chosen.append(f"{name}: {_literal(value)}")
    return f"({', '.join(chosen)})" if chosen else ""


def _named(kind: Any) -> GraphQLNamedType:
    while isinstance(kind, GraphQLNonNull | GraphQLList):
        kind = kind.of_type
    named: GraphQLNamedType = kind
    return named


@st.composite
def selection(draw: st.DrawFn, kind: GraphQLNamedType, depth: int) -> str:
    """A selection set on `kind`: a random non-empty set of its fields, each with random
    arguments, composite ones recursed into (only leaves once MAX_DEPTH is reached)."""
    if isinstance(kind, GraphQLUnionType | GraphQLInterfaceType):
        possible = (
            kind.types if isinstance(kind, GraphQLUnionType) else SCHEMA.get_possible_types(kind)
        )
        fragments = [
            f"... on {member.name} {draw(selection(member, depth))}"
            for member in draw(st.lists(st.sampled_from(possible), min_size=1, max_size=3))
        ]
        return "{ __typename " + " ".join(fragments) + " }"
    assert isinstance(kind, GraphQLObjectType)
    fields = kind.fields
    leaves = [name for name, field in fields.items() if _is_leaf(field)]
    candidates = list(fields) if depth < MAX_DEPTH else leaves
    names = draw(
        st.lists(st.sampled_from(candidates or ["__typename"]), min_size=1, max_size=6, unique=True)
    )
    parts = []
    for name in names:
        if name == "__typename":
            parts.append(name)
            continue
        field = fields[name]
        text = f"{name}{draw(arguments(field, name))}"
        if not _is_leaf(field):
            text += " " + draw(selection(_named(field.type), depth + 1))
        parts.append(text)
    return "{ " + " ".join(parts) + " }"


def _is_leaf(field: GraphQLField) -> bool:
    return isinstance(_named(field.type), GraphQLScalarType | GraphQLEnumType)


@st.composite
def document(draw: st.DrawFn, root: GraphQLObjectType, keyword: str, first: str, most: int) -> str:
    """A document whose first root field is `first`, then up to `most - 1` random others."""
    others = st.lists(st.sampled_from(sorted(root.fields)), max_size=most - 1)
    names = [first, *draw(others)]
    parts = []
    for index, name in enumerate(names):
        field = root.fields[name]
        text = f"r{index}: {name}{draw(arguments(field, name))}"
        if not _is_leaf(field):
            text += " " + draw(selection(_named(field.type), 1))
        parts.append(text)
    return f"{keyword} {{ " + " ".join(parts) + " }"


# --- the checks ---------------------------------------------------------------------------------


async def run(orgs: Orgs, principal: str, org: str, query: str) -> dict[str, Any]:
    response = await orgs.client.post(query, token=orgs.tokens[principal, org])
    assert response.status_code < 500, (query, response.text)
    payload: dict[str, Any] = response.json()
    for error in payload.get("errors") or []:
        code = (error.get("extensions") or {}).get("code")
        assert code != "INTERNAL_SERVER_ERROR", (query, error)
    return payload


def _leaves(value: Any, key: str = "") -> Iterator[tuple[str, str]]:
    """(the key it is under, the string) for every string of an answer."""
    if isinstance(value, str):
        yield key, value
    elif isinstance(value, dict):
        for name, item in value.items():
            yield from _leaves(item, name)
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item, key)


# Answer fields that may quote what the caller sent: a payload error's message (`condition:
# "B deal"` is a bad formula) and QuickFixResult.opportunityId (the input's, echoed so each
# result can be matched to its input). Anywhere else, quoting the other org is a leak.
ECHOES = {"message", "opportunityId"}


def leaked(orgs: Orgs, other: str, answer: Any, query: str = "") -> set[str]:
    """The other org's markers the answer holds, in any string anywhere in it (but echoes)."""
    return {
        marker
        for key, text in _leaves(answer)
        for marker in orgs.markers[other]
        if marker in text and not (key in ECHOES and marker in query)
    }


FAST = settings(
    deadline=None,
    derandomize=True,
    # Each assertion names the one document that failed; shrinking examples of many
    # requests each takes minutes and would add little.
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow],
)


# Each example draws one document for every root field (so each is reached whatever
# Hypothesis draws): a query on it beside up to two random others; a mutation alone, as each
# is judged by what it changed.
assert SCHEMA.query_type is not None
assert SCHEMA.mutation_type is not None
QUERIES = st.fixed_dictionaries(
    {root: document(SCHEMA.query_type, "query", root, most=3) for root in SCHEMA.query_type.fields}
)
MUTATIONS = st.fixed_dictionaries(
    {
        root: document(SCHEMA.mutation_type, "mutation", root, most=1)
        for root in SCHEMA.mutation_type.fields
    }
)


def as_each(*principals: str) -> pytest.MarkDecorator:
    """Parametrize over each principal in each org (`other` the org it must not reach)."""
    return pytest.mark.parametrize(
        ("principal", "org", "other"),
        [
            pytest.param(principal, org, other, id=f"{principal}-in-{TAG[org]}")
            for principal in principals
            for org, other in ((A, B), (B, A))
        ],
    )


async def served_as(orgs: Orgs, principal: str, org: str) -> None:
    """The token is served (not refused) as the principal it stands for."""
    me = await run(orgs, principal, org, "{ me { accessLevel } opportunities { totalCount } }")
    level, seen = SERVED_AS[principal][org]
    assert me["data"] == {"me": {"accessLevel": level}, "opportunities": {"totalCount": seen}}


# Examples of a generated run: the runs this file first had (the admin's, and the client's
# queries) keep MANY; the others draw the first FEW of the same documents (derandomized), so
# that `make test` stays under a minute (each example is a request for every root field).
MANY, FEW = 25, 6


async def each_example(
    documents: st.SearchStrategy[dict[str, str]],
    examples: int,
    check: Callable[[dict[str, str]], Coroutine[Any, Any, None]],
) -> None:
    """Await `check` on `examples` draws of `documents`, each in the fixtures' event loop.
    Hypothesis's settings are a test function's, the same for all its parametrized cases: so
    the @given test is made here, with its own max_examples. It is run in a worker thread
    (Hypothesis runs a synchronous test), which hands each example back to the loop."""

    @settings(FAST, max_examples=examples)
    @given(documents)
    def run_examples(drawn: dict[str, str]) -> None:
        from_thread.run(check, drawn)

    await to_thread.run_sync(run_examples)


@as_each(*SERVED_AS)
async def test_no_generated_query_answers_the_other_orgs_records(
    orgs: Orgs, principal: str, org: str, other: str
) -> None:
    await served_as(orgs, principal, org)

    async def check(queries: dict[str, str]) -> None:
        for query in queries.values():
            payload = await run(orgs, principal, org, query)
            assert not leaked(orgs, other, payload.get("data"), query), query

    await each_example(QUERIES, MANY if principal in {"admin", "client"} else FEW, check)


# Not the manager: it writes as a user without an administrator's profile, as the rep does
# (and in B it is one).
@as_each("admin", "rep", "run-as", "client")
async def test_no_generated_mutation_answers_or_changes_the_other_orgs_records(
    orgs: Orgs, principal: str, org: str, other: str
) -> None:
    """Mutations naming the other org's ids (and the shared ones): an id only the other org
    holds is not found (or not visible, or the payload's error), a shared one is the caller's
    own record; the other org's rows stay exactly as they were."""
    await served_as(orgs, principal, org)

    async def check(mutations: dict[str, str]) -> None:
        for mutation in mutations.values():
            payload = await run(orgs, principal, org, mutation)
            found = leaked(orgs, other, payload.get("data"), mutation)
            # What the caller wrote is its org's own (a milestone it named "B deal", a
            # note): a leak is what the caller did not send, or what only the other org's
            # rows hold even now.
            own = org_strings(orgs.engine, org) if found else set()
            assert not {m for m in found if m not in mutation or m not in own}, mutation
            assert org_rows(orgs.engine, other) == orgs.snapshots[other], mutation

    await each_example(MUTATIONS, MANY if principal == "admin" else FEW, check)


async def test_the_generated_queries_reach_the_other_orgs_ids_and_would_see_a_leak(
    orgs: Orgs,
) -> None:
    """The check can fail: the same user asking its own org for the records only B holds gets
    them back (so a query naming them in A is a real probe), and `leaked` names them."""
    query = (
        f'{{ opportunity(id: "{B_ONLY_DEAL}") {{ id name owner {{ id name }} }} '
        "alerts(first: 50) { edges { node { id message } } } }"
    )
    as_b = (await run(orgs, "admin", B, query))["data"]
    assert as_b["opportunity"]["id"] == B_ONLY_DEAL
    assert {B_ONLY_DEAL, B_ONLY_USER, "B only", "B deal"} <= leaked(orgs, B, as_b)
    assert not leaked(orgs, B, (await run(orgs, "admin", A, query))["data"])


@pytest.mark.parametrize("principal", ["rep", "run-as"])
async def test_a_reps_generated_queries_reach_its_own_deal_and_would_see_a_leak(
    orgs: Orgs, principal: str
) -> None:
    """The rep (and its run-as client) sees its own deal, under the shared id the generated
    arguments name, as its org holds it: its queries are a probe, not empty answers."""
    query = f'{{ opportunity(id: "{REP_DEAL}") {{ name owner {{ name }} }} }}'
    as_b = (await run(orgs, principal, B, query))["data"]
    assert as_b == {"opportunity": {"name": "B deal", "owner": {"name": "B rep"}}}
    assert {"B deal", "B rep"} <= leaked(orgs, B, as_b)
    as_a = (await run(orgs, principal, A, query))["data"]
    assert as_a == {"opportunity": {"name": "A deal", "owner": {"name": "A rep"}}}


# --- the subscription ---------------------------------------------------------------------------


def _subscription_orgs(engine: Engine) -> dict[str, SfUser]:
    """Both orgs with a describe and a past-due rule, the same administrator (id and name but
    for its org's letter) owning the same past-due deal; B also owns a deal A has not."""
    admins = {}
    for org in (A, B):
        org_with_describe(engine, org)
        tag = TAG[org]
        admins[org] = SfUser(
            org_id=org, id=USER, name=f"{tag} user", username=f"{tag}@x",
            profile_name="System Administrator",
        )  # fmt: skip
        deals = [DEAL, B_ONLY_DEAL] if org == B else [DEAL]
        f.add(engine, admins[org], *(_past_due(org, deal) for deal in deals))
        pf.rule(engine, org)
    return admins


def _past_due(org: str, deal: str) -> Opportunity:
    return Opportunity(
        org_id=org, id=deal, name=f"{TAG[org]} deal {deal[-4:]}", owner_id=USER,
        stage_name="Prospecting", amount=1000, close_date=date(2026, 2, 1), is_closed=False,
        is_won=False, created_date=f.NOW, last_modified_date=f.NOW,
        fields={"Id": deal, "StageName": "Prospecting", "CloseDate": "2026-02-01"},
    )  # fmt: skip


async def _nothing_more(ws: ClientConnection) -> None:
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(ws.recv(), timeout=0.5)


async def test_an_evaluation_in_one_org_publishes_nothing_to_the_others_subscribers(
    store_engine: Engine,
) -> None:
    admins = _subscription_orgs(store_engine)
    with served(store_engine) as api:
        async with subscribed(api, admins[A]) as ws_a, subscribed(api, admins[B]) as ws_b:
            await subscribed_listening(api, A)
            await subscribed_listening(api, B)
            report = await run_in_threadpool(api.refresher.evaluate, B, now=f.NOW)
            assert report.alerts_opened == 2, report
            opened = await changes(ws_b, 2)
            assert {c["opportunity"]["name"] for c in opened} == {
                f"B deal {DEAL[-4:]}",
                f"B deal {B_ONLY_DEAL[-4:]}",
            }
            await _nothing_more(ws_a)  # B's evaluation told A's admin nothing
            report = await run_in_threadpool(api.refresher.evaluate, A, now=f.NOW)
            assert report.alerts_opened == 1, report
            [mine] = await changes(ws_a, 1)
            assert mine["opportunity"] == {"id": DEAL, "name": f"A deal {DEAL[-4:]}"}
            await _nothing_more(ws_b)
