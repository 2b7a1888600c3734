"""devorg's token endpoint over real HTTP: password, client credentials and refresh grants."""

from __future__ import annotations

import base64

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceAuthenticationFailed

from salesforce.devorg_transport import DevorgSession
from tests.devorg.test_oauth_helpers import (
    OAuthOrg,
    code_flow_tokens,
    expected_signature,
    oauth_error,
    oauth_org,
)

__all__ = ["oauth_org"]

AUTH_FAILURE = (400, "invalid_grant", "authentication failure")


def _basic(client_id: str, secret: str) -> dict[str, str]:
    encoded = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {encoded}"}


# -- password -----------------------------------------------------------------------------------
def test_password_grant_answers_like_salesforce(oauth_org: OAuthOrg) -> None:
    app, user = oauth_org.app(), oauth_org.user()
    body = oauth_org.password_login(app, user)

    assert body["token_type"] == "Bearer"
    assert body["instance_url"] == oauth_org.url
    prefix = f"{oauth_org.url}/id/"
    assert body["id"].startswith(prefix)
    assert body["id"].endswith(f"/{user.user_id}")
    id_org = body["id"][len(prefix) :].split("/")[0]
    assert len(id_org) == 18
    assert id_org.startswith("00D")
    assert body["access_token"].startswith(id_org[:15] + "!")
    assert body["issued_at"].isdigit()
    assert len(body["issued_at"]) == 13
    assert body["signature"] == expected_signature(app.client_secret, body)
    assert "refresh_token" not in body
    assert set(body["scope"].split()) >= {"api"}
    assert oauth_org.limits(body["access_token"]).status_code == 200


@pytest.mark.parametrize("case", ["wrong password", "unknown user", "inactive user", "empty"])
def test_password_grant_failures_all_look_the_same(oauth_org: OAuthOrg, case: str) -> None:
    app, user = oauth_org.app(), oauth_org.user()
    inactive = oauth_org.user(active=False)
    username, password = {
        "wrong password": (user.username, user.password + "x"),
        "unknown user": ("nobody@devorg.test", user.password),
        "inactive user": (inactive.username, inactive.password),
        "empty": ("", ""),
    }[case]
    response = oauth_org.token(
        {"grant_type": "password", "client_id": app.client_id,
         "client_secret": app.client_secret, "username": username, "password": password}
    )  # fmt: skip
    assert oauth_error(response) == AUTH_FAILURE
    assert response.headers["cache-control"] == "no-store"


def test_password_grant_with_username_in_other_case(oauth_org: OAuthOrg) -> None:
    app, user = oauth_org.app(), oauth_org.user()
    shouted = type(user)(user.username.upper(), user.password, user.user_id)
    assert oauth_org.password_login(app, shouted)["id"].endswith(user.user_id)


def test_password_grant_does_not_take_a_security_token_suffix(oauth_org: OAuthOrg) -> None:
    # devorg trusts every IP, so the password is the password alone.
    app, user = oauth_org.app(), oauth_org.user()
    response = oauth_org.token(
        {"grant_type": "password", "client_id": app.client_id,
         "client_secret": app.client_secret, "username": user.username,
         "password": user.password + "SECURITYTOKEN0123456789"}
    )  # fmt: skip
    assert oauth_error(response) == AUTH_FAILURE


def test_client_errors_are_worded_like_salesforce(oauth_org: OAuthOrg) -> None:
    app, user = oauth_org.app(), oauth_org.user()
    base = {"grant_type": "password", "username": user.username, "password": user.password}
    wrong_secret = oauth_org.token({**base, "client_id": app.client_id, "client_secret": "nope"})
    assert oauth_error(wrong_secret) == (400, "invalid_client", "invalid client credentials")
    assert "nope" not in wrong_secret.text
    no_secret = oauth_org.token({**base, "client_id": app.client_id})
    assert oauth_error(no_secret) == (400, "invalid_client", "invalid client credentials")
    unknown = oauth_org.token({**base, "client_id": "3MVG9unknown", "client_secret": "x"})
    assert oauth_error(unknown) == (400, "invalid_client_id", "client identifier invalid")


