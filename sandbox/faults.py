"""Injected faults (`--faults 429=0.05,5xx=0.05,slow=0.01,drop=0.1,dup=0.1,reorder=0.1`) and the
real providers' rate limits, so the sync's retry and idempotency paths get exercised."""

from __future__ import annotations

import random
import threading
import time
from collections import deque
from dataclasses import dataclass

from .webhooks import WebhookFaults


@dataclass
class Faults:
    rate_429: float = 0.0
    rate_5xx: float = 0.0
    rate_slow: float = 0.0
    slow_seconds: float = 1.5
    drop: float = 0.0
    dup: float = 0.0
    reorder: float = 0.0
    seed: int | None = None

    def webhook_faults(self) -> WebhookFaults:
        return WebhookFaults(drop=self.drop, dup=self.dup, reorder=self.reorder)


_KEYS = {"429": "rate_429", "5xx": "rate_5xx", "slow": "rate_slow", "drop": "drop", "dup": "dup",
         "reorder": "reorder", "slow_seconds": "slow_seconds", "seed": "seed"}


def parse_faults(spec: str | dict | Faults | None) -> Faults:
    """`"429=0.05,5xx=0.05"` (or a dict of the same keys) -> Faults; ValueError on nonsense."""
    if spec is None or spec == "":
        return Faults()
    if isinstance(spec, Faults):
        return spec
    pairs = spec.items() if isinstance(spec, dict) else (
        part.split("=", 1) if "=" in part else (part, "")
        for part in (p.strip() for p in spec.split(",")) if part)
    faults = Faults()
    for key, value in pairs:
        attr = _KEYS.get(str(key).strip())
        if attr is None:
            raise ValueError(f"unknown fault {key!r}; expected one of {', '.join(_KEYS)}")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"fault {key!r} needs a number, got {value!r}") from None
        if attr == "seed":
            faults.seed = int(number)
        elif attr == "slow_seconds":
            faults.slow_seconds = number
        elif not 0.0 <= number <= 1.0:
            raise ValueError(f"fault {key!r} is a probability between 0 and 1, got {value}")
        else:
            setattr(faults, attr, number)
    return faults


class FaultInjector:
    def __init__(self, faults: Faults):
        self.faults = faults
        self._rng = random.Random(faults.seed)
        self._lock = threading.Lock()

    def pick(self) -> str | None:
        """'429', '5xx', 'slow' or None for one incoming API request."""
        f = self.faults
        if not (f.rate_429 or f.rate_5xx or f.rate_slow):
            return None
        with self._lock:
            roll = self._rng.random()
        if roll < f.rate_429:
            return "429"
        if roll < f.rate_429 + f.rate_5xx:
            return "5xx"
        if roll < f.rate_429 + f.rate_5xx + f.rate_slow:
            return "slow"
        return None


class SlidingWindowLimiter:
    """At most `limit` requests per `window` seconds per key (Rutter: 500 / 10 s per org)."""

    def __init__(self, limit: int, window: float):
        self.limit = limit
        self.window = window
        self._hits: dict[str, deque] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> float | None:
        """None when allowed, else the seconds until a slot frees up (for Retry-After)."""
        now = time.monotonic()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return max(0.0, hits[0] + self.window - now)
            hits.append(now)
            return None
