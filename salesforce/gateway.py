"""The Salesforce gateway: one `simple_salesforce.Salesforce` per org, behind a small API.

What it adds to simple-salesforce:

- **Authentication** for the four server flows (`salesforce.login`), done by the gateway
  itself so that simple-salesforce always runs in its "direct" mode (`session_id` +
  `instance`): a 401 then surfaces here and the gateway logs in again **once** and repeats the
  request; a second 401 is a `SalesforceAuthError`.
- **Retries** of idempotent reads (queries, describe) on 500/502/503, timeouts and connection
  errors, with exponential backoff and full jitter, bounded by `RetryPolicy.max_attempts`.
  Writes are never retried (a 5xx may hide a write that happened): such a failure is
  `WriteOutcomeUnknown`, resolved by reading the record back (salesforce.writes).
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
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from email.utils import parsedate_to_datetime
from functools import partial
from typing import Any, TypeVar, cast
from urllib.parse import urlencode

import requests
from simple_salesforce.api import Salesforce, SFType
from simple_salesforce.exceptions import SalesforceError, SalesforceExpiredSession

from rules.validation_import import ValidationRuleRecord
from salesforce.devorg_transport import DevorgSession
from salesforce.errors import (
    ApiLimitExceeded,
    GatewayError,
    SalesforceAuthError,
    SalesforceRequestError,
    SalesforceUnavailable,
    WriteOutcomeUnknown,
    error_items,
    first_error,
)
from salesforce.login import OrgConnection, session_for
from salesforce.soql import check_name, stages_query
from salesforce.validation_rules import read_validation_rules

# Salesforce's Composite resource takes at most five query subrequests per call.
MAX_COMPOSITE_QUERIES = 5

T = TypeVar("T")
_RETRYABLE_STATUS = frozenset({500, 502, 503, 504})
_LIMIT_INFO = re.compile(r"api-usage=(\d+)/(\d+)")


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
    server_time: datetime | None
    default_timeout: float

    def _setup_counting(self, timeout: float) -> None:
        self.calls = 0
        self.usage = None
        self.server_time = None
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
        self.server_time = _http_date(response.headers.get("Date")) or self.server_time
        return response


def _http_date(value: str | None) -> datetime | None:
    """The aware UTC moment of an HTTP `Date` header, or None if absent or malformed."""
    if not value:
        return None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


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
    def server_time(self) -> datetime | None:
        """Salesforce's clock at its last answer (HTTP `Date`, to the second)."""
        return self._http.server_time

    @property
    def api_usage(self) -> tuple[int, int] | None:
        """The org's (used, total) daily API requests, from the last response seen."""
        return self._http.usage

    # -- authentication -------------------------------------------------------------------------
    def _login(self) -> Salesforce:
        token, instance = session_for(self.connection, self._http)
        self.logins += 1
        return Salesforce(
            session_id=token,
            instance=instance,
            version=self.connection.api_version,
            session=self._http,
            object_pairs_hook=dict,
            # JSON numbers with a fraction (Amount: 58500.1) become exact Decimals, never
            # floats. simple-salesforce applies it to query, queryMore and restful results;
            # its SFType calls (describe, deleted, update) still parse floats.
            parse_float=Decimal,
        )

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

    def call(self, op: Callable[[Salesforce], T], *, idempotent: bool) -> T:
        """Run `op` on the org's client: re-authenticated once on a 401 (the request was not
        processed, so reads and writes alike are repeated), idempotent reads retried on 5xx,
        timeouts and connection errors. A write (`idempotent=False`) is never repeated after
        it may have reached Salesforce: such a failure is WriteOutcomeUnknown, which the caller
        resolves by reading the record back (salesforce.writes)."""
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
                    raise SalesforceRequestError(
                        code, message, fields, status, items=error_items(exc.content)
                    ) from None
                if not idempotent:
                    raise WriteOutcomeUnknown(
                        f"Salesforce answered {status} {code} to a write"
                    ) from None
                if attempt >= self.retry.max_attempts:
                    raise SalesforceUnavailable(
                        f"Salesforce answered {status} {code} ({attempt} attempt(s))"
                    ) from None
            except (requests.Timeout, requests.ConnectionError) as exc:
                if not idempotent:
                    raise WriteOutcomeUnknown(
                        f"{type(exc).__name__} talking to Salesforce during a write"
                    ) from None
                if attempt >= self.retry.max_attempts:
                    raise SalesforceUnavailable(
                        f"{type(exc).__name__} talking to Salesforce ({attempt} attempt(s))"
                    ) from None
            self._sleep(self.retry.delay(attempt, self._rng))

    # -- reads ----------------------------------------------------------------------------------
    def query_pages(self, soql: str, include_deleted: bool = False) -> Iterator[list[Any]]:
        """The records of `soql`, one list per page (each page one API call, retried alone)."""
        first = self.call(
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
            result = self.call(partial(_query_more, next_url=next_url), idempotent=True)

    def first_pages(
        self, queries: Sequence[tuple[str, bool]], *, optional: Collection[int] = ()
    ) -> list[dict[str, Any] | SalesforceRequestError]:
        """The first result page of each (soql, include_deleted) query, all in ONE API call:
        the Composite resource counts as a single request against the daily budget and takes
        at most MAX_COMPOSITE_QUERIES queries. A query Salesforce refuses raises its
        SalesforceRequestError, unless its index is in `optional`: then its error stands in
        its place and the other queries' pages are still returned."""
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
        answer = self.call(
            lambda sf: cast(dict[str, Any], sf.restful("composite", method="POST", json=body)),
            idempotent=True,
        )
        pages: list[dict[str, Any] | SalesforceRequestError] = []
        for number, sub in enumerate(answer["compositeResponse"]):
            status = int(sub["httpStatusCode"])
            if status < 400:
                pages.append(sub["body"])
                continue
            code, message, fields = first_error(sub["body"])
            error = SalesforceRequestError(code, message, fields, status)
            if number not in optional:
                raise error
            pages.append(error)
        return pages

    def query_all_iter(self, soql: str, include_deleted: bool = False) -> Iterator[Any]:
        """Every record of `soql`, following pages lazily."""
        for page in self.query_pages(soql, include_deleted=include_deleted):
            yield from page

    def describe(self, sobject: str, *, refresh: bool = False) -> dict[str, Any]:
        """The sObject describe, cached in memory until `refresh_metadata()`."""
        check_name(sobject)
        if refresh or sobject not in self._describes:
            self._describes[sobject] = self.call(
                lambda sf: cast(SFType, getattr(sf, sobject)).describe(), idempotent=True
            )
        return self._describes[sobject]

    def tooling_query_all(self, soql: str) -> list[Any]:
        """Every record of a Tooling API query (each page one API call, retried alone)."""
        first = self.call(
            lambda sf: sf.toolingexecute("query/", params={"q": soql}), idempotent=True
        )
        return [record for page in self.pages_from(first) for record in page]

    def validation_rules(self, sobject: str = "Opportunity") -> list[ValidationRuleRecord]:
        """The sObject's active validation rules with their formulas: one Tooling API query
        for the list, then one per rule (Salesforce serves `Metadata` one rule at a time)."""
        return read_validation_rules(self.tooling_query_all, check_name(sobject))

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
        result = self.call(
            lambda sf: cast(SFType, getattr(sf, sobject)).deleted(start, end), idempotent=True
        )
        return cast(dict[str, Any], result)

    def close(self) -> None:
        self._http.close()


def _query_more(sf: Salesforce, next_url: str) -> Any:
    return sf.query_more(next_url, identifier_is_url=True)


__all__ = [
    "Gateway",
    "GatewayError",
    "RetryPolicy",
]
