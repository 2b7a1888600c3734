"""Talk GraphQL over HTTP to `create_app(...)` in process (httpx + ASGITransport)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import Engine
from starlette.applications import Starlette
from strawberry.schema.base import BaseSchema

from api.app import create_app
from api.settings import Settings
from auth.dev_tokens import issue_dev_token
from services.evaluation import Evaluate
from services.freshness import SyncOrg
from store.models import SfUser

SECRET = "test-secret-key-of-sufficient-length-0123456789"
JSON = "application/json"
GRAPHQL_RESPONSE = "application/graphql-response+json"


def make_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": "sqlite://",
        "secret_key": SECRET,
        "staleness_seconds": 10**9,  # tests about freshness lower it
        # A request-time sync is waited for (on a loaded machine too); deadline tests lower it.
        "request_sync_deadline_seconds": 600,
        "dev_tokens": True,  # the tests' principals come from development tokens
        # Tests send many requests as one principal in a burst; tests/api/test_rate_limits.py
        # turns the limits on.
        "rate_limit_per_second": 0,
    }
    return Settings(**{**values, **overrides})


@dataclass
class GraphQLClient:
    http: httpx.AsyncClient
    app: Starlette
    settings: Settings

    def token_for(self, user: SfUser) -> str:
        return issue_dev_token(self.settings, user.org_id, user.id)

    def headers_for(self, user: SfUser, **headers: str) -> dict[str, str]:
        """`Authorization: Bearer` for `user`, plus `headers` (underscores become dashes)."""
        extra = {name.replace("_", "-"): value for name, value in headers.items()}
        return {"authorization": f"Bearer {self.token_for(user)}", **extra}

    async def post(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        as_user: SfUser | None = None,
        token: str | None = None,
        accept: str = JSON,
    ) -> httpx.Response:
        headers = {"accept": accept}
        bearer = token if token is not None else (self.token_for(as_user) if as_user else None)
        if bearer is not None:
            headers["authorization"] = f"Bearer {bearer}"
        body: dict[str, Any] = {"query": query}
        if variables is not None:
            body["variables"] = variables
        return await self.http.post("/graphql", json=body, headers=headers)

    async def data(
        self, query: str, variables: dict[str, Any] | None = None, *, as_user: SfUser
    ) -> dict[str, Any]:
        """The `data` of a query that must succeed with no errors."""
        response = await self.post(query, variables, as_user=as_user)
        assert response.status_code == 200, response.text
        payload = response.json()
        assert "errors" not in payload, payload["errors"]
        data: dict[str, Any] = payload["data"]
        return data


@asynccontextmanager
async def graphql_client(
    engine: Engine,
    *,
    sync_org: SyncOrg | None = None,
    schema: BaseSchema | None = None,
    evaluate: Evaluate | None = None,
    **settings: Any,
) -> AsyncIterator[GraphQLClient]:
    """A client of the real app on `engine`; `schema` replaces the API's (a test schema),
    `evaluate` the evaluation pass a write runs."""
    configured = make_settings(**settings)
    app = create_app(configured, engine=engine, sync_org=sync_org, schema=schema, evaluate=evaluate)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield GraphQLClient(http=http, app=app, settings=configured)
    # httpx's ASGITransport runs no lifespan: close what it would have (a Redis connection
    # left to the garbage collector is finalised at a random moment, and CPython 3.11.7 then
    # fails whatever ast.parse it interrupts with "AST constructor recursion depth mismatch")
    if app.state.rate_limits is not None:
        await app.state.rate_limits.close()
