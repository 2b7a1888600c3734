"""Scopes (issue 10): every root field declares the scope it needs; a token without it is
refused with INSUFFICIENT_SCOPE naming the scope (top-level on a query, in the payload of a
mutation) and nothing runs; a user's token never carries more than its profile allows."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine
from strawberry.permission import PermissionExtension
from strawberry.types.base import get_object_definition

from auth.dev_tokens import issue_dev_token
from auth.permissions import HasScope
from schema.mutation import Mutation
from schema.query import Query
from schema.subscription import Subscription
from tests import factories as f
from tests.graphql_client import graphql_client

pytestmark = [pytest.mark.anyio, pytest.mark.sqlite_only]

EVERY_SCOPE = ["pipeline:read", "alerts:read", "alerts:write", "opportunities:write", "admin"]


def _declared_scopes(root: type) -> dict[str, set[str]]:
    definition = get_object_definition(root, strict=True)
    found: dict[str, set[str]] = {}
    for field in definition.fields:
        scopes = {
            permission.scope.value
            for extension in field.extensions
            if isinstance(extension, PermissionExtension)
            for permission in extension.permissions
            if isinstance(permission, HasScope)
        }
        found[field.python_name] = scopes
    return found


def test_every_root_field_declares_its_scope_but_me() -> None:
    declared = {**_declared_scopes(Query), **_declared_scopes(Mutation),
                **_declared_scopes(Subscription)}  # fmt: skip
    missing = sorted(name for name, scopes in declared.items() if not scopes and name != "me")
    assert missing == []
    assert declared["me"] == set()
    assert declared["todo"] == declared["alerts_changed"] == {"alerts:read"}
    assert declared["opportunities"] == {"pipeline:read"}
    assert declared["quick_fix"] == declared["quick_fix_many"] == {"opportunities:write"}
    assert declared["snooze_alert"] == declared["check_in"] == {"alerts:write"}
    assert declared["create_alert_rule"] == declared["set_severity_weights"] == {"admin"}
    assert len(declared) > 25  # every root field was found


async def _post(engine: Engine, token: str, document: str) -> dict[str, Any]:
    async with graphql_client(engine) as client:
        response = await client.post(document, token=token)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_token_without_the_scope_is_refused_and_names_it(store_engine: Engine) -> None:
    team = f.team(store_engine)
    rep = team.reps[0]
    f.opportunity(store_engine, rep)
    async with graphql_client(store_engine) as client:
        token = issue_dev_token(client.settings, f.ORG_A, rep.id, scopes=["pipeline:read"])
    me = await _post(store_engine, token, "{ me { scopes } opportunities { totalCount } }")
    assert me["data"] == {"me": {"scopes": ["pipeline:read"]}, "opportunities": {"totalCount": 1}}
    refused = await _post(store_engine, token, "{ todo { totalCount } }")
    [error] = refused["errors"]
    assert error["extensions"] == {"code": "INSUFFICIENT_SCOPE", "scope": "alerts:read"}
    assert "alerts:read" in error["message"]
    assert refused["data"] is None


async def test_a_users_token_carries_no_more_than_its_profile(store_engine: Engine) -> None:
    team = f.team(store_engine)
    async with graphql_client(store_engine) as client:
        rep_asks_all = issue_dev_token(
            client.settings, f.ORG_A, team.reps[0].id, scopes=EVERY_SCOPE
        )
        admin_default = issue_dev_token(client.settings, f.ORG_A, team.admin.id)
        rep_default = issue_dev_token(client.settings, f.ORG_A, team.reps[0].id)
    for token, expected in [(rep_asks_all, EVERY_SCOPE[:-1]), (rep_default, EVERY_SCOPE[:-1]),
                            (admin_default, EVERY_SCOPE)]:  # fmt: skip
        answer = await _post(store_engine, token, "{ me { scopes } }")
        assert answer["data"]["me"]["scopes"] == expected


async def test_an_admin_mutation_without_the_admin_scope_changes_nothing(
    store_engine: Engine,
) -> None:
    team = f.team(store_engine)
    async with graphql_client(store_engine) as client:
        token = issue_dev_token(
            client.settings, f.ORG_A, team.admin.id, scopes=["pipeline:read", "alerts:read"]
        )
    create = """mutation { createAlertRule(input: {name: "No scope", kind: INFORMATIVE,
      severity: LOW, condition: "Amount > 1", message: "m"}) {
      alertRule { id } errors { code message } } }"""
    answer = await _post(store_engine, token, create)
    payload = answer["data"]["createAlertRule"]
    assert payload["alertRule"] is None
    assert [e["code"] for e in payload["errors"]] == ["INSUFFICIENT_SCOPE"]
    rules = await _post(store_engine, token, "{ alertRules { id } }")
    assert rules["data"] == {"alertRules": []}
