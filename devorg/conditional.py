"""Salesforce's conditional requests on sObject Rows, as its REST API guide documents them:
`If-Unmodified-Since` (GET, PATCH) answers 412 when the record's LastModifiedDate is later
than the header's moment, `If-Modified-Since` (GET) answers 304 when it is not.

HTTP-dates have one-second resolution, so LastModifiedDate is compared truncated to its
second: a change saved later within the second the header names passes. A header that is no
HTTP-date is ignored, as HTTP says of malformed conditional headers.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from devorg.db import parse_sf_datetime
from devorg.write_body import ErrorItem, WriteError

CHANGED = ErrorItem(
    "PRECONDITION_FAILED", "The requested resource has been modified since the provided date/time."
)


class NotModified(Exception):
    """If-Modified-Since on a GET of a record not modified since: answer 304."""


def _header_moment(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _last_modified(row: dict[str, Any]) -> datetime | None:
    stored = row.get("LastModifiedDate")
    return parse_sf_datetime(stored).replace(microsecond=0) if stored else None


def check_conditions(headers: Any, row: dict[str, Any], *, reading: bool) -> None:
    """Raise WriteError 412 (or NotModified, for a read) when the request's conditions fail."""
    modified = _last_modified(row)
    if modified is None:
        return
    unmodified_since = _header_moment(headers.get("if-unmodified-since"))
    if unmodified_since is not None and modified > unmodified_since:
        raise WriteError(CHANGED, status=412)
    modified_since = _header_moment(headers.get("if-modified-since")) if reading else None
    if modified_since is not None and modified <= modified_since:
        raise NotModified
