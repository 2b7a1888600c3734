"""The org's severity weights over HTTP: anyone signed in reads them (the documented defaults
until an admin changes one); an admin's change is evaluated at once over every open deal's
health; bad input and non-admins get payload errors and change nothing."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine

from rules.process import Severity
from services.evaluation import evaluate_org
from store import alerts
from tests import factories as f
from tests import process_factories as pf
from tests.api.milestone_requests import DEAL
from tests.api.payloads import payload_of
from tests.graphql_client import graphql_client
from tests.services.evaluation_rows import describe

pytestmark = [pytest.mark.anyio, pytest.mark.sqlite_only]

WEIGHT = "severity weight isDefault"
READ = f"query {{ severityWeights {{ {WEIGHT} }} }}"
SET = f"""mutation($input: [SeverityWeightInput!]!) {{ setSeverityWeights(input: $input) {{
  severityWeights {{ {WEIGHT} }}
  errors {{ __typename field message ... on SeverityWeightError {{ code }} }} }} }}"""
DEFAULTS = [
    {"severity": "LOW", "weight": 2, "isDefault": True},
    {"severity": "MEDIUM", "weight": 5, "isDefault": True},
    {"severity": "HIGH", "weight": 10, "isDefault": True},
    {"severity": "CRITICAL", "weight": 20, "isDefault": True},
]


def stored(engine: Engine, org_id: str = f.ORG_A) -> dict[str, int]:
    return alerts.evaluation_settings(engine, org_id).severity_weights


async def test_anyone_signed_in_reads_the_defaults(store_engine: Engine) -> None:
    team = f.team(store_engine)
    async with graphql_client(store_engine) as client:
        for who in (team.reps[0], team.managers[0], team.admin):
            assert (await client.data(READ, as_user=who))["severityWeights"] == DEFAULTS


async def test_an_admins_weights_change_every_open_deals_health(store_engine: Engine) -> None:
    team = f.team(store_engine)
    f.team(store_engine, f.ORG_B)
    describe(store_engine)
    rep = team.reps[0]
    deals = [f.opportunity(store_engine, rep), f.opportunity(store_engine, team.reps[1])]
    high = pf.rule(store_engine, f.ORG_A)  # HIGH
    low = pf.rule(store_engine, f.ORG_A, name="No next step", severity=Severity.LOW)
    for deal in deals:
        pf.alert(store_engine, high, deal)
    pf.alert(store_engine, low, deals[0])
    evaluate_org(store_engine, f.ORG_A, rule_ids=())  # health with the defaults
    async with graphql_client(store_engine) as client:

        async def health(deal_id: str) -> dict[str, Any]:
            shown = await client.data(DEAL, {"id": deal_id}, as_user=rep)
            found = shown["opportunity"]["health"]
            return {"score": found["score"], "penalty": found["penalty"]}

        assert await health(deals[0].id) == {"score": 88, "penalty": 12}
        answer = await payload_of(
            client, SET, {"input": [{"severity": "HIGH", "weight": 15}]}, team.admin
        )
        assert answer["errors"] == []
        assert answer["severityWeights"] == [
            *DEFAULTS[:2], {"severity": "HIGH", "weight": 15, "isDefault": False}, DEFAULTS[3]
        ]  # fmt: skip
        assert await health(deals[0].id) == {"score": 83, "penalty": 17}
        shown = await client.data(DEAL, {"id": deals[1].id}, as_user=team.admin)
        assert shown["opportunity"]["health"]["breakdown"][1]["points"] == -15

        # Severities left out keep theirs; one set back to its default follows the default.
        answer = await payload_of(
            client, SET, {"input": [{"severity": "LOW", "weight": 0}]}, team.admin
        )
        assert [w["weight"] for w in answer["severityWeights"]] == [0, 5, 15, 20]
        assert await health(deals[0].id) == {"score": 85, "penalty": 15}
        answer = await payload_of(
            client, SET, {"input": [{"severity": "HIGH", "weight": 10}]}, team.admin
        )
        assert answer["severityWeights"][2] == DEFAULTS[2]
        assert stored(store_engine) == {"LOW": 0}
        read = (await client.data(READ, as_user=rep))["severityWeights"]
        assert read == [{"severity": "LOW", "weight": 0, "isDefault": False}, *DEFAULTS[1:]]
        assert await health(deals[0].id) == {"score": 90, "penalty": 10}
    assert stored(store_engine, f.ORG_B) == {}


@pytest.mark.parametrize(
    ("entries", "problems"),
    [
        (
            [{"severity": "HIGH", "weight": 15}, {"severity": "HIGH", "weight": 12}],
            [("input[1].severity", "DUPLICATE_SEVERITY")],
        ),
        ([{"severity": "LOW", "weight": -1}], [("input[0].weight", "INVALID_WEIGHT")]),
        (
            [{"severity": "MEDIUM", "weight": 3}, {"severity": "CRITICAL", "weight": 101}],
            [("input[1].weight", "INVALID_WEIGHT")],
        ),
    ],
)
async def test_bad_weights_save_nothing(
    store_engine: Engine, entries: list[dict[str, Any]], problems: list[tuple[str, str]]
) -> None:
    team = f.team(store_engine)
    alerts.set_severity_weights(store_engine, f.ORG_A, {Severity.HIGH: 7})
    async with graphql_client(store_engine) as client:
        answer = await payload_of(client, SET, {"input": entries}, team.admin)
    assert answer["severityWeights"] is None
    assert [(e["field"], e["code"]) for e in answer["errors"]] == problems
    assert {e["__typename"] for e in answer["errors"]} == {"SeverityWeightError"}
    assert stored(store_engine) == {"HIGH": 7}


async def test_reps_and_managers_may_not_set_weights(store_engine: Engine) -> None:
    team = f.team(store_engine)
    async with graphql_client(store_engine) as client:
        for who in (team.reps[0], team.managers[0], team.vp):
            answer = await payload_of(
                client, SET, {"input": [{"severity": "HIGH", "weight": 15}]}, who
            )
            assert answer["severityWeights"] is None
            [error] = answer["errors"]
            assert (error["code"], error["field"]) == ("FORBIDDEN", None)
        assert (await client.data(READ, as_user=team.admin))["severityWeights"] == DEFAULTS
    assert stored(store_engine) == {}
