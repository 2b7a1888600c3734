"""The Salesforce gateway: one `simple_salesforce.Salesforce` per org, behind a small API.

What it adds to simple-salesforce:

- **Authentication** for the four server flows (`password`, `jwt`, `client_credentials`,
  `refresh_token`), done by the gateway itself so that simple-salesforce always runs in its
  "direct" mode (`session_id` + `instance`): a 401 then surfaces here and the gateway logs in
  again **once** and repeats the request; a second 401 is a `SalesforceAuthError`.
- **Retries** of idempotent reads (queries, describe) on 500/502/503, timeouts and connection
  errors, with exponential backoff and full jitter, bounded by `RetryPolicy.max_attempts`.
  Writes are never retried (a 5xx may hide a write that happened).
- **Error mapping** to `salesforce.errors` (tokens and secrets never appear in messages).
- **Accounting**: `api_calls` counts every HTTP request this gateway sent (token requests,
  retries and pages included), counted in the `requests.Session`; `api_usage` is the org's
  `(used, total)` from the last `Sforce-Limit-Info` header seen, error responses included.
- **Metadata cache**: `describe(sobject)` and `stages()` are cached in memory until
  `refresh_metadata()` (the sync persists them in the store, see `salesforce.sync`).

Everything here blocks: async callers use `starlette.concurrency.run_in_threadpool`.
"""

from __future__ import annotations

import random
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any, Literal, TypeVar, cast
from urllib.parse import urlencode, urlsplit

import requests
from simple_salesforce.api import Salesforce, SFType
from simple_salesforce.exceptions import (
    SalesforceAuthenticationFailed,
    SalesforceError,
    SalesforceExpiredSession,
)
from simple_salesforce.login import SalesforceLogin

from salesforce.devorg_transport import DevorgSession
from salesforce.errors import (
    ApiLimitExceeded,
    GatewayError,
    SalesforceAuthError,
    SalesforceRequestError,
    SalesforceUnavailable,
    first_error,
)
from salesforce.soql import check_name, stages_query

# Salesforce's Composite resource takes at most five query subrequests per call.
MAX_COMPOSITE_QUERIES = 5

AuthFlow = Literal["password", "jwt", "client_credentials", "refresh_token"]
T = TypeVar("T")
_RETRYABLE_STATUS = frozenset({500, 502, 503, 504})
_LIMIT_INFO = re.compile(r"api-usage=(\d+)/(\d+)")


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


@dataclass(frozen=True)
class RetryPolicy:
    """Retries of idempotent reads: `max_attempts` tries in all, sleeping a random time in
    [0, min(max_delay, base_delay * 2**(attempt-1))] between them (full jitter)."""

    max_attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 8.0
    timeout: float = 60.0  # seconds, per HTTP request

    def delay(self, attempt: int, rng: random.Random) -> float:
        return rng.uniform(0, min(self.max_delay, self.base_delay * 2 ** (attempt - 1)))


class _CountingMixin(requests.Session):
    """Counts requests, applies a default timeout and reads `Sforce-Limit-Info`."""

    calls: int
    usage: tuple[int, int] | None
    default_timeout: float

    def _setup_counting(self, timeout: float) -> None:
        self.calls = 0
        self.usage = None
        self.default_timeout = timeout
        self._lock = threading.Lock()

    def request(
        self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any
    ) -> requests.Response:
        kwargs.setdefault("timeout", self.default_timeout)
        with self._lock:
            self.calls += 1
        response = super().request(method, url, *args, **kwargs)
        match = _LIMIT_INFO.search(response.headers.get("Sforce-Limit-Info", ""))
        if match:
            self.usage = (int(match.group(1)), int(match.group(2)))
        return response


class _CountingSession(_CountingMixin):
    pass


class _CountingDevorgSession(_CountingMixin, DevorgSession):
    pass


def _make_http(connection: OrgConnection, timeout: float) -> _CountingMixin:
    http: _CountingMixin
    if connection.is_devorg:
        http = _CountingDevorgSession(connection.instance_url)
    else:
        http = _CountingSession()
    http._setup_counting(timeout)
    return http


