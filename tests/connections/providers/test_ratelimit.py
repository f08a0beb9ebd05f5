"""The client-side limiter that keeps us under Rutter's 500 requests / 10 s per organization."""

import threading
import time
from bisect import bisect_left

from connections.providers.ratelimit import SlidingWindowLimiter, shared_limiter
from connections.providers.rutter import RutterClient
from tests.connections.conftest import Reply


def max_in_any_window(stamps, width):
    stamps = sorted(stamps)
    # For each request, count the requests in the closed window [t - width, t].
    return max(i - bisect_left(stamps, t - width) + 1 for i, t in enumerate(stamps))


def test_it_never_lets_more_than_the_limit_through_in_any_window(fake_time):
    limiter = SlidingWindowLimiter(
        max_requests=500, per_seconds=10, clock=fake_time.clock, sleep=fake_time.sleep
    )
    stamps = []
    for _ in range(1600):
        limiter.acquire()
        stamps.append(fake_time.now)

    assert max_in_any_window(stamps, 10) <= 500
    # ...and it is not needlessly slow: 1600 requests fit in just over three windows.
    assert stamps[-1] - stamps[0] <= 31


def test_it_lets_a_full_burst_through_without_waiting(fake_time):
    limiter = SlidingWindowLimiter(
        max_requests=500, per_seconds=10, clock=fake_time.clock, sleep=fake_time.sleep
    )
    for _ in range(500):
        limiter.acquire()
    assert fake_time.sleeps == []


def test_it_holds_the_limit_across_threads():
    limiter = SlidingWindowLimiter(max_requests=10, per_seconds=0.3)
    stamps, lock = [], threading.Lock()

    def worker():
        for _ in range(8):
            limiter.acquire()
            with lock:
                stamps.append(time.monotonic())

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert len(stamps) == 32
    assert max_in_any_window(stamps, 0.3 - 0.01) <= 10


def test_it_shares_one_limiter_per_rutter_organization():
    a = RutterClient(base_url="http://x", client_id="org-1", client_secret="s", version="v")
    b = RutterClient(base_url="http://x", client_id="org-1", client_secret="s", version="v")
    c = RutterClient(base_url="http://x", client_id="org-2", client_secret="s", version="v")

    assert (
        a.transport.limiter
        is b.transport.limiter
        is shared_limiter(("rutter", "org-1"), max_requests=500, per_seconds=10)
    )
    assert c.transport.limiter is not a.transport.limiter
    assert a.transport.limiter.max_requests == 500 and a.transport.limiter.per_seconds == 10


def test_it_makes_the_rutter_client_wait_for_the_window_over_http(scripted, timing, fake_time):
    scripted.script(
        "GET", "/versioned/connections/status", Reply(200, {"status": {"is_ready": True}})
    )
    limiter = SlidingWindowLimiter(
        max_requests=3, per_seconds=10, clock=fake_time.clock, sleep=fake_time.sleep
    )
    client = RutterClient(
        base_url=scripted.base_url + "/versioned",
        client_id="c",
        client_secret="s",
        version="2024-08-31",
        limiter=limiter,
        **timing,
    )
    start = fake_time.now
    for _ in range(4):
        client.connection_status("tok")

    assert len(scripted.seen("/versioned/connections/status")) == 4
    assert fake_time.now - start >= 10  # the 4th request waited for the window to slide
