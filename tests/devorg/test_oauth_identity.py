"""devorg's identity service (userinfo, identity URL) and token revocation over real HTTP."""

from __future__ import annotations

import requests

from tests.devorg.test_oauth_helpers import (
    OAuthOrg,
    code_flow_tokens,
    oauth_error,
    oauth_org,
)

__all__ = ["oauth_org"]

UNSUPPORTED = (400, "unsupported_token_type", "this token type is not supported")


def _revoke(org: OAuthOrg, token: str) -> requests.Response:
    return requests.post(f"{org.url}/services/oauth2/revoke", data={"token": token}, timeout=30)


def _invalid_session(response: requests.Response) -> bool:
    return response.status_code == 401 and response.json()[0]["errorCode"] == "INVALID_SESSION_ID"


def test_userinfo(oauth_org: OAuthOrg) -> None:
    app, user = oauth_org.app(), oauth_org.user()
    tokens = oauth_org.password_login(app, user)
    response = oauth_org.userinfo(tokens["access_token"])
    assert response.status_code == 200, response.text
    info = response.json()
    assert info["sub"] == tokens["id"]
    assert info["user_id"] == user.user_id
    assert tokens["id"].split("/")[-2] == info["organization_id"]
    assert info["preferred_username"] == user.username
    assert info["email"] == user.username
    assert info["active"] is True
    assert info["name"]
    assert info["family_name"]
    assert info["zoneinfo"]
    assert info["urls"]["rest"] == f"{oauth_org.url}/services/data/v{{version}}/"
    assert isinstance(info["utcOffset"], int)


def test_userinfo_by_post_and_by_parameter(oauth_org: OAuthOrg) -> None:
    app, user = oauth_org.app(), oauth_org.user()
    token = oauth_org.password_login(app, user)["access_token"]
    url = f"{oauth_org.url}/services/oauth2/userinfo"
    posted = requests.post(url, headers={"Authorization": f"OAuth {token}"}, timeout=30)
    assert posted.json()["user_id"] == user.user_id
    by_form = requests.post(url, data={"access_token": token}, timeout=30)
    assert by_form.json()["user_id"] == user.user_id


def test_userinfo_refuses_bad_tokens_the_identity_service_way(oauth_org: OAuthOrg) -> None:
    bad = oauth_org.userinfo("00D000000000000!nonsense")
    assert (bad.status_code, bad.text) == (403, "Bad_OAuth_Token")
    assert bad.headers["content-type"].startswith("text/plain")
    missing = requests.get(f"{oauth_org.url}/services/oauth2/userinfo", timeout=30)
    assert (missing.status_code, missing.text) == (403, "Missing_OAuth_Token")


def test_userinfo_does_not_take_a_token_from_the_query_string(oauth_org: OAuthOrg) -> None:
    # Query strings end up in access logs; devorg reads the token from the header or body only.
    token = oauth_org.password_login(oauth_org.app(), oauth_org.user())["access_token"]
    response = requests.get(
        f"{oauth_org.url}/services/oauth2/userinfo", params={"access_token": token}, timeout=30
    )
    assert (response.status_code, response.text) == (403, "Missing_OAuth_Token")


def test_identity_url_from_the_token_response_works(oauth_org: OAuthOrg) -> None:
    app, user = oauth_org.app(), oauth_org.user()
    tokens = oauth_org.password_login(app, user)
    response = requests.get(
        tokens["id"], headers={"Authorization": f"Bearer {tokens['access_token']}"}, timeout=30
    )
    assert response.status_code == 200, response.text
    identity = response.json()
    assert identity["id"] == tokens["id"]
    assert identity["username"] == user.username
    assert identity["asserted_user"] is True


def test_revoked_access_token_stops_working(oauth_org: OAuthOrg) -> None:
    app, user = oauth_org.app(), oauth_org.user()
    token = oauth_org.password_login(app, user)["access_token"]
    assert oauth_org.limits(token).status_code == 200
    response = _revoke(oauth_org, token)
    assert (response.status_code, response.text) == (200, "")
    assert _invalid_session(oauth_org.limits(token))
    assert oauth_org.userinfo(token).text == "Bad_OAuth_Token"
    assert oauth_error(_revoke(oauth_org, token)) == UNSUPPORTED, "already revoked"


def test_revoking_a_refresh_token_ends_its_access_tokens(oauth_org: OAuthOrg) -> None:
    app, user = oauth_org.app(), oauth_org.user()
    tokens = code_flow_tokens(oauth_org, app, user)
    refresh = {
        "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"],
        "client_id": app.client_id, "client_secret": app.client_secret,
    }  # fmt: skip
    refreshed = oauth_org.token(refresh).json()["access_token"]
    unrelated = oauth_org.password_login(app, user)["access_token"]
    assert _revoke(oauth_org, tokens["refresh_token"]).status_code == 200
    assert _invalid_session(oauth_org.limits(tokens["access_token"]))
    assert _invalid_session(oauth_org.limits(refreshed))
    assert oauth_error(oauth_org.token(refresh)) == (
        400, "invalid_grant", "expired access/refresh token",
    )  # fmt: skip
    assert oauth_org.limits(unrelated).status_code == 200, "other sessions are untouched"


def test_revoke_by_get(oauth_org: OAuthOrg) -> None:
    app, user = oauth_org.app(), oauth_org.user()
    token = oauth_org.password_login(app, user)["access_token"]
    response = requests.get(
        f"{oauth_org.url}/services/oauth2/revoke", params={"token": token}, timeout=30
    )
    assert response.status_code == 200
    assert _invalid_session(oauth_org.limits(token))


def test_revoking_unknown_tokens(oauth_org: OAuthOrg) -> None:
    assert oauth_error(_revoke(oauth_org, "00D000000000000!unknown")) == UNSUPPORTED
    assert oauth_error(_revoke(oauth_org, "")) == UNSUPPORTED
    no_token = requests.post(f"{oauth_org.url}/services/oauth2/revoke", timeout=30)
    assert oauth_error(no_token) == UNSUPPORTED
