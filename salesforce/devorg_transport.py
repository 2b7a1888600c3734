"""The one place that points simple-salesforce at a devorg instead of a real org.

simple-salesforce always builds `https://{instance}/...` URLs and hard-codes its login host
(`https://login.salesforce.com`). Pass `DevorgSession(devorg_url)` as its `session=` and every
request, token requests included, is sent to devorg's plain-http address instead, with path and
query unchanged. Never use it for a real org.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests


class DevorgSession(requests.Session):
    def __init__(self, devorg_url: str) -> None:
        super().__init__()
        target = urlsplit(devorg_url)
        if target.scheme != "http" or not target.netloc:
            raise ValueError(f"a devorg URL looks like http://127.0.0.1:8001, not {devorg_url!r}")
        self._scheme = target.scheme
        self._netloc = target.netloc

    def request(
        self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any
    ) -> requests.Response:
        text = url.decode() if isinstance(url, bytes) else url
        parts = urlsplit(text)
        rewritten = urlunsplit((self._scheme, self._netloc, parts.path, parts.query, ""))
        return super().request(method, rewritten, *args, **kwargs)