@pytest.mark.parametrize("grant_type", [None, "", "implicit", "PASSWORD"])
def test_unsupported_grant_type(oauth_org: OAuthOrg, grant_type: str | None) -> None:
    data = {} if grant_type is None else {"grant_type": grant_type}
    assert oauth_error(oauth_org.token(data)) == (
        400, "unsupported_grant_type", "grant type not supported",
    )  # fmt: skip


def test_absurd_inputs_are_refused_without_echo(oauth_org: OAuthOrg) -> None:
    app, user = oauth_org.app(), oauth_org.user()
    huge = "p" * 5000
    response = oauth_org.token(
        {"grant_type": "password", "client_id": app.client_id,
         "client_secret": app.client_secret, "username": user.username, "password": huge}
    )  # fmt: skip
    assert oauth_error(response)[:2] == (400, "invalid_request")
    assert huge not in response.text
    too_big = oauth_org.token({"grant_type": "password", "filler": "x" * 100_000})
    assert oauth_error(too_big)[:2] == (400, "invalid_request")
    twice = oauth_org.token(
        f"grant_type=password&client_id={app.client_id}&client_id={app.client_id}",  # type: ignore[arg-type]
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert oauth_error(twice)[:2] == (400, "invalid_request")


def test_simple_salesforce_password_login(oauth_org: OAuthOrg) -> None:
    app, user = oauth_org.app(), oauth_org.user()
    sf = Salesforce(
        username=user.username,
        password=user.password,
        consumer_key=app.client_id,
        consumer_secret=app.client_secret,
        session=DevorgSession(oauth_org.url),
    )
    assert sf.session_id.startswith("00D")
    assert "DailyApiRequests" in sf.limits()


def test_simple_salesforce_password_login_failure(oauth_org: OAuthOrg) -> None:
    app, user = oauth_org.app(), oauth_org.user()
    with pytest.raises(SalesforceAuthenticationFailed) as failure:
        Salesforce(
            username=user.username,
            password="wrong",
            consumer_key=app.client_id,
            consumer_secret=app.client_secret,
            session=DevorgSession(oauth_org.url),
        )
    assert failure.value.code == "invalid_grant"


# -- client credentials -------------------------------------------------------------------------
def test_client_credentials_with_basic_auth(oauth_org: OAuthOrg) -> None:
    runner = oauth_org.user()
    app = oauth_org.app(run_as=runner.user_id)
    response = oauth_org.token(
        {"grant_type": "client_credentials"}, headers=_basic(app.client_id, app.client_secret)
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["id"].endswith(f"/{runner.user_id}")
    assert "refresh_token" not in body
    assert body["signature"] == expected_signature(app.client_secret, body)
    assert oauth_org.limits(body["access_token"]).status_code == 200


def test_client_credentials_in_the_form(oauth_org: OAuthOrg) -> None:
    runner = oauth_org.user()
    app = oauth_org.app(run_as=runner.user_id)
    response = oauth_org.token(
        {"grant_type": "client_credentials", "client_id": app.client_id,
         "client_secret": app.client_secret}
    )  # fmt: skip
    assert response.status_code == 200, response.text


def test_client_credentials_failures(oauth_org: OAuthOrg) -> None:
    runner = oauth_org.user()
    app = oauth_org.app(run_as=runner.user_id)
    wrong = oauth_org.token(
        {"grant_type": "client_credentials"}, headers=_basic(app.client_id, "wrong")
    )
    assert oauth_error(wrong) == (400, "invalid_client", "invalid client credentials")
    garbled = oauth_org.token(
        {"grant_type": "client_credentials"}, headers={"Authorization": "Basic !!!"}
    )
    assert oauth_error(garbled)[1] == "invalid_client"
    no_runner = oauth_org.app()
    refused = oauth_org.token(
        {"grant_type": "client_credentials"},
        headers=_basic(no_runner.client_id, no_runner.client_secret),
    )
    assert oauth_error(refused) == (400, "invalid_grant", "no client credentials user enabled")
    inactive_runner = oauth_org.app(run_as=oauth_org.user(active=False).user_id)
    inactive = oauth_org.token(
        {"grant_type": "client_credentials"},
        headers=_basic(inactive_runner.client_id, inactive_runner.client_secret),
    )
    assert oauth_error(inactive) == AUTH_FAILURE


def test_simple_salesforce_client_credentials(oauth_org: OAuthOrg) -> None:
    app = oauth_org.app(run_as=oauth_org.user().user_id)
    sf = Salesforce(
        consumer_key=app.client_id,
        consumer_secret=app.client_secret,
        domain="devorg-mydomain",
        session=DevorgSession(oauth_org.url),
    )
    assert "DailyApiRequests" in sf.limits()


# -- refresh ------------------------------------------------------------------------------------
def test_refresh_gives_a_working_access_token(oauth_org: OAuthOrg) -> None:
    app, user = oauth_org.app(), oauth_org.user()
    first = code_flow_tokens(oauth_org, app, user)
    refresh_token = first["refresh_token"]
    response = oauth_org.token(
        {"grant_type": "refresh_token", "refresh_token": refresh_token,
         "client_id": app.client_id, "client_secret": app.client_secret}
    )  # fmt: skip
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["access_token"] != first["access_token"]
    assert "refresh_token" not in body
    assert body["id"] == first["id"]
    assert body["signature"] == expected_signature(app.client_secret, body)
    assert oauth_org.limits(body["access_token"]).status_code == 200
    assert oauth_org.limits(first["access_token"]).status_code == 200
    again = oauth_org.token(
        {"grant_type": "refresh_token", "refresh_token": refresh_token,
         "client_id": app.client_id, "client_secret": app.client_secret}
    )  # fmt: skip
    assert again.status_code == 200, "the same refresh token keeps working"


def test_refresh_failures(oauth_org: OAuthOrg) -> None:
    app, user, other = oauth_org.app(), oauth_org.user(), oauth_org.app()
    refresh_token = code_flow_tokens(oauth_org, app, user)["refresh_token"]
    base = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    no_secret = oauth_org.token({**base, "client_id": app.client_id})
    assert oauth_error(no_secret) == (400, "invalid_client", "invalid client credentials")
    other_client = oauth_org.token(
        {**base, "client_id": other.client_id, "client_secret": other.client_secret}
    )
    assert oauth_error(other_client) == (400, "invalid_grant", "expired access/refresh token")
    unknown = oauth_org.token(
        {"grant_type": "refresh_token", "refresh_token": "00D!nope",
         "client_id": app.client_id, "client_secret": app.client_secret}
    )  # fmt: skip
    assert oauth_error(unknown) == (400, "invalid_grant", "expired access/refresh token")
    missing = oauth_org.token(
        {"grant_type": "refresh_token", "client_id": app.client_id,
         "client_secret": app.client_secret}
    )  # fmt: skip
    assert oauth_error(missing)[:2] == (400, "invalid_request")


# -- the seeded org's own credentials -----------------------------------------------------------
def test_seeded_connected_app_works_with_every_flow(oauth_org: OAuthOrg) -> None:
    seed = oauth_org.devorg.seed
    transport = DevorgSession(oauth_org.url)
    for role, user in seed.users.items():
        by_password = Salesforce(
            username=user.username,
            password=user.password,
            consumer_key=seed.client_id,
            consumer_secret=seed.client_secret,
            session=transport,
        )
        info = by_password.session.get(
            f"{oauth_org.url}/services/oauth2/userinfo",
            headers={"Authorization": f"Bearer {by_password.session_id}"},
            timeout=30,
        ).json()
        assert info["user_id"] == user.user_id, role
        assert info["organization_id"][:15] == seed.org_id[:15]
        by_jwt = Salesforce(
            username=user.username,
            consumer_key=seed.client_id,
            privatekey=seed.jwt_private_key_pem,
            session=transport,
        )
        assert "DailyApiRequests" in by_jwt.limits(), role
    by_client = Salesforce(
        consumer_key=seed.client_id,
        consumer_secret=seed.client_secret,
        domain="devorg-mydomain",
        session=transport,
    )
    assert "DailyApiRequests" in by_client.limits()
