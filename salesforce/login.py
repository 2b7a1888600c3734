"""How the gateway reaches an org and logs in: the connection settings and the four server
flows (`password`, `jwt`, `client_credentials`, `refresh_token`).

`session_for(connection, http)` returns a session id and instance host, so that
simple-salesforce always runs in its "direct" mode (`session_id` + `instance`) and a 401 later
surfaces in the gateway, which logs in again (see salesforce.gateway). Blocking.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

import requests
from simple_salesforce.exceptions import SalesforceAuthenticationFailed
from simple_salesforce.login import SalesforceLogin

from salesforce.errors import SalesforceAuthError, SalesforceUnavailable, first_error

AuthFlow = Literal["password", "jwt", "client_credentials", "refresh_token"]


@dataclass(frozen=True)
class OrgConnection:
    """How to reach one org. Secrets live here only in memory (from settings/environment)."""

    instance_url: str
    auth_flow: AuthFlow
    client_id: str
    api_version: str = "59.0"
    client_secret: str | None = None
    username: str | None = None
    password: str | None = None
    private_key: str | None = None  # PEM text
    private_key_file: str | None = None
    refresh_token: str | None = None
    # The login host's first label(s): "login", "test" or a My Domain ("acme.my"). Client
    # credentials need a My Domain; by default it is taken from instance_url.
    domain: str | None = None
    is_devorg: bool = False

    def __repr__(self) -> str:  # never print secrets
        return (
            f"OrgConnection(instance_url={self.instance_url!r}, auth_flow={self.auth_flow!r}, "
            f"client_id={self.client_id!r}, username={self.username!r}, "
            f"is_devorg={self.is_devorg!r})"
        )

    def login_domain(self) -> str:
        if self.domain:
            return self.domain
        if self.auth_flow == "client_credentials":
            if self.is_devorg:
                return "devorg.my"
            host = urlsplit(self.instance_url).hostname or ""
            return host.removesuffix(".salesforce.com") or "login"
        return "login"


def session_for(conn: OrgConnection, http: requests.Session) -> tuple[str, str]:
    """(session id, instance host) from a fresh login; SalesforceAuthError when refused,
    SalesforceUnavailable when the token endpoint cannot be reached."""
    domain = conn.login_domain()
    flows: dict[str, dict[str, Any]] = {
        "password": {
            "username": conn.username, "password": conn.password,
            "consumer_key": conn.client_id, "consumer_secret": conn.client_secret,
        },
        "jwt": {
            "username": conn.username, "consumer_key": conn.client_id,
            "privatekey": conn.private_key, "privatekey_file": conn.private_key_file,
        },
        "client_credentials": {
            "consumer_key": conn.client_id, "consumer_secret": conn.client_secret,
        },
    }  # fmt: skip
    try:
        if conn.auth_flow == "refresh_token":
            return _refresh_token_session(conn, domain, http)
        if conn.auth_flow not in flows:
            raise SalesforceAuthError(f"unknown auth flow {conn.auth_flow!r}")
        token, instance = SalesforceLogin(**flows[conn.auth_flow], domain=domain, session=http)
    except SalesforceAuthenticationFailed as exc:
        raise SalesforceAuthError(
            f"{conn.auth_flow} login refused: {exc.code}: {str(exc.message)[:300]}"
        ) from None
    except (requests.Timeout, requests.ConnectionError) as exc:
        raise SalesforceUnavailable(f"login failed: {type(exc).__name__}") from None
    return str(token), str(instance)


def _refresh_token_session(
    conn: OrgConnection, domain: str, http: requests.Session
) -> tuple[str, str]:
    # simple-salesforce has no refresh-token flow: the token request, by hand.
    response = http.post(
        f"https://{domain}.salesforce.com/services/oauth2/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": conn.refresh_token or "",
            "client_id": conn.client_id,
            "client_secret": conn.client_secret or "",
        },
    )
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code >= 500:
        raise SalesforceUnavailable(f"token endpoint answered {response.status_code}")
    if response.status_code != 200 or not isinstance(body, dict):
        code, message, _ = first_error(body)
        raise SalesforceAuthenticationFailed(code, message)
    token, instance_url = body.get("access_token"), body.get("instance_url")
    if not isinstance(token, str) or not isinstance(instance_url, str):
        raise SalesforceAuthenticationFailed("INVALID_RESPONSE", "no access_token/instance_url")
    return token, urlsplit(instance_url).netloc
