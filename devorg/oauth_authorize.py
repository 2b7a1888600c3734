"""/services/oauth2/authorize: the web server flow's login page, and its authorization codes.

GET shows a minimal login form (no external assets; everything echoed back is escaped). POST
checks the username and password and redirects to the registered callback with `code` and
`state`. devorg has no separate "Allow access?" step: logging in approves the app. An unknown
client or a redirect_uri that is not registered gets an error page, never a redirect (an
unregistered URI must not receive anything). A wrong password shows the form again (200).

Codes are random, stored only as hashes, single-use, and expire after 15 minutes. PKCE uses S256
only (what Salesforce supports); a challenge without a method is taken as S256.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from html import escape
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from devorg.db import OrgDatabase
from devorg.oauth_common import (
    OAuthError,
    check_login,
    find_app,
    normalise_scope,
    parse_params,
    read_form,
    state_of,
)

CODE_TTL_SECONDS = 15 * 60
_PKCE_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_HIDDEN = (
    "response_type", "client_id", "redirect_uri", "state", "scope", "code_challenge",
    "code_challenge_method",
)  # fmt: skip
_PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
LOGIN_FAILED = (
    "Please check your username and password. If you still can't log in, "
    "contact your Salesforce administrator."
)


# -- codes --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CodeGrant:
    user_id: str
    scope: str


def _code_hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def issue_code(
    db: OrgDatabase,
    *,
    user_id: str,
    client_id: str,
    redirect_uri: str,
    scope: str,
    code_challenge: str | None,
    now: float,
) -> str:
    code = "aPrx" + secrets.token_urlsafe(48)
    db.conn.execute(
        "INSERT INTO _auth_code (code_hash, user_id, client_id, redirect_uri, scope, "
        "code_challenge, code_challenge_method, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [_code_hash(code), user_id, client_id, redirect_uri, scope, code_challenge,
         "S256" if code_challenge else None, now + CODE_TTL_SECONDS],
    )  # fmt: skip
    return code


def consume_code(
    db: OrgDatabase,
    *,
    code: str,
    client_id: str,
    redirect_uri: str,
    code_verifier: str | None,
    now: float,
) -> CodeGrant:
    """Use up a code (its first presentation by its own client consumes it, whatever the
    outcome) and return what it grants, or raise Salesforce's invalid_grant error."""
    digest = _code_hash(code)
    row = db.conn.execute(
        "SELECT user_id, client_id, redirect_uri, scope, code_challenge, expires_at "
        "FROM _auth_code WHERE code_hash = ?",
        [digest],
    ).fetchone()
    if row is None or not hmac.compare_digest(str(row[1]).encode(), client_id.encode()):
        raise OAuthError("invalid_grant", "invalid authorization code")
    claimed = db.conn.execute(
        "UPDATE _auth_code SET used = 1 WHERE code_hash = ? AND used = 0", [digest]
    )
    if claimed.rowcount != 1:
        raise OAuthError("invalid_grant", "invalid authorization code")
    user_id, _, stored_redirect, scope, challenge, expires_at = row
    if float(expires_at) <= now:
        raise OAuthError("invalid_grant", "expired authorization code")
    if not hmac.compare_digest(redirect_uri.encode(), str(stored_redirect).encode()):
        raise OAuthError("invalid_grant", "redirect_uri must match configuration")
    if challenge is not None or code_verifier is not None:
        if challenge is None or code_verifier is None or not _valid_pkce(code_verifier):
            raise OAuthError("invalid_grant", "invalid code verifier")
        if not hmac.compare_digest(s256(code_verifier).encode(), str(challenge).encode()):
            raise OAuthError("invalid_grant", "invalid code verifier")
    return CodeGrant(user_id=str(user_id), scope=str(scope))


def _valid_pkce(value: str) -> bool:
    """RFC 7636: 43 to 128 characters from the unreserved set."""
    return 43 <= len(value) <= 128 and set(value) <= _PKCE_CHARS


