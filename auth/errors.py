"""`AuthenticationError`: the request has no valid principal.

Every way of failing to authenticate raises it (or a subclass): a missing, malformed, forged or
expired token (`auth.access_tokens.AccessTokenError`, `auth.dev_tokens.DevTokenError`), a revoked
one, and a valid token whose user is
unknown or inactive in its org (`auth.principals.resolve_principal`). The API answers it as a
top-level GraphQL error with `extensions.code` UNAUTHENTICATED (HTTP 401 for clients that ask
for `application/graphql-response+json`, with `WWW-Authenticate: Bearer`). Its message is safe
to show a client: it never contains the token.

A refused permission (the principal is known but may not do this) is not an authentication
error: see auth.permissions.
"""

from __future__ import annotations


class AuthenticationError(Exception):
    code = "UNAUTHENTICATED"

    @property
    def extensions(self) -> dict[str, str]:
        # graphql-core copies `extensions` of the original exception onto the GraphQL error.
        return {"code": self.code}
