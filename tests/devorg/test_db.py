"""Salesforce's datetime text in and out of the org database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from devorg.db import parse_sf_datetime, sf_datetime


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (datetime(2024, 1, 15, 10, 30, 0, 123_999, UTC), "2024-01-15T10:30:00.123+0000"),
        (datetime(1, 1, 1, tzinfo=UTC), "0001-01-01T00:00:00.000+0000"),
        (datetime(999, 12, 31, 23, 59, 59, tzinfo=UTC), "0999-12-31T23:59:59.000+0000"),
    ],
)
def test_sf_datetime_is_fixed_width_so_text_order_is_time_order(
    moment: datetime, text: str
) -> None:
    assert sf_datetime(moment) == text
    assert parse_sf_datetime(text) == moment.replace(microsecond=moment.microsecond // 1000 * 1000)


@pytest.mark.parametrize("text", ["9999-12-31T23:00:00-05:00", "0001-01-01T00:00:00+05:00"])
def test_moments_outside_years_1_to_9999_in_utc_are_value_errors(text: str) -> None:
    with pytest.raises(ValueError, match="out of range"):
        parse_sf_datetime(text)
