"""The gateway over HTTP against devorg: login flows, retries, error mapping, accounting."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from salesforce.errors import (
    GatewayError,
    SalesforceAuthError,
    SalesforceRequestError,
    SalesforceUnavailable,
)
from salesforce.gateway import Gateway
from salesforce.login import OrgConnection, session_for
from salesforce.writes import RecordUpdate, WriteStatus, update_record
from tests.devorg_server import RunningDevorg, free_port
from tests.salesforce.conftest import FAST_RETRY, connection, gateway

COUNT_USERS = "SELECT COUNT() FROM User"


def refresh_token_for(devorg: RunningDevorg, role: str) -> str:
    """A refresh token from the web server flow (log in on the authorize page, swap the code)."""
    seed, user = devorg.seed, devorg.seed.users[role]
    login = requests.post(
        f"{devorg.url}/services/oauth2/authorize",
        data={
            "response_type": "code", "client_id": seed.client_id,
            "redirect_uri": seed.callback_url, "username": user.username,
            "password": user.password,
        },
        allow_redirects=False, timeout=10,
    )  # fmt: skip
    assert login.status_code == 302, login.text
    code = dict(parse_qsl(urlsplit(login.headers["location"]).query))["code"]
    token = requests.post(
        f"{devorg.url}/services/oauth2/token",
        data={
            "grant_type": "authorization_code", "code": code, "client_id": seed.client_id,
            "client_secret": seed.client_secret, "redirect_uri": seed.callback_url,
        },
        timeout=10,
    )  # fmt: skip
    assert token.status_code == 200, token.text
    return str(token.json()["refresh_token"])


@pytest.mark.parametrize("flow", ["password", "jwt", "client_credentials", "refresh_token"])
def test_every_auth_flow_connects_and_counts_its_calls(devorg: RunningDevorg, flow: str) -> None:
    if flow == "refresh_token":
        conn = OrgConnection(
            instance_url=devorg.url, auth_flow="refresh_token", client_id=devorg.seed.client_id,
            client_secret=devorg.seed.client_secret,
            refresh_token=refresh_token_for(devorg, "manager"), is_devorg=True,
        )  # fmt: skip
        gw = Gateway(conn, retry=FAST_RETRY)
    else:
        gw = gateway(devorg, flow)
    records = list(gw.query_all_iter("SELECT Id, Name FROM UserRole"))
    assert records
    assert set(records[0]) == {"attributes", "Id", "Name"}
    assert gw.api_calls == 2  # the token request and the query
    assert gw.logins == 1
    usage = gw.api_usage
    assert usage is not None
    assert usage[1] == devorg.settings.api_daily_limit


def test_describe_and_stages_are_cached_until_refreshed(devorg: RunningDevorg) -> None:
    gw = gateway(devorg)
    gw.connect()
    first = gw.describe("Opportunity")
    assert gw.describe("Opportunity") is first
    stages = gw.stages()
    assert gw.stages() is stages
    assert len(stages) == 10
    assert gw.api_calls == 3
    gw.refresh_metadata()
    gw.describe("Opportunity")
    assert gw.api_calls == 4


def test_reads_retry_503_and_give_up_after_the_budget(devorg_faults: RunningDevorg) -> None:
    gw = gateway(devorg_faults)
    gw.connect()
    devorg_faults.control("PUT", "faults", {"fail_next": FAST_RETRY.max_attempts - 1})
    assert list(gw.query_pages(COUNT_USERS)) == [[]]
    assert gw.api_calls == 1 + FAST_RETRY.max_attempts

    devorg_faults.control("PUT", "faults", {"fail_next": FAST_RETRY.max_attempts})
    with pytest.raises(SalesforceUnavailable, match="503"):
        list(gw.query_pages(COUNT_USERS))
    devorg_faults.control("PUT", "faults", {"fail_next": 1, "fail_status": 500})
    assert gw.describe("Account", refresh=True)["name"] == "Account"


def test_writes_are_not_retried(devorg_faults: RunningDevorg) -> None:
    sf = devorg_faults.sf()
    opp = sf.Opportunity.create(
        {"Name": "Write once", "StageName": "Prospecting", "CloseDate": "2031-01-01"}
    )["id"]
    gw = gateway(devorg_faults)
    gw.connect()
    devorg_faults.control("PUT", "faults", {"fail_next": 1})
    failed = update_record(gw, "Opportunity", RecordUpdate(opp, {"NextStep": "never sent"}, None))
    assert failed.status is WriteStatus.WRITE_UNKNOWN
    assert gw.api_calls == 2
    update_record(gw, "Opportunity", RecordUpdate(opp, {"NextStep": "sent"}, None))
    assert sf.Opportunity.get(opp)["NextStep"] == "sent"


def test_expired_session_is_renewed_once_for_reads_and_writes(devorg: RunningDevorg) -> None:
    sf = devorg.sf()
    opp = sf.Opportunity.create(
        {"Name": "Expiry", "StageName": "Prospecting", "CloseDate": "2031-01-01"}
    )["id"]
    gw = gateway(devorg, "jwt")
    gw.connect()
    devorg.control("POST", "expire-sessions")
    done = update_record(gw, "Opportunity", RecordUpdate(opp, {"NextStep": "after expiry"}, None))
    assert done.status is WriteStatus.APPLIED
    assert gw.logins == 2
    devorg.control("POST", "expire-sessions")
    assert list(gw.query_pages(COUNT_USERS)) == [[]]
    assert gw.logins == 3


def test_salesforce_errors_map_to_request_errors(devorg: RunningDevorg) -> None:
    gw = gateway(devorg)
    with pytest.raises(SalesforceRequestError) as malformed:
        list(gw.query_pages("SELECT Nope FROM Opportunity"))
    assert malformed.value.code == "INVALID_FIELD"
    assert malformed.value.status == 400
    missing = update_record(
        gw, "Opportunity", RecordUpdate("006000000000000AAA", {"Name": "x"}, None)
    )
    assert (missing.status, missing.errors[0].code) == (WriteStatus.REFUSED, "NOT_FOUND")
    with pytest.raises(SalesforceRequestError, match="INVALID_FIELD"):
        gw.describe("Opportunity; DROP")


def test_bad_credentials_never_leak_secrets(devorg: RunningDevorg) -> None:
    secret = "Sup3r-secret-Passw0rd"
    conn = replace(connection(devorg), password=secret)
    gw = Gateway(conn, retry=FAST_RETRY)
    with pytest.raises(SalesforceAuthError) as caught:
        gw.connect()
    assert secret not in str(caught.value)
    assert devorg.seed.client_secret not in str(caught.value)
    assert secret not in repr(conn)
    assert devorg.seed.client_secret not in repr(conn)


def test_unreachable_org_is_unavailable_after_bounded_retries() -> None:
    conn = OrgConnection(
        instance_url=f"http://127.0.0.1:{free_port()}", auth_flow="client_credentials",
        client_id="x", client_secret="y", is_devorg=True,
    )  # fmt: skip
    gw = Gateway(conn, retry=FAST_RETRY)
    with pytest.raises(SalesforceUnavailable) as caught:
        gw.connect()
    assert isinstance(caught.value, GatewayError)
    assert gw.api_calls == FAST_RETRY.max_attempts


class _TokenEndpoint(requests.Session):
    """Answers every request with one canned token response."""

    def __init__(self, status: int, body: bytes) -> None:
        super().__init__()
        self.answer = (status, body)

    def request(self, *args: object, **kwargs: object) -> requests.Response:  # type: ignore[override]
        response = requests.Response()
        response.status_code, response._content = self.answer
        return response


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (200, b'{"access_token": "00Dx!abc"}', SalesforceAuthError),  # no instance_url
        (200, b"<html>login page</html>", SalesforceAuthError),
        (400, b'{"error": "invalid_grant", "error_description": "expired"}', SalesforceAuthError),
        (503, b"", SalesforceUnavailable),
    ],
)
def test_a_refresh_token_answer_that_is_not_a_session_maps_to_gateway_errors(
    status: int, body: bytes, error: type[GatewayError]
) -> None:
    conn = OrgConnection(
        instance_url="https://acme.my.salesforce.com", auth_flow="refresh_token",
        client_id="x", refresh_token="5Aep-refresh",
    )  # fmt: skip
    with pytest.raises(error) as caught:
        session_for(conn, _TokenEndpoint(status, body))
    assert "5Aep-refresh" not in str(caught.value)
