"""No token, secret or password in an answer or a log line on the failure paths where one could
slip in (issue 10, Evidence). Each test asserts on the answer (or the error) itself; the logs are
searched by the suite-wide guard (tests/secret_guard.py) for every secret registered here, and
by each test's own caplog search too, so that this module says what it checks on its own."""

from __future__ import annotations

import base64
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from api.app import create_app
from auth.access_tokens import issue_access_token
from auth.clients import register_client
from salesforce.devorg_transport import DevorgSession
from salesforce.errors import GatewayError, SalesforceAuthError
from salesforce.gateway import RetryPolicy
from salesforce.login import OrgConnection, session_for
from services.orgs import OrgRefresher
from tests import factories as f
from tests.cli import run_dealpulse
from tests.devorg_server import RunningDevorg
from tests.graphql_client import SECRET, make_settings
from tests.secret_guard import HOOKS, register_secret

pytestmark = [pytest.mark.anyio]
BASE = "https://dealpulse.test"


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    return caplog


def assert_absent(secrets: list[str], *texts: str) -> None:
    for secret in secrets:
        for text in texts:
            assert secret not in text, f"{secret[:4]}… leaked"


@asynccontextmanager
async def oauth_http(engine: Engine) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(make_settings(oauth_issuer=BASE), engine=engine)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE, event_hooks=HOOKS) as http:
        yield http