# -- pages --------------------------------------------------------------------------------------
def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    html = (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>{escape(title)}</title><style>"
        "body{font-family:system-ui,sans-serif;background:#f3f6f9;margin:0}"
        "main{max-width:22rem;margin:4rem auto;background:#fff;padding:2rem;border-radius:.5rem;"
        "box-shadow:0 1px 4px #0002}label{display:block;margin-top:1rem}"
        "input[type=text],input[type=password]{width:100%;box-sizing:border-box;padding:.5rem}"
        "button{margin-top:1.5rem;width:100%;padding:.6rem;background:#0176d3;color:#fff;"
        "border:0;border-radius:.25rem}.error{color:#ba0517}"
        f"</style></head><body><main>{body}</main></body></html>"
    )
    return HTMLResponse(html, status_code=status, headers=_PAGE_HEADERS)


def _error_page(error: str, description: str) -> HTMLResponse:
    return _page(
        "Error",
        f"<h1>Error</h1><p class=error>error={escape(error)}</p><p>{escape(description)}</p>",
        status=400,
    )


def _login_form(params: dict[str, str], app_name: str, error: str | None) -> HTMLResponse:
    hidden = "".join(
        f'<input type=hidden name="{name}" value="{escape(params[name])}">'
        for name in _HIDDEN
        if name in params
    )
    message = f"<p class=error role=alert>{escape(error)}</p>" if error else ""
    username = escape(params.get("username", ""))
    return _page(
        "Login | devorg",
        f"<h1>Log in</h1><p>to allow <b>{escape(app_name)}</b> to access your data.</p>"
        f"{message}<form method=post action='/services/oauth2/authorize'>{hidden}"
        f'<label>Username <input type=text name=username value="{username}" '
        "autocomplete=username required></label>"
        "<label>Password <input type=password name=password autocomplete=current-password "
        "required></label><button type=submit>Log In</button></form>",
    )


def _redirect(redirect_uri: str, values: dict[str, str]) -> RedirectResponse:
    """Add `values` to the callback URL's query (keeping the query it already has)."""
    parts = urlsplit(redirect_uri)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query += [(k, v) for k, v in values.items() if v]
    target = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))
    return RedirectResponse(target, status_code=302, headers={"Cache-Control": "no-store"})


def _validate(request: Request, params: dict[str, str]) -> tuple[str, str] | Response:
    """Check the request: (app name, scope) if valid, else the response to send."""
    app = find_app(state_of(request).db, params.get("client_id", ""))
    if app is None:
        return _error_page("invalid_client_id", "client identifier invalid")
    redirect_uri = params.get("redirect_uri", "")
    if not redirect_uri or not app.allows_redirect(redirect_uri):
        return _error_page("redirect_uri_mismatch", "redirect_uri must match configuration")
    # From here on the redirect URI is registered: errors go back to it, as OAuth says.
    state = params.get("state", "")
    if params.get("response_type") != "code":
        return _redirect(redirect_uri, {"error": "unsupported_response_type",
                                        "error_description": "response type not supported",
                                        "state": state})  # fmt: skip
    challenge = params.get("code_challenge")
    method = params.get("code_challenge_method", "S256" if challenge else "")
    if (method and method != "S256") or (challenge is not None and not _valid_pkce(challenge)):
        return _redirect(redirect_uri, {"error": "invalid_request",
                                        "error_description": "invalid code challenge",
                                        "state": state})  # fmt: skip
    try:
        scope = normalise_scope(params.get("scope"))
    except OAuthError as exc:
        return _redirect(redirect_uri, {"error": exc.error,
                                        "error_description": exc.description,
                                        "state": state})  # fmt: skip
    return app.name, scope


async def authorize(request: Request) -> Response:
    try:
        if request.method == "GET":
            params = parse_params(request.url.query)
        else:
            params = await read_form(request)
    except OAuthError as exc:
        return _error_page(exc.error, exc.description)
    checked = _validate(request, params)
    if isinstance(checked, Response):
        return checked
    app_name, scope = checked
    if request.method == "GET":
        return _login_form(params, app_name, None)
    db = state_of(request).db
    user = await check_login(db, params.get("username", ""), params.get("password", ""))
    if user is None:
        return _login_form(params, app_name, LOGIN_FAILED)
    code = issue_code(
        db,
        user_id=user.user_id,
        client_id=params["client_id"],
        redirect_uri=params["redirect_uri"],
        scope=scope,
        code_challenge=params.get("code_challenge"),
        now=time.time(),
    )
    return _redirect(params["redirect_uri"], {"code": code, "state": params.get("state", "")})
