"""Errors meant for clients: each carries `extensions.code` and a message safe to show.

Anything else raised in a resolver is a bug and is masked (see api.graphql_view).
"""

from __future__ import annotations


class ClientError(Exception):
    code = "BAD_USER_INPUT"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field

    @property
    def extensions(self) -> dict[str, str]:
        extensions = {"code": self.code}
        if self.field is not None:
            extensions["field"] = self.field
        return extensions


class InvalidIdError(ClientError):
    code = "INVALID_ID"


class InvalidCursorError(ClientError):
    code = "INVALID_CURSOR"


class PageSizeError(ClientError):
    code = "BAD_USER_INPUT"


class UnknownFieldError(ClientError):
    code = "UNKNOWN_FIELD"