def basic(client_id: str, secret: str) -> dict[str, str]:
    return {"authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


@pytest.fixture
def partner(store_engine: Engine) -> tuple[str, str]:
    f.org(store_engine)
    client, secret = register_client(
        store_engine, org_id=f.ORG_A, name="BI tool", scopes=["pipeline:read"]
    )
    assert secret is not None
    return client.client_id, secret


@pytest.mark.sqlite_only
async def test_a_wrong_client_secret_is_in_neither_the_answer_nor_the_logs(
    store_engine: Engine, partner: tuple[str, str], logs: pytest.LogCaptureFixture
) -> None:
    client_id, secret = partner
    wrong = secret[::-1]
    register_secret(wrong)  # what a client presented is a secret too, right or wrong
    grant = {"grant_type": "client_credentials"}
    async with oauth_http(store_engine) as http:
        answers = [
            await http.post("/oauth/token", data=grant, headers=basic(client_id, wrong)),
            await http.post(
                "/oauth/token", data=grant | {"client_id": client_id, "client_secret": wrong}
            ),
            await http.post(
                "/oauth/introspect", data={"token": "x" * 20}, headers=basic(client_id, wrong)
            ),
        ]
    assert [a.status_code for a in answers] == [401, 401, 401]
    assert_absent([secret, wrong], logs.text, *(a.text + str(a.headers) for a in answers))


@pytest.mark.sqlite_only
async def test_tampered_and_expired_tokens_are_not_echoed(
    store_engine: Engine, partner: tuple[str, str], logs: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(oauth_issuer=BASE)
    async with oauth_http(store_engine) as http:
        issued = await http.post(
            "/oauth/token", data={"grant_type": "client_credentials"}, headers=basic(*partner)
        )
        token = issued.json()["access_token"]
        expired = issue_access_token(
            store_engine, settings, subject=partner[0], client_id=partner[0], org_id=f.ORG_A,
            scopes=["pipeline:read"], now=datetime.now(UTC) - timedelta(days=1), ttl_seconds=60,
        )  # fmt: skip
        head, payload, signature = token.split(".")
        tampered = f"{head}.{payload}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"
        register_secret(expired, tampered)
        answers = [
            await http.post(
                "/graphql",
                json={"query": "{ me { scopes } }"},
                headers={"authorization": f"Bearer {bad}"},
            )
            for bad in (tampered, expired)
        ]
    for answer in answers:
        assert answer.json()["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}
    assert_absent(
        [token, tampered, expired, payload], logs.text, *(a.text + str(a.headers) for a in answers)
    )


@pytest.mark.sqlite_only
async def test_a_graphql_error_does_not_echo_the_bearer_token(
    store_engine: Engine, partner: tuple[str, str], logs: pytest.LogCaptureFixture
) -> None:
    async with oauth_http(store_engine) as http:
        issued = await http.post(
            "/oauth/token", data={"grant_type": "client_credentials"}, headers=basic(*partner)
        )
        token = issued.json()["access_token"]
        bearer = {"authorization": f"Bearer {token}"}
        answers = [
            await http.post("/graphql", json={"query": "{ me { scopes }"}, headers=bearer),
            await http.post("/graphql", json={"query": "{ nope }"}, headers=bearer),
            await http.post("/graphql", content=b"{not json", headers=bearer),
            await http.post(
                "/graphql",
                json={"query": "{ me { scopes } }"},
                headers={"authorization": f"Bearer {token} {token}"},
            ),
        ]
    assert all(a.status_code in (200, 400, 401) for a in answers), [a.text for a in answers]
    assert all("errors" in a.json() or a.status_code == 400 for a in answers)
    assert_absent([token, SECRET], logs.text, *(a.text + str(a.headers) for a in answers))


def test_a_refused_salesforce_login_names_no_password_or_secret(
    devorg: RunningDevorg, logs: pytest.LogCaptureFixture
) -> None:
    admin = devorg.seed.users["admin"]
    wrong = admin.password[::-1]
    register_secret(wrong)
    refused = []
    for password, secret in ((wrong, devorg.seed.client_secret), (admin.password, "x" * 40)):
        connection = OrgConnection(
            instance_url=devorg.url, auth_flow="password", client_id=devorg.seed.client_id,
            client_secret=secret, username=admin.username, password=password, is_devorg=True,
        )  # fmt: skip
        with pytest.raises(SalesforceAuthError) as raised:
            session_for(connection, DevorgSession(devorg.url))
        refused.append(str(raised.value) + repr(raised.value) + repr(connection))
    assert "login refused" in refused[0]
    assert_absent([wrong, admin.password, devorg.seed.client_secret, "x" * 40], logs.text, *refused)


def test_a_salesforce_error_during_sync_names_no_session_or_secret(
    devorg_faults: RunningDevorg, refresher: OrgRefresher, logs: pytest.LogCaptureFixture
) -> None:
    org_id = devorg_faults.seed.org_id
    # The session id the gateway holds since the first pass (simple-salesforce keeps it).
    session = getattr(refresher.gateway(org_id)._sf, "session_id", None)
    assert session  # the first pass logged in
    register_secret(session)
    devorg_faults.control(
        "PUT", "faults", {"fail_next": RetryPolicy().max_attempts, "fail_status": 503}
    )
    with pytest.raises(GatewayError) as raised:
        refresher.refresh(org_id, "hot")
    said = str(raised.value) + repr(raised.value)
    secrets = [devorg_faults.seed.client_secret, devorg_faults.seed.users["admin"].password]
    assert_absent([s for s in [*secrets, session] if s], logs.text, said)


def test_a_database_url_password_is_in_no_cli_error(
    tmp_path: Path, logs: pytest.LogCaptureFixture
) -> None:
    password = "hunter2-secret-of-the-db"
    register_secret(password)
    env = {"DATABASE_URL": f"postgresql+psycopg://dealpulse:{password}@127.0.0.1:1/none"}
    listed = run_dealpulse(tmp_path, "clients", "list", env=env)
    assert listed.returncode == 1
    said = [listed.stdout + listed.stderr]
    # every command answers one error line (api.cli's command group), no traceback
    for command in ("migrate", "sync", "evaluate"):
        result = run_dealpulse(tmp_path, command, env=env)
        assert result.returncode == 1, result.stdout + result.stderr
        assert "the database could not be reached" in result.stderr
        assert "Traceback" not in result.stdout + result.stderr
        said.append(result.stdout + result.stderr)
    assert_absent([password], logs.text, *said)
