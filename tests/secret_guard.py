"""Suite-wide guard: no known secret in any log record a test emits (issue 10, Evidence).

Every test runs with a handler on the root logger at DEBUG (`no_secret_in_logs`, autouse in
tests/conftest.py); at teardown the test fails if a record's message, exception or stack text
holds a known secret. Known: the tests' settings secret key, what every devorg a test starts
was seeded with (users' passwords, the connected app's secret, the JWT private key), and what
tests register here (client secrets, tokens, codes, Salesforce refresh tokens).

Cheap by design: a record is only appended while the test runs; the records are formatted
once, at teardown, into one text searched once per secret.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from typing import Any

import httpx

import auth.clients
from tests.graphql_client import SECRET

# Shorter values would match innocent text by chance (and no real secret is that short).
_MIN_LENGTH = 8
_for_the_session: set[str] = {SECRET}
_for_the_test: set[str] = set()
# Authorization codes travel in redirect URLs by design (RFC 6749 4.1.2), so the tests' own
# browser (httpx, logging each URL at INFO) logs them: for these the HTTP client's loggers are
# not searched; every other logger is (a production log line is never about a test's browser).
_in_urls: set[str] = set()
_HTTP_CLIENT_LOGGERS = ("httpx", "httpcore")


def register_secret(*values: str | None, session: bool = False, in_urls: bool = False) -> None:
    """Make the guard fail the running test (every later test too, with `session`) if one of
    `values` reaches a log record (`in_urls`: one of a logger other than the HTTP client's).
    None and short values are ignored."""
    kept = {v for v in values if v is not None and len(v) >= _MIN_LENGTH}
    (_for_the_session if session else _for_the_test).update(kept)
    if in_urls:
        _in_urls.update(kept)


def register_pem(pem: str) -> None:
    """A PEM key: its body lines (a leak seldom keeps the armour or the line breaks)."""
    register_secret(*(line for line in pem.splitlines() if "-----" not in line), session=True)


async def register_from_response(response: httpx.Response) -> None:
    """An httpx.AsyncClient response hook: the tokens of an OAuth token answer, the code of a
    redirect (see HOOKS)."""
    location = response.headers.get("location", "")
    if "code=" in location:
        query = httpx.URL(location).params
        register_secret(query.get("code"), in_urls=True)
    if response.request.url.path.endswith("/token") and response.status_code == 200:
        await response.aread()
        try:
            body = response.json()
        except ValueError:
            return
        if isinstance(body, dict):
            register_secret(body.get("access_token"), body.get("refresh_token"))


# `httpx.AsyncClient(..., event_hooks=HOOKS)` in the OAuth tests' clients.
HOOKS: dict[str, list[Any]] = {"response": [register_from_response]}


def _registering(original: Any) -> Any:
    def register_client(*args: Any, **kwargs: Any) -> Any:
        client, secret = original(*args, **kwargs)
        register_secret(secret)
        return client, secret

    return register_client


# Every test that registers a client (a dozen modules) feeds the guard without each call site
# doing it: test modules import the name after this module (loaded by tests/conftest.py) ran.
auth.clients.register_client = _registering(auth.clients.register_client)  # type: ignore[assignment]


class _Recorder(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def _texts(records: Iterable[logging.LogRecord]) -> Iterator[str]:
    formatter = logging.Formatter()
    for record in records:
        try:
            yield record.getMessage()
        except Exception:  # a bad format string: its parts are still searched
            yield f"{record.msg} {record.args}"
        if record.exc_info:
            yield formatter.formatException(record.exc_info)
        elif record.exc_text:
            yield record.exc_text
        if record.stack_info:
            yield record.stack_info


def _searched(secret: str, record: logging.LogRecord) -> bool:
    return secret not in _in_urls or not record.name.startswith(_HTTP_CLIENT_LOGGERS)


def leaked(records: list[logging.LogRecord]) -> list[str]:
    """Which known secrets `records` hold (by length only: a failure report shows none of it)
    and in which loggers' records (one text is searched first: the common case finds none)."""
    text = "\n".join(_texts(records))
    where = {
        s: {r.name for r in records if _searched(s, r) and s in "\n".join(_texts([r]))}
        for s in _for_the_session | _for_the_test
        if s in text
    }
    return sorted(
        f"one of {len(s)} characters in {', '.join(sorted(names))}"
        for s, names in where.items()
        if names
    )


def guard() -> Iterator[None]:
    """The body of the autouse fixture (a generator: setup, the test, teardown)."""
    root = logging.getLogger()
    recorder, level = _Recorder(), root.level
    root.addHandler(recorder)
    root.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        root.removeHandler(recorder)
        root.setLevel(level)
    found = leaked(recorder.records)
    _for_the_test.clear()
    _in_urls.clear()
    if found:
        raise AssertionError(f"a known secret reached the logs: {', '.join(found)}")
