"""Refusing text no database can store, before anything runs.

JSON can carry the NUL character (`"\\u0000"`) and unpaired UTF-16 surrogates (`"\\ud800"`),
and a GraphQL string literal can carry NUL; Python keeps both in a `str`. PostgreSQL text
cannot hold NUL, and a surrogate is no Unicode character, so it cannot be encoded as UTF-8
for SQLite or PostgreSQL: either would crash the write it reaches (or a query's bound
parameter) as an "Unexpected error." Every string of the document and of the variables is
checked once here, so each resolver need not: the client gets a BAD_USER_INPUT error and
nothing runs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from graphql import DocumentNode, GraphQLError, StringValueNode, Visitor, visit
from strawberry.extensions import SchemaExtension

UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
REASON = "text cannot contain the NUL character (U+0000) or an unpaired surrogate"


def unstorable_variable(value: object, path: str) -> str | None:
    """The path (`$input.name`) of the first string in `value` that cannot be stored.
    Iterative: variables may nest as deep as the JSON parser allows."""
    pending: list[tuple[object, str]] = [(value, path)]
    while pending:
        item, where = pending.pop()
        if isinstance(item, str):
            if UNSTORABLE.search(item):
                return where
        elif isinstance(item, dict):
            pending.extend((v, f"{where}.{k}") for k, v in reversed(item.items()))
        elif isinstance(item, list):
            pending.extend((v, f"{where}.{i}") for i, v in reversed(list(enumerate(item))))
    return None


class _Literals(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.found: StringValueNode | None = None

    def enter_string_value(self, node: StringValueNode, *_: object) -> None:
        if self.found is None and UNSTORABLE.search(node.value):
            self.found = node


def refusal(
    variables: dict[str, object] | None, document: DocumentNode | None
) -> GraphQLError | None:
    """The error for the first unstorable string of the variables, then of the literals."""
    for name, value in (variables or {}).items():
        path = unstorable_variable(value, f"${name}")
        if path is not None:
            extensions = {"code": "BAD_USER_INPUT", "field": path}
            return GraphQLError(f"{path}: {REASON}", extensions=extensions)
    if document is None:
        return None
    literals = _Literals()
    visit(document, literals)
    if literals.found is None:
        return None
    return GraphQLError(
        f"a string literal: {REASON}", literals.found, extensions={"code": "BAD_USER_INPUT"}
    )


class RefuseUnstorableText(SchemaExtension):
    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        error = refusal(context.variables, context.graphql_document)
        if error is not None:
            # Errors set before validation end the operation there, as validation's would.
            context.pre_execution_errors = [error]
        yield
