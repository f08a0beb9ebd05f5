"""Client-side rate limiting so we never trip a provider's published limit.

Rutter allows 500 requests per 10 seconds per organization (our client_id), across every
connection and every worker thread. A sliding-window log is exact for that kind of rule — a token
bucket would let a full burst through right after a full window — and 500 timestamps are cheap.

Scope: one process. Rutter clients share one limiter per organization (client_id: each partner
that brings its own organization gets its own window) through `shared_limiter()`, so all threads of a worker are covered. Several worker processes or
machines each get their own window; size `max_requests` per process accordingly (or put a Redis
limiter behind the same `acquire()` interface) when running more than one.
"""

from __future__ import annotations

import threading
import time
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


_registry: dict[tuple, SlidingWindowLimiter] = {}
_registry_lock = threading.Lock()


def shared_limiter(key: tuple, *, max_requests: int, per_seconds: float) -> SlidingWindowLimiter:
    """The process-wide limiter for `key` (e.g. ("rutter", client_id)), created on first use."""
    with _registry_lock:
        limiter = _registry.get(key)
        if limiter is None:
            limiter = SlidingWindowLimiter(max_requests=max_requests, per_seconds=per_seconds)
            _registry[key] = limiter
        return limiter
