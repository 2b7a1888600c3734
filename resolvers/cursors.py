"""Opaque page cursors: a versioned, base64url-encoded offset bound to the ordering it was
issued for. Anything else a client sends back is refused with a clear error.

An offset is simple and serves every ordering (days in stage sorts on a joined table) but has
two costs, accepted for now: the database steps over every row before the page (`OFFSET n`),
so page k of a walk costs O(k x first) and reading a whole 100,000-row mirror 200 at a time is
quadratic; and a row that changes position between two requests (a sync moved its amount or
last-modified date) can be skipped or seen twice. Keyset cursors (the last row's sort value
and id) would fix both; the `opp1` version prefix lets them replace offsets without
confusing cursors already handed out.
"""

from __future__ import annotations

import base64
import binascii
import re

from resolvers.errors import InvalidCursorError
from store.queries import Ordering

_PREFIX = "opp1"
_BODY = re.compile(r"^opp1:(?P<order>[a-z_]+):(?P<direction>asc|desc):(?P<offset>\d{1,9})$")


def _order_key(ordering: Ordering) -> tuple[str, str]:
    return ordering.field.value, ordering.direction.value


def encode_cursor(ordering: Ordering, offset: int) -> str:
    field, direction = _order_key(ordering)
    raw = f"{_PREFIX}:{field}:{direction}:{offset}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, ordering: Ordering) -> int:
    """The offset after the row the cursor points at."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        raw = base64.urlsafe_b64decode(padded.encode("ascii")).decode("ascii")
    except (binascii.Error, UnicodeError, ValueError):
        raise InvalidCursorError("after: not a cursor issued by this API", field="after") from None
    match = _BODY.fullmatch(raw)
    if match is None:
        raise InvalidCursorError("after: not a cursor issued by this API", field="after")
    if (match["order"], match["direction"]) != _order_key(ordering):
        raise InvalidCursorError("after: this cursor belongs to a different orderBy", field="after")
    return int(match["offset"]) + 1
