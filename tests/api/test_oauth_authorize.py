"""The authorization code flow with PKCE over HTTP (issue 10): a browser logs in through
devorg as Salesforce, the app exchanges dealpulse's code; every refusal of the authorize and
token endpoints; codes single-use and short-lived; nothing secret stored in clear or logged."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import Engine, inspect, select, text, update
from sqlmodel import col

from api.cli_demo_login import login_form_fields
from auth.clients import register_client
from auth.salesforce_tokens import salesforce_refresh_token
from store.mirror import Mirror
from store.models import SfUser
from store.oauth_grant_models import OAuthAuthorizationCode
from tests.api import oauth_login as o
from tests.devorg_server import RunningDevorg

pytestmark = [pytest.mark.anyio, pytest.mark.sqlite_only]  # the HTTP edge only


@pytest.fixture
def org_id(store_engine: Engine, devorg: RunningDevorg) -> str:
    o.connect_devorg(store_engine, devorg)
    return devorg.seed.org_id


def _all_stored_text(engine: Engine) -> str:
    with engine.connect() as connection:
        return "\n".join(
            str(row)
            for table in inspect(engine).get_table_names()
            for row in connection.execute(text(f'SELECT * FROM "{table}"'))
        )


async def test_a_rep_logs_in_through_salesforce_and_never_gets_admin(
    store_engine: Engine, devorg: RunningDevorg, org_id: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client_id = o.public_client(store_engine, org_id)
    verifier, challenge = o.pkce()
    async with o.browser(store_engine) as http:
        login = await o.log_in(http, devorg, o.authorize_params(client_id, challenge))
        assert login.query["state"] == "xyz-state"
        assert login.query["iss"] == o.BASE
        code = login.query["code"]
        answer = await o.exchange(http, client_id, code, verifier)
        assert answer.status_code == 200, answer.text
        tokens = answer.json()
        me = await o.me(http, tokens["access_token"])
    assert tokens["scope"] == "pipeline:read"  # asked for admin too (the client may have it)
    assert tokens["refresh_token"]
    assert me["data"]["me"] == {
        "scopes": ["pipeline:read"], "user": {"id": devorg.seed.users["rep"].user_id}
    }  # fmt: skip
    sf_refresh = salesforce_refresh_token(
        store_engine, o.settings(), org_id=org_id, user_id=devorg.seed.users["rep"].user_id
    )
    assert sf_refresh  # held for the user, encrypted: in no column in clear
    stored = _all_stored_text(store_engine)
    for secret in (sf_refresh, code, tokens["refresh_token"], tokens["access_token"]):
        assert secret not in stored
        assert secret not in caplog.text


async def test_an_admin_gets_admin(
    store_engine: Engine, devorg: RunningDevorg, org_id: str
) -> None:
    client_id = o.public_client(store_engine, org_id)
    verifier, challenge = o.pkce()
    async with o.browser(store_engine) as http:
        login = await o.log_in(http, devorg, o.authorize_params(client_id, challenge), "admin")
        answer = await o.exchange(http, client_id, login.query["code"], verifier)
    assert answer.json()["scope"] == "pipeline:read admin"


@pytest.mark.parametrize(
    ("extra", "error"),
    [
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge_method": ""}, "invalid_request"),
        ({"code_challenge": ""}, "invalid_request"),
        ({"code_challenge": "a" * 44}, "invalid_request"),  # S256 is 43 characters, always
        ({"code_challenge": "a" * 42 + "."}, "invalid_request"),  # not base64url
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"scope": "alerts:write"}, "invalid_scope"),
        ({"scope": "everything"}, "invalid_scope"),
    ],
)
async def test_bad_requests_go_back_to_the_registered_redirect_uri(
    store_engine: Engine, devorg: RunningDevorg, org_id: str, extra: dict[str, str], error: str
) -> None:
    client_id = o.public_client(store_engine, org_id)
    _, challenge = o.pkce()
    async with o.browser(store_engine) as http:
        login = await o.log_in(http, devorg, o.authorize_params(client_id, challenge, **extra))
    assert login.query["error"] == error
    assert login.query["state"] == "xyz-state"
    assert "code" not in login.query


@pytest.mark.parametrize(
    "extra",
    [
        {"redirect_uri": "https://evil.example/cb"},
        {"redirect_uri": o.APP_REDIRECT + "/"},
        {"redirect_uri": ""},
        {"client_id": "dp_unknown"},
    ],
)
async def test_an_unregistered_redirect_uri_or_client_is_never_redirected_to(
    store_engine: Engine, org_id: str, extra: dict[str, str]
) -> None:
    client_id = o.public_client(store_engine, org_id)
    _, challenge = o.pkce()
    async with o.browser(store_engine) as http:
        answer = await http.get(
            "/oauth/authorize", params=o.authorize_params(client_id, challenge, **extra)
        )
    assert answer.status_code == 400
    assert "location" not in answer.headers
    assert "Sign-in error" in answer.text


async def test_pkce_is_checked_at_the_token_endpoint_and_a_code_is_used_up_anyway(
    store_engine: Engine, devorg: RunningDevorg, org_id: str
) -> None:
    client_id = o.public_client(store_engine, org_id)
    verifier, challenge = o.pkce()
    other, _ = o.pkce()
    async with o.browser(store_engine) as http:
        first = await o.log_in(http, devorg, o.authorize_params(client_id, challenge))
        missing = await o.exchange(http, client_id, first.query["code"], None)
        second = await o.log_in(http, devorg, o.authorize_params(client_id, challenge))
        wrong = await o.exchange(http, client_id, second.query["code"], other)
        again = await o.exchange(http, client_id, second.query["code"], verifier)
    assert (missing.status_code, missing.json()["error"]) == (400, "invalid_request")
    assert (wrong.status_code, wrong.json()["error"]) == (400, "invalid_grant")
    assert (again.status_code, again.json()["error"]) == (400, "invalid_grant")


async def test_a_reused_code_is_refused_and_revokes_what_it_issued(
    store_engine: Engine, devorg: RunningDevorg, org_id: str
) -> None:
    client_id = o.public_client(store_engine, org_id)
    verifier, challenge = o.pkce()
    async with o.browser(store_engine) as http:
        login = await o.log_in(http, devorg, o.authorize_params(client_id, challenge))
        first = await o.exchange(http, client_id, login.query["code"], verifier)
        assert first.status_code == 200, first.text
        token = first.json()["access_token"]
        assert "errors" not in await o.me(http, token)
        reused = await o.exchange(http, client_id, login.query["code"], verifier)
        after = await o.me(http, token)
        refreshed = await o.refresh(http, client_id, first.json()["refresh_token"])
    assert (reused.status_code, reused.json()["error"]) == (400, "invalid_grant")
    assert after["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert refreshed.json()["error"] == "invalid_grant"


async def test_an_expired_code_is_refused(
    store_engine: Engine, devorg: RunningDevorg, org_id: str
) -> None:
    client_id = o.public_client(store_engine, org_id)
    verifier, challenge = o.pkce()
    async with o.browser(store_engine) as http:
        login = await o.log_in(http, devorg, o.authorize_params(client_id, challenge))
        with store_engine.begin() as connection:
            connection.execute(
                update(OAuthAuthorizationCode).values(
                    expires_at=datetime.now(UTC) - timedelta(seconds=1)
                )
            )
        answer = await o.exchange(http, client_id, login.query["code"], verifier)
    assert (answer.status_code, answer.json()["error"]) == (400, "invalid_grant")
    with store_engine.connect() as connection:
        assert connection.execute(select(OAuthAuthorizationCode.used_at)).scalar_one()


async def test_a_confidential_client_sends_its_secret_and_the_verifier(
    store_engine: Engine, devorg: RunningDevorg, org_id: str
) -> None:
    client, secret = register_client(
        store_engine, org_id=org_id, name="web app", scopes="pipeline:read",
        redirect_uris=[o.APP_REDIRECT],
    )  # fmt: skip
    assert secret is not None
    verifier, challenge = o.pkce()
    async with o.browser(store_engine) as http:
        first = await o.log_in(http, devorg, o.authorize_params(client.client_id, challenge))
        no_secret = await o.exchange(http, client.client_id, first.query["code"], verifier)
        second = await o.log_in(http, devorg, o.authorize_params(client.client_id, challenge))
        form = {"grant_type": "authorization_code", "code": second.query["code"],
                "redirect_uri": o.APP_REDIRECT, "code_verifier": verifier}  # fmt: skip
        answer = await http.post("/oauth/token", data=form, auth=(client.client_id, secret))
    assert (no_secret.status_code, no_secret.json()["error"]) == (401, "invalid_client")
    assert answer.status_code == 200, answer.text
    assert answer.json()["scope"] == "pipeline:read"


async def test_a_salesforce_user_dealpulse_does_not_mirror_is_denied(
    store_engine: Engine, devorg: RunningDevorg, org_id: str
) -> None:
    client_id = o.public_client(store_engine, org_id)
    _, challenge = o.pkce()
    async with o.browser(store_engine) as http:
        login = await o.log_in(
            http, devorg, o.authorize_params(client_id, challenge), role="manager"
        )
    assert login.query["error"] == "access_denied"
    assert login.query["state"] == "xyz-state"
    assert "code" not in login.query


async def test_a_user_deactivated_since_gets_no_more_tokens(
    store_engine: Engine, devorg: RunningDevorg, org_id: str
) -> None:
    client_id = o.public_client(store_engine, org_id)
    verifier, challenge = o.pkce()
    async with o.browser(store_engine) as http:
        login = await o.log_in(http, devorg, o.authorize_params(client_id, challenge))
        tokens = (await o.exchange(http, client_id, login.query["code"], verifier)).json()
        with store_engine.begin() as connection:
            connection.execute(
                update(SfUser)
                .where(col(SfUser.id) == devorg.seed.users["rep"].user_id)
                .values(is_active=False)
            )
        refreshed = await o.refresh(http, client_id, tokens["refresh_token"])
    assert (refreshed.status_code, refreshed.json()["error"]) == (400, "invalid_grant")


async def test_a_salesforce_that_cannot_be_reached_at_the_callback_denies_the_login(
    store_engine: Engine, devorg: RunningDevorg, org_id: str
) -> None:
    """The code exchange with Salesforce fails over the network (httpx's own error, not an
    OSError): the browser goes back to the app with access_denied, not a 500."""
    client_id = o.public_client(store_engine, org_id)
    _, challenge = o.pkce()
    async with o.browser(store_engine) as http:
        started = await http.get(
            "/oauth/authorize", params=o.authorize_params(client_id, challenge)
        )
        form = await http.get(started.headers["location"])
        user = devorg.seed.users["rep"]
        posted = await http.post(
            f"{devorg.url}/services/oauth2/authorize",
            data={**login_form_fields(form.text), "username": user.username,
                  "password": user.password},
        )  # fmt: skip
        Mirror(store_engine, org_id).ensure_org(instance_url="http://127.0.0.1:1")  # gone
        back = await http.get(posted.headers["location"])
    assert back.status_code == 302, back.text
    assert "error=access_denied" in back.headers["location"]


async def test_a_newer_sign_in_supersedes_an_unfinished_one_and_the_cookie_stays_small(
    store_engine: Engine, devorg: RunningDevorg, org_id: str
) -> None:
    """Abandoned sign-ins do not pile up in the session cookie (past 4 KB browsers drop it
    and nobody could sign in): the newest one is the one in progress, and it completes."""
    client_id = o.public_client(store_engine, org_id)
    _, challenge = o.pkce()
    async with o.browser(store_engine) as http:
        started = [
            await http.get("/oauth/authorize", params=o.authorize_params(client_id, challenge))
            for _ in range(20)
        ]
        cookie = http.cookies.get("dealpulse_login", path="/oauth") or ""
        form = await http.get(started[-1].headers["location"])
        user = devorg.seed.users["rep"]
        posted = await http.post(
            f"{devorg.url}/services/oauth2/authorize",
            data={**login_form_fields(form.text), "username": user.username,
                  "password": user.password},
        )  # fmt: skip
        back = await http.get(posted.headers["location"])
        stale_state = parse_qs(urlsplit(started[0].headers["location"]).query)["state"][0]
        stale = await http.get("/oauth/salesforce/callback", params={"state": stale_state})
    assert len(cookie) < 1500, len(cookie)  # one sign-in's worth, not twenty
    assert back.status_code == 302, back.text
    assert "code=" in back.headers["location"]
    assert stale.status_code == 400
