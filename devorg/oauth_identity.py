"""Salesforce's identity service and token revocation.

- GET/POST /services/oauth2/userinfo: the OpenID Connect UserInfo JSON of the token's user.
- GET /id/{orgId}/{userId}: the identity URL a token response names in `id`.
- GET/POST /services/oauth2/revoke: revoke an access or refresh token (a refresh token takes its
  access tokens with it). 200 with an empty body, or 400 `unsupported_token_type`.

The identity service does not answer like the REST API: a missing or unusable token gets HTTP 403
with a one-word plain-text body (`Missing_OAuth_Token`, `Bad_OAuth_Token`), an unknown user 404
`Bad_Id`. The token may come as `Authorization: Bearer|OAuth <token>` or as an `access_token` /
`oauth_token` parameter in a POST body. Salesforce also reads those parameters from the query
string; devorg does not, so that live tokens never land in access logs. (A revoke by GET carries
its token in the query, as Salesforce documents, but that token is dead once the call returns.)
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from devorg import sessions
from devorg.db import parse_sf_datetime
from devorg.ids import normalize_id
from devorg.oauth_common import (
    NO_STORE,
    OAuthError,
    identity_url,
    org_id,
    parse_params,
    read_form,
    state_of,
)
from devorg.sessions import Session
from devorg.state import DevorgState

_TOKEN = re.compile(r"^(?:Bearer|OAuth)\s+(\S+)$", re.IGNORECASE)
_MAX_TOKEN = 512


def _plain(status: int, code: str) -> Response:
    return PlainTextResponse(code, status_code=status, headers=NO_STORE)


async def _params(request: Request) -> dict[str, str]:
    # A token is taken from a POST body but not from the query string (which access logs keep).
    return await read_form(request) if request.method == "POST" else {}


async def _session(request: Request) -> tuple[str, Session] | Response:
    """The token's live session, or the identity service's 403 answer."""
    match = _TOKEN.match(request.headers.get("authorization", ""))
    try:
        params = await _params(request)
    except OAuthError:
        return _plain(400, "Bad_Request")
    token = match.group(1) if match else params.get("access_token") or params.get("oauth_token")
    if not token:
        return _plain(403, "Missing_OAuth_Token")
    session = sessions.lookup(state_of(request).db, token) if len(token) <= _MAX_TOKEN else None
    if session is None:
        return _plain(403, "Bad_OAuth_Token")
    return token, session


def _user_row(state: DevorgState, user_id: str) -> dict[str, Any] | None:
    cursor = state.db.conn.execute(
        'SELECT "Id", "Username", "FirstName", "LastName", "Name", "Email", "Alias", '
        '"IsActive", "TimeZoneSidKey", "LastModifiedDate" FROM "User" WHERE "Id" = ?',
        [user_id],
    )
    row = cursor.fetchone()
    if row is None:
        return None
    return dict(zip([d[0] for d in cursor.description], row, strict=True))


def _utc_offset_ms(zone: str | None) -> int:
    try:
        offset = datetime.now(ZoneInfo(zone or "UTC")).utcoffset()
    except (ZoneInfoNotFoundError, ValueError):
        return 0
    return int(offset.total_seconds() * 1000) if offset is not None else 0


def _updated_at(user: dict[str, Any]) -> str | None:
    value = user.get("LastModifiedDate")
    if not value:
        return None
    moment = parse_sf_datetime(str(value)).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _urls(state: DevorgState, user_id: str) -> dict[str, str]:
    base = state.settings.instance_url
    org15 = org_id(state.db)[:15]
    data = f"{base}/services/data/v{{version}}"
    return {
        "enterprise": f"{base}/services/Soap/c/{{version}}/{org15}",
        "metadata": f"{base}/services/Soap/m/{{version}}/{org15}",
        "partner": f"{base}/services/Soap/u/{{version}}/{org15}",
        "rest": f"{data}/",
        "sobjects": f"{data}/sobjects/",
        "search": f"{data}/search/",
        "query": f"{data}/query/",
        "recent": f"{data}/recent/",
        "tooling_soap": f"{base}/services/Soap/T/{{version}}/{org15}",
        "tooling_rest": f"{data}/tooling/",
        "profile": f"{base}/{user_id}",
        "feeds": f"{data}/chatter/feeds",
        "groups": f"{data}/chatter/groups",
        "users": f"{data}/chatter/users",
        "feed_items": f"{data}/chatter/feed-items",
        "feed_elements": f"{data}/chatter/feed-elements",
        "custom_domain": base,
    }


def _photos(state: DevorgState) -> dict[str, str]:
    base = state.settings.instance_url
    return {"picture": f"{base}/profilephoto/005/F", "thumbnail": f"{base}/profilephoto/005/T"}


def _userinfo_body(state: DevorgState, user: dict[str, Any]) -> dict[str, Any]:
    user_id = str(user["Id"])
    photos = _photos(state)
    return {
        "sub": identity_url(state, user_id),
        "user_id": user_id,
        "organization_id": org_id(state.db),
        "preferred_username": user["Username"],
        "nickname": user["Alias"],
        "name": user["Name"],
        "email": user["Email"],
        "email_verified": True,
        "given_name": user["FirstName"],
        "family_name": user["LastName"],
        "zoneinfo": user["TimeZoneSidKey"],
        "photos": photos,
        "profile": f"{state.settings.instance_url}/{user_id}",
        "picture": photos["picture"],
        "address": {},
        "is_salesforce_integration_user": False,
        "urls": _urls(state, user_id),
        "active": bool(user["IsActive"]),
        "user_type": "STANDARD",
        "language": "en_US",
        "locale": "en_US",
        "utcOffset": _utc_offset_ms(user["TimeZoneSidKey"]),
        "updated_at": _updated_at(user),
        "is_app_installed": True,
    }


def _active_user(state: DevorgState, user_id: str | None) -> dict[str, Any] | Response:
    """The user's row, or the identity service's 404 for an unknown or inactive user."""
    user = _user_row(state, user_id) if user_id else None
    if user is None:
        return _plain(404, "Bad_Id")
    if not user["IsActive"]:
        return _plain(404, "Inactive")
    return user


async def userinfo(request: Request) -> Response:
    found = await _session(request)
    if isinstance(found, Response):
        return found
    state = state_of(request)
    user = _active_user(state, found[1].user_id)
    if isinstance(user, Response):
        return user
    return JSONResponse(_userinfo_body(state, user), headers=NO_STORE)


async def identity(request: Request) -> Response:
    found = await _session(request)
    if isinstance(found, Response):
        return found
    state = state_of(request)
    session = found[1]
    if normalize_id(request.path_params["org_id"]) != org_id(state.db):
        return _plain(403, "Wrong_Org")
    wanted = normalize_id(request.path_params["user_id"])
    scopes = set(session.scope.split())
    # Another user's identity needs the api or full scope, as in Salesforce.
    if wanted != session.user_id and not scopes & {"api", "full"}:
        return _plain(403, "Bad_OAuth_Token")
    user = _active_user(state, wanted)
    if isinstance(user, Response):
        return user
    user_id = str(user["Id"])
    return JSONResponse(
        {
            "id": identity_url(state, user_id),
            "asserted_user": user_id == session.user_id,
            "user_id": user_id,
            "organization_id": org_id(state.db),
            "username": user["Username"],
            "nick_name": user["Alias"],
            "display_name": user["Name"],
            "email": user["Email"],
            "email_verified": True,
            "first_name": user["FirstName"],
            "last_name": user["LastName"],
            "timezone": user["TimeZoneSidKey"],
            "photos": _photos(state),
            "urls": _urls(state, user_id),
            "active": bool(user["IsActive"]),
            "user_type": "STANDARD",
            "language": "en_US",
            "locale": "en_US",
            "utcOffset": _utc_offset_ms(user["TimeZoneSidKey"]),
            "last_modified_date": user["LastModifiedDate"],
            "is_app_installed": True,
        },
        headers=NO_STORE,
    )


async def revoke(request: Request) -> Response:
    try:
        params = await read_form(request) if request.method == "POST" else {}
        if request.method == "GET":
            params = parse_params(request.url.query)
    except OAuthError as exc:
        return exc.response()
    token = params.get("token", "")
    if not token or not sessions.revoke(state_of(request).db, token):
        return OAuthError("unsupported_token_type", "this token type is not supported").response()
    return Response(status_code=200, headers=NO_STORE)
