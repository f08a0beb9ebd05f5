"""Client-side rate limiting so we never trip a provider's published limit.

Rutter allows 500 requests per 10 seconds per organization (our client_id), across every
connection and every worker thread. A sliding-window log is exact for that kind of rule — a token
bucket would let a full burst through right after a full window — and 500 timestamps are cheap.

Scope: the deployment. `shared_limiter()` gives every client of one key (Rutter: the
organization's client_id: each partner that brings its own organization gets its own window)
the same window: in Redis when `REDIS_URL` is set, so every thread,
worker process and machine draws from one window (`RedisSlidingWindowLimiter`, an atomic Lua
script on Redis's own clock); in the process otherwise (the embedded default, one worker).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import deque
from collections.abc import Callable


class SlidingWindowLimiter:
    def __init__(
        self,
        *,
        max_requests: int,
        per_seconds: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        if max_requests < 1 or per_seconds <= 0:
            raise ValueError("max_requests must be >= 1 and per_seconds > 0")
        self.max_requests = max_requests
        self.per_seconds = per_seconds
        self._clock = clock
        self._sleep = sleep
        self._stamps: deque[float] = deque()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Block until a request may be sent; returns the seconds spent waiting."""
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock()
                # A stamp exactly one window old still counts: the provider's clock and ours
                # differ, so err on the side of waiting a little longer.
                horizon = now - self.per_seconds
                while self._stamps and self._stamps[0] < horizon:
                    self._stamps.popleft()
                if len(self._stamps) < self.max_requests:
                    self._stamps.append(now)
                    return waited
                wait = self._stamps[0] - horizon
            # Sleep outside the lock so other threads can still see the window move.
            wait = max(wait, 1e-3)
            self._sleep(wait)
            waited += wait


# KEYS[1] the window's sorted set; ARGV: window seconds, max requests, a unique member. The clock
# is Redis's (TIME), so machines whose clocks differ still share one window. Returns {1, now} when
# the request may go, else {0, seconds until the oldest stamp leaves the window}; stamps exactly
# one window old still count, as in SlidingWindowLimiter. Scripts run atomically in Redis.
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local window, limit = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. (now - window))
if redis.call('ZCARD', KEYS[1]) < limit then
    redis.call('ZADD', KEYS[1], now, ARGV[3])
    redis.call('PEXPIRE', KEYS[1], math.ceil(window * 1000) + 1000)
    return {1, tostring(now)}
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {0, tostring(tonumber(oldest[2]) + window - now)}
"""


class RedisSlidingWindowLimiter:
    """The same sliding-window log as SlidingWindowLimiter, kept in Redis for every process."""

    def __init__(self, *, redis, key: str, max_requests: int, per_seconds: float,
                 sleep: Callable[[float], None] = time.sleep):
        if max_requests < 1 or per_seconds <= 0:
            raise ValueError("max_requests must be >= 1 and per_seconds > 0")
        self.max_requests = max_requests
        self.per_seconds = per_seconds
        self.key = key
        self._script = redis.register_script(_ACQUIRE)
        self._sleep = sleep
        self.admitted_at: float | None = None  # Redis time of the last admission (tests, logs)

    def acquire(self) -> float:
        """Block until a request may be sent; returns the seconds spent waiting."""
        waited = 0.0
        while True:
            ok, value = self._script(keys=[self.key], args=[self.per_seconds, self.max_requests, uuid.uuid4().hex])
            if int(ok):
                self.admitted_at = float(value)
                return waited
            wait = max(float(value), 1e-3)
            self._sleep(wait)
            waited += wait


_registry: dict[tuple, SlidingWindowLimiter | RedisSlidingWindowLimiter] = {}
_registry_lock = threading.Lock()


def _redis_url() -> str:
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    try:
        return getattr(settings, "REDIS_URL", "") or ""
    except ImproperlyConfigured:  # no Django settings (a client used on its own): one process
        return ""


def shared_limiter(key: tuple, *, max_requests: int, per_seconds: float):
    """The limiter every client of `key` (e.g. ("rutter", client_id)) shares: in Redis when
    REDIS_URL is set (all workers and machines), else this process's. Created on first use."""
    with _registry_lock:
        limiter = _registry.get(key)
        if limiter is None:
            url = _redis_url()
            if url:
                import redis

                limiter = RedisSlidingWindowLimiter(
                    redis=redis.Redis.from_url(url), key="tieout:ratelimit:" + ":".join(map(str, key)),
                    max_requests=max_requests, per_seconds=per_seconds)
            else:
                limiter = SlidingWindowLimiter(max_requests=max_requests, per_seconds=per_seconds)
            _registry[key] = limiter
        return limiter
