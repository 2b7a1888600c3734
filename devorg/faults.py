"""Injected faults: latency, failing requests and forced session expiry, adjustable at run time.

Tests change them through `PUT /_devorg/faults` (authorised by the connected app's client
secret in `X-Devorg-Control`), so a running devorg can fail on demand.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from devorg.errors import SalesforceApiError

_FAILURES = {
    500: ("UNKNOWN_EXCEPTION", "An unexpected error occurred. Please include this ErrorId if "
          "you contact support: 1234567890-12345 (-1234567890)"),
    502: ("SERVER_UNAVAILABLE", "Bad gateway"),
    503: ("SERVER_UNAVAILABLE", "Server temporarily unavailable"),
}  # fmt: skip


@dataclass
class Faults:
    latency_ms: int = 0
    # The request is handled (a write committed), THEN its answer waits this long: a client
    # that times out does not know the write happened. Only for the next `latency_after_next`
    # API requests when that is above 0.
    latency_after_ms: int = 0
    latency_after_next: int = 0
    # The next `fail_next` API requests fail with `fail_status`.
    fail_next: int = 0
    fail_status: int = 503
    # Beyond that, each request fails with probability `error_rate` (seeded, so reproducible).
    error_rate: float = 0.0
    error_status: int = 503
    rng: random.Random = field(default_factory=lambda: random.Random(0))

    def update(self, changes: dict[str, object]) -> None:
        """Apply `changes`, all or nothing: a bad value leaves every fault as it was."""
        values: dict[str, int | float] = {}
        for name in (
            "latency_ms", "latency_after_ms", "latency_after_next", "fail_next", "fail_status",
            "error_rate", "error_status",
        ):  # fmt: skip
            if name in changes:
                value = changes[name]
                if not isinstance(value, int | float) or isinstance(value, bool):
                    raise ValueError(f"{name} must be a number")
                values[name] = float(value) if name == "error_rate" else int(value)
        for name in ("fail_status", "error_status"):
            if values.get(name, getattr(self, name)) not in _FAILURES:
                raise ValueError(f"{name} must be one of {sorted(_FAILURES)}")
        for name, value in values.items():
            setattr(self, name, value)
        if "seed" in changes:
            self.rng = random.Random(str(changes["seed"]))

    def as_dict(self) -> dict[str, object]:
        return {
            "latency_ms": self.latency_ms,
            "latency_after_ms": self.latency_after_ms,
            "latency_after_next": self.latency_after_next,
            "fail_next": self.fail_next,
            "fail_status": self.fail_status,
            "error_rate": self.error_rate,
            "error_status": self.error_status,
        }

    def late_answer(self) -> float:
        """Seconds this request's answer waits after it was handled (consumes one
        `latency_after_next`)."""
        if not self.latency_after_ms:
            return 0.0
        if self.latency_after_next > 0:
            self.latency_after_next -= 1
            if self.latency_after_next == 0:
                delay, self.latency_after_ms = self.latency_after_ms, 0
                return delay / 1000
        return self.latency_after_ms / 1000

    def failure(self) -> SalesforceApiError | None:
        """The error this request should fail with, if any (consumes one `fail_next`)."""
        status = None
        if self.fail_next > 0:
            self.fail_next -= 1
            status = self.fail_status
        elif self.error_rate and self.rng.random() < self.error_rate:
            status = self.error_status
        if status is None:
            return None
        code, message = _FAILURES[status]
        return SalesforceApiError(status, code, message)
