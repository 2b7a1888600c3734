"""Salesforce's OAuth 2.0 endpoints for devorg (see the oauth_* modules for each part):

- POST /services/oauth2/token: password, refresh_token, client_credentials, JWT bearer and
  authorization_code (PKCE) grants (oauth_token).
- GET/POST /services/oauth2/authorize: the web server flow's login page (oauth_authorize).
- GET/POST /services/oauth2/userinfo, GET /id/{org}/{user}: the identity service
  (oauth_identity).
- GET/POST /services/oauth2/revoke: token revocation (oauth_identity).
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from devorg.oauth_authorize import authorize
from devorg.oauth_identity import identity, revoke, userinfo
from devorg.oauth_token import token


def routes() -> list[BaseRoute]:
    return [
        Route("/services/oauth2/token", token, methods=["POST"]),
        Route("/services/oauth2/authorize", authorize, methods=["GET", "POST"]),
        Route("/services/oauth2/userinfo", userinfo, methods=["GET", "POST"]),
        Route("/services/oauth2/revoke", revoke, methods=["GET", "POST"]),
        Route("/id/{org_id}/{user_id}", identity, methods=["GET", "POST"]),
    ]
