"""The gateway's exceptions: what callers of `salesforce` catch, never simple-salesforce's own.

    GatewayError                 anything the gateway raises on purpose
    ├── SalesforceUnavailable    5xx, timeouts, connection errors (after the retries ran out)
    │   └── WriteOutcomeUnknown  the same during a write: it may have happened (never retried)
    ├── SalesforceAuthError      login refused, or a 401 again right after re-authenticating
    ├── ApiLimitExceeded         the org's daily API budget is spent (403 REQUEST_LIMIT_EXCEEDED,
    │                            or the gateway's own reserve would be crossed)
    └── SalesforceRequestError   Salesforce refused this request (400/403/404/...): `code`,
                                 `message`, `fields`, `status`, and every error `items`

Messages carry Salesforce's error code and message only: never a token, password, client secret
or private key (Salesforce does not echo them, and the gateway never adds them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

# Salesforce answers a refused write with one error object per problem; a few are kept.
MAX_ITEMS = 20


@dataclass(frozen=True)
class ErrorItem:
    """One of Salesforce's error objects: `{"errorCode", "message", "fields"}`."""

    code: str
    message: str
    fields: tuple[str, ...] = ()


class GatewayError(Exception):
    """Base of every error the Salesforce gateway raises."""


class SalesforceUnavailable(GatewayError):
    """Salesforce did not answer usefully (5xx, timeout, network error) after bounded retries."""


class WriteOutcomeUnknown(SalesforceUnavailable):
    """A write failed in a way that does not say whether Salesforce applied it (a timeout, a
    5xx, a dropped connection): read the record back before telling anyone anything."""


class SalesforceAuthError(GatewayError):
    """The org's credentials were refused, or a fresh session was refused again."""


class ApiLimitExceeded(GatewayError):
    """The org's daily API request budget is exhausted (or the configured reserve is reached)."""

    def __init__(self, message: str, used: int | None = None, total: int | None = None) -> None:
        super().__init__(message)
        self.used = used
        self.total = total


class SalesforceRequestError(GatewayError):
    """Salesforce answered this request with an error: not retried, not an outage."""

    def __init__(
        self,
        code: str,
        message: str,
        fields: Sequence[str] = (),
        status: int | None = None,
        *,
        items: Sequence[ErrorItem] = (),
    ) -> None:
        super().__init__(
            f"{code}: {message}" + (f" (fields: {', '.join(fields)})" if fields else "")
        )
        self.code = code
        self.message = message
        self.fields = tuple(fields)
        self.status = status
        self.items = tuple(items) or (ErrorItem(code, message, self.fields),)


def first_error(content: Any) -> tuple[str, str, tuple[str, ...]]:
    """(errorCode, message, fields) of a Salesforce error body (a list of error objects, or an
    OAuth error object); ("UNKNOWN", "", ()) for anything else. Bounded in length."""
    item: Any = content[0] if isinstance(content, list) and content else content
    return _item(item)


def error_items(content: Any) -> tuple[ErrorItem, ...]:
    """Every error object of a Salesforce error body (at most MAX_ITEMS), as first_error reads
    each; one UNKNOWN item for a body that is no list of them."""
    items = content[:MAX_ITEMS] if isinstance(content, list) and content else [content]
    return tuple(ErrorItem(*_item(item)) for item in items)


def _item(item: Any) -> tuple[str, str, tuple[str, ...]]:
    if not isinstance(item, dict):
        return "UNKNOWN", str(item)[:300] if item is not None else "", ()
    code = item.get("errorCode") or item.get("error") or "UNKNOWN"
    message = item.get("message") or item.get("error_description") or ""
    raw_fields = item.get("fields") or ()
    fields = tuple(str(f) for f in raw_fields) if isinstance(raw_fields, list) else ()
    return str(code)[:100], str(message)[:500], fields
