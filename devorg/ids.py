"""Salesforce record ids: 15 case-sensitive characters plus a 3-character case-safe suffix.

The suffix encodes, for each 5-character chunk, which characters are upper case, exactly as
Salesforce computes it, so ids look and convert like real ones.
"""

from __future__ import annotations

import re

_SUFFIX_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_ID_RE = re.compile(r"^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$")

# The (fixed) pod/instance characters that follow the key prefix in every devorg id.
_POD = "5g0"


def _suffix(id15: str) -> str:
    out = []
    for chunk in range(3):
        bits = 0
        for pos, char in enumerate(id15[chunk * 5 : chunk * 5 + 5]):
            if "A" <= char <= "Z":
                bits |= 1 << pos
        out.append(_SUFFIX_ALPHABET[bits])
    return "".join(out)


def make_id(prefix: str, number: int) -> str:
    """The 18-character id of the `number`-th record of the object with key `prefix`."""
    digits = []
    n = number
    for _ in range(9):
        n, rem = divmod(n, 62)
        digits.append(_BASE62[rem])
    if n:
        raise ValueError(f"record number {number} does not fit a Salesforce id")
    id15 = prefix + _POD + "".join(reversed(digits))
    return id15 + _suffix(id15)


def normalize_id(value: str) -> str | None:
    """The 18-character form of a 15- or 18-character id, or None if it is not id-shaped."""
    if not _ID_RE.match(value):
        return None
    id15 = value[:15]
    return id15 + _suffix(id15)


def key_prefix(record_id: str) -> str:
    return record_id[:3]
