"""The authorization endpoint's request (RFC 6749 4.1.1, PKCE RFC 7636), checked before
anyone logs in. No web framework here: api.oauth_authorize hands in the query's parameters.

Refused without a redirect (an error page; RFC 6749 4.1.2.1: the redirect URI cannot be
trusted yet): a parameter given twice, a missing, unknown or revoked client, a missing
redirect_uri or one not registered for the client, exactly as registered. Every other
refusal goes back to the (registered) redirect URI with `error` and `state`: a
response_type other than `code` (`unsupported_response_type`), a missing or malformed
`code_challenge` or a method other than S256 (`invalid_request`; `plain` is refused, and so
is no method, which RFC 7636 would read as plain), an unknown scope or one beyond the
client's (`invalid_scope`). No `scope` asks for all of the client's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import Engine

from auth.clients import RegisteredClient, find_client
from auth.scopes import ScopeError, parse_scopes

# RFC 7636 4.2: an S256 challenge is BASE64URL(SHA256(verifier)), unpadded: exactly 43
# characters of the base64url alphabet (a longer one could never match a verifier).
_CHALLENGE = re.compile(r"[A-Za-z0-9_-]{43}")
MAX_STATE_CHARS = 1_000  # it travels in URLs and in the login's session cookie


class AuthorizeError(Exception):
    """A refused authorization request. `redirect_uri` is None when the refusal must not be
    redirected (an error page instead); the description is safe to show."""

    def __init__(
        self,
        error: str,
        description: str,
        *,
        redirect_uri: str | None = None,
        state: str | None = None,
    ) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.redirect_uri = redirect_uri
        self.state = state


@dataclass(frozen=True)
class AuthorizeRequest:
    client: RegisteredClient
    redirect_uri: str
    state: str | None
    scopes: tuple[str, ...]  # asked, within the client's (the user's profile caps them later)
    code_challenge: str  # S256


def _single(params: Mapping[str, Sequence[str]]) -> dict[str, str]:
    values: dict[str, str] = {}
    for name, given in params.items():
        if len(given) > 1:
            raise AuthorizeError("invalid_request", f"the parameter {name!r} is given twice")
        values[name] = given[0] if given else ""
    return values


def check_authorize_request(
    engine: Engine, params: Mapping[str, Sequence[str]]
) -> AuthorizeRequest:
    """The request, checked (blocking: one read of the client), or AuthorizeError."""
    values = _single(params)
    client_id = values.get("client_id", "")
    if not client_id:
        raise AuthorizeError("invalid_request", "the 'client_id' parameter is required")
    client = find_client(engine, client_id)
    if client is None or not client.active:
        raise AuthorizeError("invalid_client", "unknown client")
    redirect_uri = values.get("redirect_uri", "")
    if not redirect_uri:
        raise AuthorizeError("invalid_request", "the 'redirect_uri' parameter is required")
    if redirect_uri not in client.redirect_uris:  # exactly as registered
        raise AuthorizeError("invalid_request", "the redirect_uri is not registered for client")
    state = values.get("state") or None
    if state is not None and len(state) > MAX_STATE_CHARS:
        raise AuthorizeError(
            "invalid_request", f"'state' is longer than {MAX_STATE_CHARS} characters"
        )

    def refuse(error: str, description: str) -> AuthorizeError:
        return AuthorizeError(error, description, redirect_uri=redirect_uri, state=state)

    if values.get("response_type") != "code":
        raise refuse("unsupported_response_type", "the only response_type is 'code'")
    if values.get("code_challenge_method") != "S256":
        raise refuse("invalid_request", "PKCE is required with code_challenge_method=S256")
    challenge = values.get("code_challenge", "")
    if not _CHALLENGE.fullmatch(challenge):
        raise refuse("invalid_request", "a well-formed S256 'code_challenge' is required")
    try:
        asked = parse_scopes(values["scope"]) if "scope" in values else client.scopes
    except ScopeError as error:
        raise refuse("invalid_scope", str(error)) from None
    beyond = sorted(set(asked) - set(client.scopes))
    if beyond:
        raise refuse("invalid_scope", f"the client may not be granted: {' '.join(beyond)}")
    if not asked:
        raise refuse("invalid_scope", "no scope asked for")
    return AuthorizeRequest(client, redirect_uri, state, asked, challenge)