class Gateway:
    """One org's Salesforce connection (thread-safe enough for one sync plus writes)."""

    def __init__(
        self,
        connection: OrgConnection,
        *,
        retry: RetryPolicy | None = None,
        reserve_calls: int = 0,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        """`reserve_calls`: refuse (ApiLimitExceeded) to spend the last N calls of the org's
        daily budget, left to the org's other integrations. Logs in lazily, on first use."""
        self.connection = connection
        self.retry = retry or RetryPolicy()
        self.reserve_calls = reserve_calls
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._http = _make_http(connection, self.retry.timeout)
        self._sf: Salesforce | None = None
        self._login_lock = threading.Lock()
        self._describes: dict[str, dict[str, Any]] = {}
        self._stages: list[dict[str, Any]] | None = None
        self.logins = 0

    # -- accounting ---------------------------------------------------------------------------
    @property
    def api_calls(self) -> int:
        """HTTP requests sent by this gateway so far (token requests and retries included)."""
        return self._http.calls

    @property
    def api_usage(self) -> tuple[int, int] | None:
        """The org's (used, total) daily API requests, from the last response seen."""
        return self._http.usage

    # -- authentication -------------------------------------------------------------------------
    def _login(self) -> Salesforce:
        conn = self.connection
        domain = conn.login_domain()
        try:
            if conn.auth_flow == "refresh_token":
                token, instance = self._refresh_token_login(domain)
            elif conn.auth_flow == "password":
                token, instance = SalesforceLogin(
                    username=conn.username,
                    password=conn.password,
                    consumer_key=conn.client_id,
                    consumer_secret=conn.client_secret,
                    domain=domain,
                    session=self._http,
                )
            elif conn.auth_flow == "jwt":
                token, instance = SalesforceLogin(
                    username=conn.username,
                    consumer_key=conn.client_id,
                    privatekey=conn.private_key,
                    privatekey_file=conn.private_key_file,
                    domain=domain,
                    session=self._http,
                )
            elif conn.auth_flow == "client_credentials":
                token, instance = SalesforceLogin(
                    consumer_key=conn.client_id,
                    consumer_secret=conn.client_secret,
                    domain=domain,
                    session=self._http,
                )
            else:
                raise SalesforceAuthError(f"unknown auth flow {conn.auth_flow!r}")
        except SalesforceAuthenticationFailed as exc:
            raise SalesforceAuthError(
                f"{conn.auth_flow} login refused: {exc.code}: {str(exc.message)[:300]}"
            ) from None
        except (requests.Timeout, requests.ConnectionError) as exc:
            raise SalesforceUnavailable(f"login failed: {type(exc).__name__}") from None
        self.logins += 1
        return Salesforce(
            session_id=str(token),
            instance=str(instance),
            version=conn.api_version,
            session=self._http,
            object_pairs_hook=dict,
        )

    def _refresh_token_login(self, domain: str) -> tuple[str, str]:
        conn = self.connection
        response = self._http.post(
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
        instance = urlsplit(str(body["instance_url"])).netloc
        return str(body["access_token"]), instance

    def connect(self) -> None:
        """Log in now if not logged in yet (otherwise the first call does)."""
        self._client()

    def _client(self) -> Salesforce:
        with self._login_lock:
            if self._sf is None:
                self._sf = self._login_with_retry()
            return self._sf

    def _login_with_retry(self) -> Salesforce:
        attempt = 0
        while True:
            attempt += 1
            try:
                return self._login()
            except SalesforceUnavailable:
                if attempt >= self.retry.max_attempts:
                    raise
                self._sleep(self.retry.delay(attempt, self._rng))

    def _invalidate(self, stale: Salesforce) -> None:
        with self._login_lock:
            if self._sf is stale:
                self._sf = None

    # -- the call wrapper -----------------------------------------------------------------------
    def _check_reserve(self) -> None:
        usage = self.api_usage
        if self.reserve_calls and usage is not None:
            used, total = usage
            if total - used <= self.reserve_calls:
                raise ApiLimitExceeded(
                    f"API budget reserve reached ({used}/{total} used, {self.reserve_calls} "
                    "kept for other integrations)",
                    used,
                    total,
                )

    def _call(self, op: Callable[[Salesforce], T], *, idempotent: bool) -> T:
        attempt = 0
        reauthenticated = False
        while True:
            self._check_reserve()
            sf = self._client()
            attempt += 1
            try:
                return op(sf)
            except SalesforceExpiredSession:
                # The request was not processed: safe to repeat, reads and writes alike.
                if reauthenticated:
                    raise SalesforceAuthError(
                        "Salesforce refused a freshly issued session (401)"
                    ) from None
                reauthenticated = True
                attempt -= 1
                self._invalidate(sf)
            except SalesforceError as exc:
                status = int(exc.status)
                code, message, fields = first_error(exc.content)
                if code == "REQUEST_LIMIT_EXCEEDED":
                    usage = self.api_usage
                    raise ApiLimitExceeded(
                        f"{code}: {message}",
                        usage[0] if usage else None,
                        usage[1] if usage else None,
                    ) from None
                if status not in _RETRYABLE_STATUS:
                    raise SalesforceRequestError(code, message, fields, status) from None
                if not idempotent or attempt >= self.retry.max_attempts:
                    raise SalesforceUnavailable(
                        f"Salesforce answered {status} {code} ({attempt} attempt(s))"
                    ) from None
            except (requests.Timeout, requests.ConnectionError) as exc:
                if not idempotent or attempt >= self.retry.max_attempts:
                    raise SalesforceUnavailable(
                        f"{type(exc).__name__} talking to Salesforce ({attempt} attempt(s))"
                    ) from None
            self._sleep(self.retry.delay(attempt, self._rng))

    # -- reads ----------------------------------------------------------------------------------
    def query_pages(self, soql: str, include_deleted: bool = False) -> Iterator[list[Any]]:
        """The records of `soql`, one list per page (each page one API call, retried alone)."""
        first = self._call(
            lambda sf: sf.query(soql, include_deleted=include_deleted), idempotent=True
        )
        return self.pages_from(first)

    def pages_from(self, result: dict[str, Any]) -> Iterator[list[Any]]:
        """The records of a first result page, then of each next page (one API call each)."""
        while True:
            yield list(result["records"])
            if result.get("done", True):
                return
            next_url = str(result["nextRecordsUrl"])
            result = self._call(partial(_query_more, next_url=next_url), idempotent=True)

    def first_pages(self, queries: Sequence[tuple[str, bool]]) -> list[dict[str, Any]]:
        """The first result page of each (soql, include_deleted) query, all in ONE API call:
        the Composite resource counts as a single request against the daily budget and takes
        at most MAX_COMPOSITE_QUERIES queries."""
        if not 1 <= len(queries) <= MAX_COMPOSITE_QUERIES:
            raise ValueError(f"1 to {MAX_COMPOSITE_QUERIES} queries per composite call")
        base = f"/services/data/v{self.connection.api_version}"
        body = {
            "allOrNone": False,
            "compositeRequest": [
                {
                    "method": "GET",
                    "url": f"{base}/{'queryAll' if deleted else 'query'}/?"
                    + urlencode({"q": soql}),
                    "referenceId": f"q{number}",
                }
                for number, (soql, deleted) in enumerate(queries)
            ],
        }
        answer = self._call(
            lambda sf: cast(dict[str, Any], sf.restful("composite", method="POST", json=body)),
            idempotent=True,
        )
        pages: list[dict[str, Any]] = []
        for sub in answer["compositeResponse"]:
            if int(sub["httpStatusCode"]) >= 400:
                code, message, fields = first_error(sub["body"])
                raise SalesforceRequestError(code, message, fields, int(sub["httpStatusCode"]))
            pages.append(sub["body"])
        return pages

    def query_all_iter(self, soql: str, include_deleted: bool = False) -> Iterator[Any]:
        """Every record of `soql`, following pages lazily."""
        for page in self.query_pages(soql, include_deleted=include_deleted):
            yield from page

    def describe(self, sobject: str, *, refresh: bool = False) -> dict[str, Any]:
        """The sObject describe, cached in memory until `refresh_metadata()`."""
        check_name(sobject)
        if refresh or sobject not in self._describes:
            self._describes[sobject] = self._call(
                lambda sf: cast(SFType, getattr(sf, sobject)).describe(), idempotent=True
            )
        return self._describes[sobject]

    def prime_describe(self, sobject: str, describe: dict[str, Any]) -> None:
        """Seed the cache with a describe persisted earlier (no API call)."""
        self._describes[sobject] = describe

    def stages(self, *, refresh: bool = False) -> list[dict[str, Any]]:
        """OpportunityStage rows ordered by SortOrder, cached until `refresh_metadata()`."""
        if refresh or self._stages is None:
            self._stages = list(self.query_all_iter(stages_query()))
        return self._stages

    def refresh_metadata(self) -> None:
        """Forget cached describes and stages: the next call reads them again."""
        self._describes.clear()
        self._stages = None

    def deleted(self, sobject: str, start: datetime, end: datetime) -> dict[str, Any]:
        """sObject Get Deleted for [start, end) (Salesforce keeps about 15 days)."""
        check_name(sobject)
        result = self._call(
            lambda sf: cast(SFType, getattr(sf, sobject)).deleted(start, end), idempotent=True
        )
        return cast(dict[str, Any], result)

    # -- writes ---------------------------------------------------------------------------------
    def update(self, sobject: str, record_id: str, fields: dict[str, Any]) -> None:
        """PATCH one record (not retried; a 401 is re-authenticated and repeated once)."""
        check_name(sobject)
        if not re.fullmatch(r"[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?", record_id):
            raise SalesforceRequestError("MALFORMED_ID", "not a Salesforce id", ("Id",))
        self._call(
            lambda sf: cast(SFType, getattr(sf, sobject)).update(record_id, fields),
            idempotent=False,
        )

    def close(self) -> None:
        self._http.close()


def _query_more(sf: Salesforce, next_url: str) -> Any:
    return sf.query_more(next_url, identifier_is_url=True)


def private_key_text(path: str | None) -> str | None:
    """The PEM text of a key file, for OrgConnection.private_key (None if no path)."""
    return Path(path).read_text() if path else None


__all__ = [
    "AuthFlow",
    "Gateway",
    "GatewayError",
    "OrgConnection",
    "RetryPolicy",
    "private_key_text",
]
