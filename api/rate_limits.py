"""Per-principal rate limits on /graphql (issue 11): a token bucket per caller, refilled at
`rate_limit_per_second` up to `rate_limit_burst` requests. A request finding its bucket empty
is answered 429 with `Retry-After` (whole seconds until a token is back) before it is parsed.

The caller is the token's principal (org and user, or the client acting as no user); a
request whose token was refused is counted against its client address, so garbage tokens
cannot flood either. The buckets live in this process (MemoryBuckets) unless
`DEALPULSE_REDIS_URL` names a Redis, where several API processes share them (RedisBuckets:
one Lua script per request, atomic, on Redis's clock). A Redis that cannot be reached lets
requests through (logged): an outage of the limiter is not an outage of the API.
"""

from __future__ import annotations

import logging
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from auth.credentials import Credentials
from auth.errors import AuthenticationError

logger = logging.getLogger(__name__)

RATE_LIMITED = "RATE_LIMITED"  # the error's extensions.code
MAX_BUCKETS = 100_000  # in memory: the least recently seen callers beyond this are forgotten
_PREFIX = "dealpulse:rate:"


@dataclass(frozen=True)
class Rate:
    per_second: float  # refill
    burst: int  # bucket size


class Buckets(Protocol):
    async def take(self, key: str) -> float:
        """Take a token from `key`'s bucket: 0.0 if there was one, else the seconds until
        there will be (nothing taken)."""
        ...

    async def close(self) -> None: ...


def caller_key(credentials: Credentials | AuthenticationError, client_host: str | None) -> str:
    """The bucket of a request: its principal's, or its address's when its token was refused."""
    if isinstance(credentials, Credentials):
        who = credentials.user_id or credentials.client_id or "?"
        return f"{credentials.org_id}:{who}"
    return address_key(client_host)


def address_key(client_host: str | None) -> str:
    """The bucket of a caller known only by its address."""
    return f"address:{client_host or '?'}"


def retry_after_seconds(wait: float) -> int:
    """`Retry-After` is whole seconds: rounded up, so a retry then finds a token."""
    return max(1, math.ceil(wait))


class MemoryBuckets:
    """This process's buckets. Called on the event loop only (no lock needed)."""

    def __init__(self, rate: Rate, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # tokens, at

    async def take(self, key: str) -> float:
        now = self._clock()
        tokens, at = self._buckets.pop(key, (float(self.rate.burst), now))
        tokens = min(float(self.rate.burst), tokens + (now - at) * self.rate.per_second)
        wait = 0.0
        if tokens >= 1:
            tokens -= 1
        else:
            wait = (1 - tokens) / self.rate.per_second
        self._buckets[key] = (tokens, now)
        if len(self._buckets) > MAX_BUCKETS:
            self._buckets.popitem(last=False)
        return wait

    async def close(self) -> None:
        self._buckets.clear()


# KEYS[1] the bucket; ARGV rate per second, burst. Redis's own clock, so that processes on
# machines whose clocks differ share one bucket fairly. Returns the wait, as text (a Lua
# number would be truncated to an integer).
_TAKE = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) + tonumber(now_parts[2]) / 1000000
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / rate end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(burst / rate) + 1)
return tostring(wait)
"""


class RedisBuckets:
    """Buckets shared by every process using the same Redis."""

    def __init__(self, rate: Rate, url: str) -> None:
        self.rate = rate
        self._redis = aioredis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self._take = self._redis.register_script(_TAKE)

    async def take(self, key: str) -> float:
        try:
            wait = await self._take(
                keys=[_PREFIX + key], args=[self.rate.per_second, self.rate.burst]
            )
        except (RedisError, OSError) as error:
            # The class only: a Redis URL may carry a password.
            logger.warning(
                "rate limits unavailable (%s): request let through", type(error).__name__
            )
            return 0.0
        return float(wait)

    async def close(self) -> None:
        await self._redis.aclose()


def buckets(rate: Rate, redis_url: str) -> Buckets:
    return RedisBuckets(rate, redis_url) if redis_url else MemoryBuckets(rate)
