"""devorg's web server flow over real HTTP: the authorize page, codes, PKCE."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import requests

from tests.devorg.test_oauth_helpers import (
    OAuthOrg,
    authorization_code,
    authorize_params,
    exchange_code,
    expected_signature,
    log_in,
    oauth_error,
    oauth_org,
    pkce_pair,
)

__all__ = ["oauth_org"]

AUTHORIZE = "/services/oauth2/authorize"


def _get(org: OAuthOrg, params: dict[str, str]) -> requests.Response:
    return requests.get(f"{org.url}{AUTHORIZE}", params=params, allow_redirects=False, timeout=30)


def test_authorize_shows_a_self_contained_login_form(oauth_org: OAuthOrg) -> None:
    app = oauth_org.app()
    _, challenge = pkce_pair()
    params = authorize_params(app, challenge, state='"><script>alert(1)</script>')
    response = _get(oauth_org, params)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert 'name="password"' in page or "name=password" in page
    assert "<script>" not in page
    assert "&lt;script&gt;" in page
    assert "src=" not in page, "no external assets"
    assert "<link" not in page
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


def test_code_flow_with_pkce(oauth_org: OAuthOrg) -> None:
    app, user = oauth_org.app(), oauth_org.user()
    verifier, challenge = pkce_pair()
    code = authorization_code(oauth_org, app, user, challenge)
    response = exchange_code(oauth_org, app, code, verifier)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["id"].endswith(f"/{user.user_id}")
    assert body["refresh_token"]
    assert body["signature"] == expected_signature(app.client_secret, body)
    assert set(body["scope"].split()) >= {"api", "refresh_token"}
    assert oauth_org.limits(body["access_token"]).status_code == 200


def test_code_flow_without_pkce_and_with_scope(oauth_org: OAuthOrg) -> None:
    app, user = oauth_org.app(), oauth_org.user()
    code = authorization_code(oauth_org, app, user, None, scope="api id")
    body = exchange_code(oauth_org, app, code, None).json()
    assert body["scope"] == "api id"
    assert "refresh_token" not in body, "no refresh_token scope, no refresh token"


def test_wrong_verifier_fails(oauth_org: OAuthOrg) -> None:
    app, user = oauth_org.app(), oauth_org.user()
    _, challenge = pkce_pair()
    other_verifier, _ = pkce_pair()
    code = authorization_code(oauth_org, app, user, challenge)
    assert oauth_error(exchange_code(oauth_org, app, code, other_verifier)) == (
        400, "invalid_grant", "invalid code verifier",
    )  # fmt: skip


def test_missing_verifier_fails(oauth_org: OAuthOrg) -> None:
    app, user = oauth_org.app(), oauth_org.user()
    _, challenge = pkce_pair()
    code = authorization_code(oauth_org, app, user, challenge)
    assert oauth_error(exchange_code(oauth_org, app, code, None)) == (
        400, "invalid_grant", "invalid code verifier",
    )  # fmt: skip


def test_reused_code_fails_and_revokes_nothing(oauth_org: OAuthOrg) -> None:
    app, user = oauth_org.app(), oauth_org.user()
    verifier, challenge = pkce_pair()
    code = authorization_code(oauth_org, app, user, challenge)
    first = exchange_code(oauth_org, app, code, verifier).json()
    again = exchange_code(oauth_org, app, code, verifier)
    assert oauth_error(again) == (400, "invalid_grant", "invalid authorization code")
    assert oauth_org.limits(first["access_token"]).status_code == 200
    refreshed = oauth_org.token(
        {"grant_type": "refresh_token", "refresh_token": first["refresh_token"],
         "client_id": app.client_id, "client_secret": app.client_secret}
    )  # fmt: skip
    assert refreshed.status_code == 200


def test_expired_code_fails(oauth_org: OAuthOrg) -> None:
    app, user = oauth_org.app(), oauth_org.user()
    verifier, challenge = pkce_pair()
    code = authorization_code(oauth_org, app, user, challenge)
    oauth_org.expire_code(code)
    assert oauth_error(exchange_code(oauth_org, app, code, verifier)) == (
        400, "invalid_grant", "expired authorization code",
    )  # fmt: skip


def test_redirect_uri_mismatch_at_the_token_endpoint_fails(oauth_org: OAuthOrg) -> None:
    app, user = oauth_org.app(), oauth_org.user()
    verifier, challenge = pkce_pair()
    code = authorization_code(oauth_org, app, user, challenge)
    response = exchange_code(
        oauth_org, app, code, verifier, redirect_uri=app.callback_url + "/other"
    )
    assert oauth_error(response) == (
        400, "invalid_grant", "redirect_uri must match configuration",
    )  # fmt: skip


def test_code_needs_its_own_client_and_secret(oauth_org: OAuthOrg) -> None:
    app, other, user = oauth_org.app(), oauth_org.app(), oauth_org.user()
    verifier, challenge = pkce_pair()
    code = authorization_code(oauth_org, app, user, challenge)
    stolen = exchange_code(oauth_org, other, code, verifier)
    assert oauth_error(stolen) == (400, "invalid_grant", "invalid authorization code")
    no_secret = exchange_code(oauth_org, app, code, verifier, client_secret="")
    assert oauth_error(no_secret) == (400, "invalid_client", "invalid client credentials")
    # Neither attempt used the code up: its own client still can.
    assert exchange_code(oauth_org, app, code, verifier).status_code == 200


def test_unknown_client_gets_an_error_page_not_a_redirect(oauth_org: OAuthOrg) -> None:
    app = oauth_org.app()
    params = authorize_params(app, None, client_id="3MVG9nobody")
    for response in (_get(oauth_org, params), requests.post(
        f"{oauth_org.url}{AUTHORIZE}", data=params, allow_redirects=False, timeout=30
    )):  # fmt: skip
        assert response.status_code == 400
        assert "location" not in response.headers
        assert "invalid_client_id" in response.text


def test_unregistered_redirect_uri_is_never_redirected_to(oauth_org: OAuthOrg) -> None:
    app, user = oauth_org.app(), oauth_org.user()
    for uri in ("https://evil.example/cb", app.callback_url + "/", app.callback_url.upper(), ""):
        params = authorize_params(app, None, redirect_uri=uri)
        for response in (_get(oauth_org, params), log_in(oauth_org, params, user)):
            assert response.status_code == 400
            assert "location" not in response.headers
            assert "redirect_uri_mismatch" in response.text
            assert "evil.example" not in response.headers.get("location", "")


def test_wrong_password_shows_the_form_again(oauth_org: OAuthOrg) -> None:
    app, user = oauth_org.app(), oauth_org.user()
    inactive = oauth_org.user(active=False)
    params = authorize_params(app, None)
    for who in (type(user)(user.username, "wrong", user.user_id), inactive):
        response = log_in(oauth_org, params, who)
        assert response.status_code == 200
        assert "location" not in response.headers
        assert "Please check your username and password" in response.text
        assert "code=" not in response.text


def test_bad_requests_to_a_registered_uri_redirect_with_an_error(oauth_org: OAuthOrg) -> None:
    app = oauth_org.app()
    for extra, error in (
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"code_challenge": "short", "code_challenge_method": "S256"}, "invalid_request"),
        ({"code_challenge": "a" * 43, "code_challenge_method": "plain"}, "invalid_request"),
        ({"scope": "api everything"}, "invalid_scope"),
    ):
        params = authorize_params(app, None, **extra)
        response = _get(oauth_org, params)
        assert response.status_code == 302
        location = urlsplit(response.headers["location"])
        query = dict(parse_qsl(location.query))
        assert query["error"] == error
        assert query["state"] == params["state"]
        assert "code" not in query


def test_non_ascii_input_is_refused_cleanly(oauth_org: OAuthOrg) -> None:
    app, user = oauth_org.app(), oauth_org.user()
    params = authorize_params(app, None, redirect_uri="https://client.example/ca\u0301llback")
    assert _get(oauth_org, params).status_code == 400
    verifier, challenge = pkce_pair()
    code = authorization_code(oauth_org, app, user, challenge)
    odd_client = exchange_code(oauth_org, app, code, verifier, client_id="3MVG9\u00e9")
    assert oauth_error(odd_client) == (400, "invalid_client_id", "client identifier invalid")
    odd_redirect = exchange_code(oauth_org, app, code, verifier, redirect_uri="https://\u00e9")
    assert oauth_error(odd_redirect)[:2] == (400, "invalid_grant")
