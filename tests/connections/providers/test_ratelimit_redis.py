"""One rate-limit window for the whole deployment: two worker processes drawing from the Redis
limiter together never exceed the limit in any window, and neither starves.

Needs the Redis server the project runs on (REDIS_URL, default localhost:6379, as in CI); it is
not skipped when Redis is missing: the shared window is what a fleet relies on.
"""

import multiprocessing
import os
import uuid

import pytest
import redis

from connections.providers import ratelimit
from connections.providers.ratelimit import (
    RedisSlidingWindowLimiter,
    SlidingWindowLimiter,
    shared_limiter,
)

REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
LIMIT, WINDOW, EACH = 8, 0.4, 24


def _worker(url: str, key: str, start, n: int, out) -> None:
    limiter = RedisSlidingWindowLimiter(redis=redis.Redis.from_url(url), key=key, max_requests=LIMIT,
                                        per_seconds=WINDOW)
    start.wait()  # both processes ready: they start drawing together
    stamps = []
    for _ in range(n):
        limiter.acquire()
        stamps.append(limiter.admitted_at)
    out.put((os.getpid(), stamps))


def test_two_processes_share_one_window_and_neither_starves():
    key = f"tieout:test:ratelimit:{uuid.uuid4().hex}"
    ctx = multiprocessing.get_context("spawn")
    start, out = ctx.Barrier(2), ctx.Queue()
    workers = [ctx.Process(target=_worker, args=(REDIS_URL, key, start, EACH, out)) for _ in range(2)]
    for w in workers:
        w.start()
    results = [out.get(timeout=60) for _ in workers]
    for w in workers:
        w.join(timeout=10)
        assert w.exitcode == 0
    stamps = sorted((t, pid) for pid, times in results for t in times)
    assert len(stamps) == 2 * EACH
    times = [t for t, _ in stamps]
    # Never more than LIMIT admissions in any window: the (LIMIT+1)th is always a full window later.
    assert all(times[i + LIMIT] - times[i] > WINDOW for i in range(len(times) - LIMIT))
    # Together they use the window (not each its own: that would be 2x the rate)...
    assert times[-1] - times[0] >= (2 * EACH / LIMIT - 1) * WINDOW
    # ...and neither starves: each gets a fair part of every stretch of the run.
    first_half = [pid for _, pid in stamps[:EACH]]
    assert min(first_half.count(pid) for pid, _ in results) >= EACH // 4


def test_with_redis_configured_clients_of_one_key_share_the_redis_window(settings):
    settings.REDIS_URL = REDIS_URL
    key = ("rutter", f"client-{uuid.uuid4().hex}")
    try:
        limiter = shared_limiter(key, max_requests=3, per_seconds=60)
        assert isinstance(limiter, RedisSlidingWindowLimiter)
        assert shared_limiter(key, max_requests=3, per_seconds=60) is limiter
        other = RedisSlidingWindowLimiter(redis=redis.Redis.from_url(REDIS_URL), key=limiter.key,
                                          max_requests=3, per_seconds=60, sleep=_refuse_to_wait)
        for _ in range(3):
            limiter.acquire()  # three requests from "this worker"...
        with pytest.raises(_Waited):
            other.acquire()  # ...and another worker must wait: one window, not one per process
    finally:
        ratelimit._registry.pop(key, None)
        redis.Redis.from_url(REDIS_URL).delete(f"tieout:ratelimit:rutter:{key[1]}")


def test_without_redis_the_window_is_the_process(settings):
    settings.REDIS_URL = ""
    key = ("rutter", f"client-{uuid.uuid4().hex}")
    try:
        assert isinstance(shared_limiter(key, max_requests=3, per_seconds=60), SlidingWindowLimiter)
    finally:
        ratelimit._registry.pop(key, None)


class _Waited(Exception):
    pass


def _refuse_to_wait(seconds: float) -> None:
    raise _Waited(seconds)
