"""Tenancy over the whole GraphQL schema (issue 10): two orgs hold records under the same ids,
names and owners, and GraphQL documents generated from schema/schema.graphql itself (every root
field each example, random field selections down nested relations, arguments drawn from both
orgs' ids and names) run as the shared administrator of org A never answer anything only org B
holds, nor the other way round, and never fail with INTERNAL_SERVER_ERROR; every mutation so
generated (naming the other org's ids too) leaves the other org's rows exactly as they were;
an evaluation in one org publishes nothing to the other's alertsChanged subscriber.

What "only the other org holds" means is computed from the rows themselves: every string value
of the other org's rows that appears in no row of the caller's org (B's names, messages and
notes say "B ...", its only-B ids, its org id, its time zone...). The store tests
(tests/store/test_tenancy*.py) cover both databases; this is the GraphQL edge, SQLite only."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
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
from auth.clients import register_client
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
from tests.store.test_tenancy import ACCOUNT, B_ONLY_DEAL, B_ONLY_USER, DEAL, TAG, TOP, USER
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
MAX_DEPTH = 4  # selection depth below a root field: the schema's limit is 10
TENANT_TABLES = [
    table for table in SQLModel.metadata.sorted_tables if "org_id" in table.columns
]  # every row of a tenant; org registry rows (`org`) are matched by their id


def _extra_rows(org: str) -> list[SQLModel]:
    """What the store tests' two orgs lack that the API reaches: audit entries and
    idempotency keys under shared ids, and (in B) a rule, milestone and alert A does not have."""
    tag = TAG[org]
    rows: list[SQLModel] = [
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


@dataclass(frozen=True)
class Orgs:
    engine: Engine
    client: GraphQLClient
    tokens: dict[str, str]
    # org -> an OAuth access token of a client of that org acting as no user (CLIENT: the
    # whole org, read-only), the other principal path (auth.bearer, client_principal)
    client_tokens: dict[str, str]
    markers: dict[str, set[str]]  # org -> strings only that org's rows hold
    snapshots: dict[str, list[str]]  # org -> its rows as seeded (org_rows)


@pytest.fixture
async def orgs(store_engine: Engine) -> AsyncIterator[Orgs]:
    """Both orgs seeded, and one client of the app for every example (anyio's pytest plugin
    runs a Hypothesis test's examples in the fixtures' event loop)."""
    seed(store_engine)
    markers = {A: only_in(store_engine, A, B), B: only_in(store_engine, B, A)}
    assert {B_ONLY_DEAL, B_ONLY_USER, B_ONLY_ALERT, "B deal", "B note", B} <= markers[B]
    assert all(opaque_id(i, prefix=i.split("_")[0]) for i in PROCESS_IDS)  # the API takes them
    assert {"A deal", "A note", A} <= markers[A]
    async with graphql_client(store_engine) as client:
        tokens = {org: issue_dev_token(client.settings, org, USER) for org in (A, B)}
        client_tokens = {}
        for org in (A, B):
            reader, _ = register_client(
                store_engine, org_id=org, name="BI", scopes=["pipeline:read", "alerts:read"]
            )
            client_tokens[org] = issue_access_token(
                store_engine, client.settings, subject=reader.client_id,
                client_id=reader.client_id, org_id=org, scopes=list(reader.scopes),
            )  # fmt: skip
        # the clients' rows are the org's too: snapshot after registering them
        snapshots = {org: org_rows(store_engine, org) for org in (A, B)}
        yield Orgs(store_engine, client, tokens, client_tokens, markers, snapshots)


# --- documents generated from the schema ------------------------------------------------------

SHARED_IDS = [A, B, USER, TOP, ACCOUNT, DEAL, RULE, MILESTONE, ALERT, INFO_RULE, INFO_ALERT, AUDIT]
ONLY_B_IDS = [B_ONLY_DEAL, B_ONLY_USER, B_ONLY_RULE, B_ONLY_MILESTONE, B_ONLY_ALERT]
IDS = [*SHARED_IDS, *ONLY_B_IDS, "006000000000003AAA", "not-an-id"]
NAMES = [
    f"{tag} {what}"
    for tag in ("A", "B")
    for what in ("deal", "account", "user", "rule", "milestone", "alert", "reps", "Prospecting")
] + ["B only", "Prospecting", "", "Amount > 0", "CloseDate < TODAY()", "%", "_"]
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


async def run(orgs: Orgs, org: str, query: str, *, as_client: bool = False) -> dict[str, Any]:
    token = orgs.client_tokens[org] if as_client else orgs.tokens[org]
    response = await orgs.client.post(query, token=token)
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
    max_examples=25,
    deadline=None,
    derandomize=True,
    # Each assertion names the one document that failed; shrinking examples of many
    # requests each takes minutes and would add little.
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
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
AS_EITHER = pytest.mark.parametrize(("org", "other"), [(A, B), (B, A)], ids=["as-A", "as-B"])


@AS_EITHER
@FAST
@given(queries=QUERIES)
async def test_no_generated_query_answers_the_other_orgs_records(
    orgs: Orgs, org: str, other: str, queries: dict[str, str]
) -> None:
    for query in queries.values():
        payload = await run(orgs, org, query)
        assert not leaked(orgs, other, payload.get("data"), query), query


@AS_EITHER
@FAST
@given(queries=QUERIES)
async def test_no_generated_query_of_an_oauth_client_answers_the_other_orgs_records(
    orgs: Orgs, org: str, other: str, queries: dict[str, str]
) -> None:
    """The same documents with an OAuth access token of a client acting as no user (it
    reads its whole org): none answers the other org's records."""
    me = await run(orgs, org, "{ me { accessLevel } opportunities { totalCount } }", as_client=True)
    assert me["data"]["me"] == {"accessLevel": "CLIENT"}  # the token is served, not refused
    assert me["data"]["opportunities"]["totalCount"] > 0
    for query in queries.values():
        payload = await run(orgs, org, query, as_client=True)
        assert not leaked(orgs, other, payload.get("data"), query), query


@AS_EITHER
@FAST
@given(mutations=MUTATIONS)
async def test_no_generated_mutation_answers_or_changes_the_other_orgs_records(
    orgs: Orgs, org: str, other: str, mutations: dict[str, str]
) -> None:
    """Mutations naming the other org's ids (and the shared ones) as the caller's admin: an
    id only the other org holds is not found (or not visible, or the payload's error), a shared
    one is the caller's own record; the other org's rows stay exactly as they were."""
    for mutation in mutations.values():
        payload = await run(orgs, org, mutation)
        assert not leaked(orgs, other, payload.get("data"), mutation), mutation
        assert org_rows(orgs.engine, other) == orgs.snapshots[other], mutation


async def test_the_generated_queries_reach_the_other_orgs_ids_and_would_see_a_leak(
    orgs: Orgs,
) -> None:
    """The check can fail: the same user asking its own org for the records only B holds gets
    them back (so a query naming them in A is a real probe), and `leaked` names them."""
    query = (
        f'{{ opportunity(id: "{B_ONLY_DEAL}") {{ id name owner {{ id name }} }} '
        "alerts(first: 50) { edges { node { id message } } } }"
    )
    as_b = (await run(orgs, B, query))["data"]
    assert as_b["opportunity"]["id"] == B_ONLY_DEAL
    assert {B_ONLY_DEAL, B_ONLY_USER, "B only", "B deal"} <= leaked(orgs, B, as_b)
    assert not leaked(orgs, B, (await run(orgs, A, query))["data"])


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
