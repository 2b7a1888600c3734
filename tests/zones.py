"""Time zones for tests that must see a local date differ from the UTC date at the wall-clock
time they run (the server under test reads the real clock)."""

from __future__ import annotations

import time
from datetime import UTC, datetime


def a_zone_whose_date_is_not_utcs() -> tuple[str, int]:
    """A zone whose date differs from the UTC date for at least the next hour, and by how many
    days: Kiritimati (UTC+14) is a day ahead from 10:00 UTC, Pago Pago (UTC-11) a day behind
    until 11:00 UTC."""
    now = datetime.now(UTC)
    if now.hour == 23 and now.minute == 59:  # the UTC date is about to change: let it
        time.sleep(61)
        now = datetime.now(UTC)
    return ("Pacific/Kiritimati", 1) if now.hour >= 10 else ("Pacific/Pago_Pago", -1)
