"""Salesforce record ids: validated and normalised to their 18-character form."""

from __future__ import annotations

import re

from resolvers.errors import InvalidIdError

_ID = re.compile(r"^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$")
_SUFFIX_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"


def _suffix(id15: str) -> str:
    suffix = ""
    for start in range(0, 15, 5):
        chunk = id15[start : start + 5]
        bits = sum(1 << i for i, char in enumerate(chunk) if char.isupper())
        suffix += _SUFFIX_ALPHABET[bits]
    return suffix


def normalize_id(value: str, *, prefix: str | None = None, argument: str = "id") -> str:
    """An 18-character id, or InvalidIdError (a 15-character id gets its checksum suffix)."""
    if not _ID.fullmatch(value) or (prefix is not None and not value.startswith(prefix)):
        kind = f" with prefix {prefix}" if prefix else ""
        raise InvalidIdError(f"{argument}: not a valid Salesforce record id{kind}", field=argument)
    return value + _suffix(value) if len(value) == 15 else value


# dealpulse's own ids (store.process_models.new_id): a prefix, "_", 20 url-safe characters.
_OPAQUE = re.compile(r"^(?P<prefix>[a-z]{1,8})_[A-Za-z0-9_-]{20}$")


def opaque_id(value: str, *, prefix: str, argument: str = "id") -> str:
    """`value` if it is an id dealpulse issued with `prefix` ("rule", "ms"...), else
    InvalidIdError (never the Salesforce id validator: these are not Salesforce ids)."""
    match = _OPAQUE.fullmatch(value)
    if match is None or match["prefix"] != prefix:
        raise InvalidIdError(f"{argument}: not a valid {prefix} id", field=argument)
    return value
