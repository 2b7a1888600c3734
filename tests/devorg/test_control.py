"""devorg's control endpoints: only the connected app's secret opens them, and no body
makes them fail with anything but a 400."""

from __future__ import annotations

import pytest
import requests

from tests.devorg_server import RunningDevorg


def put_faults(devorg: RunningDevorg, body: bytes, secret: str | None) -> requests.Response:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Devorg-Control"] = secret
    return requests.put(f"{devorg.url}/_devorg/faults", data=body, headers=headers, timeout=10)


@pytest.mark.parametrize("secret", [None, "", "wrong-secret"])
def test_without_the_client_secret_nothing_changes(
    devorg_faults: RunningDevorg, secret: str | None
) -> None:
    response = put_faults(devorg_faults, b'{"fail_next": 5}', secret)
    assert response.status_code == 401
    assert devorg_faults.control("GET", "faults")["fail_next"] == 0


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1, 2]",
        b"[" * 3000 + b"]" * 3000,
        b'{"x": "' + b"a" * 10_000 + b'"}',
        b'{"fail_next": "many"}',
        b'{"fail_status": 418}',
        b'{"error_rate": true}',
    ],
)
def test_bad_bodies_are_400(devorg_faults: RunningDevorg, body: bytes) -> None:
    response = put_faults(devorg_faults, body, devorg_faults.seed.client_secret)
    assert response.status_code == 400
    assert response.json()[0]["errorCode"] in {"JSON_PARSER_ERROR", "INVALID_FIELD"}


def test_a_good_body_changes_the_faults(devorg_faults: RunningDevorg) -> None:
    response = put_faults(devorg_faults, b'{"latency_ms": 5}', devorg_faults.seed.client_secret)
    assert response.status_code == 200
    assert devorg_faults.control("GET", "faults")["latency_ms"] == 5
