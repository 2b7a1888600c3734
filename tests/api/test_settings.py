"""The settings of the services layer: read from the environment, validated."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from api.settings import Settings


def test_the_request_deadline_and_the_clock_tick_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("DEALPULSE_REQUEST_SYNC_DEADLINE_SECONDS", "DEALPULSE_CLOCK_TICK_SECONDS"):
        monkeypatch.delenv(name, raising=False)
    defaults = Settings()
    assert (defaults.request_sync_deadline_seconds, defaults.clock_tick_seconds) == (2.0, 3600.0)
    monkeypatch.setenv("DEALPULSE_REQUEST_SYNC_DEADLINE_SECONDS", "0")
    monkeypatch.setenv("DEALPULSE_CLOCK_TICK_SECONDS", "60")
    configured = Settings()
    assert (configured.request_sync_deadline_seconds, configured.clock_tick_seconds) == (0, 60)


@pytest.mark.parametrize(
    ("name", "value"),
    [("DEALPULSE_REQUEST_SYNC_DEADLINE_SECONDS", "-1"), ("DEALPULSE_CLOCK_TICK_SECONDS", "0")],
)
def test_a_negative_deadline_or_an_empty_tick_is_refused(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match=name.removeprefix("DEALPULSE_").lower()):
        Settings()


def test_development_tokens_are_off_by_default_and_refused_in_production(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("DEALPULSE_DEV_TOKENS", "DEALPULSE_ENVIRONMENT"):
        monkeypatch.delenv(name, raising=False)
    assert Settings().dev_tokens is False
    assert Settings().allowing_dev_tokens().dev_tokens is True
    monkeypatch.setenv("DEALPULSE_ENVIRONMENT", "production")
    with pytest.raises(ValueError, match="production"):
        Settings().allowing_dev_tokens()
    monkeypatch.setenv("DEALPULSE_DEV_TOKENS", "true")
    with pytest.raises(ValidationError, match="production takes OAuth only"):
        Settings()
