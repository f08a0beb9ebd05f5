"""The shared transport over real loopback HTTP: retries, backoff, Retry-After, typed errors."""

import email.utils
import random

import pytest

from connections.providers.errors import AuthError, ProviderError, RateLimited, TransientError
from connections.providers.http import RetryPolicy, Transport, parse_retry_after
from tests.connections.conftest import DROP, Reply


class MaxRandom(random.Random):
    """Full jitter's worst case: always the top of the window."""

    def uniform(self, a, b):
        return b


def make(scripted, timing, **options):
    return Transport(provider="test", base_url=scripted.base_url, **{**timing, **options})


def test_it_retries_a_429_after_exactly_the_retry_after_seconds(scripted, timing, fake_time):
    scripted.script("GET", "/x", Reply(429, {}, {"Retry-After": "3"}), Reply(200, {"ok": True}))

    assert make(scripted, timing).request_json("GET", "/x") == {"ok": True}
    assert fake_time.sleeps == [3.0]
    assert len(scripted.seen("/x")) == 2


def test_it_honours_retry_after_given_as_an_http_date(scripted, timing, fake_time):
    when = email.utils.formatdate(fake_time.now + 7, usegmt=True)
    scripted.script("GET", "/x", Reply(503, {}, {"Retry-After": when}), Reply(200, {}))

    make(scripted, timing).request("GET", "/x")
    assert fake_time.sleeps == [pytest.approx(7, abs=1)]


@pytest.mark.parametrize("status", [500, 502, 503, 504, 452, 550])
def test_it_retries_server_errors_and_rutter_custom_statuses(scripted, timing, status):
    scripted.script("GET", "/x", Reply(status, {}), Reply(status, {}), Reply(200, {"n": 1}))

    assert make(scripted, timing).request_json("GET", "/x") == {"n": 1}
    assert len(scripted.seen("/x")) == 3


def test_it_backs_off_exponentially_with_full_jitter_up_to_the_cap(scripted, timing, fake_time):
    scripted.script("GET", "/x", *[Reply(500, {})] * 6, Reply(200, {}))
    policy = RetryPolicy(max_attempts=10, base_delay=0.5, max_delay=4.0, max_elapsed=1000)

    make(scripted, {**timing, "rng": MaxRandom()}, retry=policy).request("GET", "/x")
    assert fake_time.sleeps == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]


def test_it_draws_each_delay_at_random_within_the_window(scripted, timing, fake_time):
    scripted.script("GET", "/x", *[Reply(500, {})] * 5, Reply(200, {}))
    policy = RetryPolicy(max_attempts=10, base_delay=1.0, max_delay=60, max_elapsed=1000)

    make(scripted, timing, retry=policy).request("GET", "/x")
    assert all(0 <= s <= 2**i for i, s in enumerate(fake_time.sleeps))
    assert len(set(fake_time.sleeps)) == 5  # jittered, not a fixed schedule


def test_it_gives_up_after_max_attempts_with_a_transient_error(scripted, timing):
    scripted.script("GET", "/x", Reply(503, {}, {"Retry-After": "1"}))

    with pytest.raises(TransientError) as caught:
        make(scripted, timing, retry=RetryPolicy(max_attempts=3)).request("GET", "/x")
    assert caught.value.status == 503 and caught.value.provider == "test"
    assert len(scripted.seen("/x")) == 3


def test_it_stops_when_waiting_would_pass_the_total_time_cap(scripted, timing, fake_time):
    scripted.script("GET", "/x", Reply(429, {}, {"Retry-After": "30"}), Reply(200, {}))

    with pytest.raises(RateLimited) as caught:
        make(scripted, timing, retry=RetryPolicy(max_elapsed=10)).request("GET", "/x")
    assert caught.value.retry_after == 30  # so a task can reschedule itself
    assert fake_time.sleeps == [] and len(scripted.seen("/x")) == 1


def test_it_retries_a_dropped_connection(scripted, timing):
    scripted.script("GET", "/x", DROP, Reply(200, {"ok": 1}))

    assert make(scripted, timing).request_json("GET", "/x") == {"ok": 1}
    assert len(scripted.seen("/x")) == 2


def test_it_raises_a_transient_error_when_the_network_keeps_failing(timing):
    # Nothing listens on port 9 of 127.0.0.1: every attempt is refused.
    transport = Transport(
        provider="test", base_url="http://127.0.0.1:9", retry=RetryPolicy(max_attempts=3), **timing
    )
    with pytest.raises(TransientError) as caught:
        transport.request("GET", "/x")
    assert caught.value.code == "network_error"
    assert len(timing["sleep"].__self__.sleeps) == 2


def test_it_never_repeats_a_non_idempotent_request_the_provider_may_have_processed(
    scripted, timing
):
    scripted.script("POST", "/exchange", Reply(500, {}), Reply(200, {}))

    with pytest.raises(TransientError):
        make(scripted, timing).request("POST", "/exchange", json={}, idempotent=False)
    assert len(scripted.seen("/exchange")) == 1


def test_it_still_retries_a_non_idempotent_request_refused_with_429(scripted, timing):
    scripted.script("POST", "/exchange", Reply(429, {}, {"Retry-After": "1"}), Reply(200, {"t": 1}))

    assert make(scripted, timing).request_json("POST", "/exchange", idempotent=False) == {"t": 1}


def test_it_does_not_retry_a_client_error(scripted, timing):
    scripted.script("GET", "/x", Reply(400, {}), Reply(200, {}))

    with pytest.raises(ProviderError) as caught:
        make(scripted, timing).request("GET", "/x")
    assert type(caught.value) is ProviderError and caught.value.status == 400
    assert len(scripted.seen("/x")) == 1


@pytest.mark.parametrize("status", [401, 403])
def test_it_raises_auth_error_for_unauthorized_and_forbidden(scripted, timing, status):
    scripted.script("GET", "/x", Reply(status, {}))

    with pytest.raises(AuthError):
        make(scripted, timing).request("GET", "/x")


def test_it_keeps_the_base_url_path_prefix(scripted, timing):
    scripted.script("GET", "/versioned/orders", Reply(200, {"orders": []}))
    transport = Transport(provider="t", base_url=scripted.base_url + "/versioned", **timing)

    assert transport.request_json("GET", "orders") == {"orders": []}


def test_it_reuses_one_pooled_connection_for_sequential_requests(scripted, timing):
    scripted.script("GET", "/x", Reply(200, {}))
    transport = make(scripted, timing)
    for _ in range(5):
        transport.request("GET", "/x")
    # The keep-alive pool sends every request down the same socket.
    assert len(scripted.seen("/x")) == 5
    assert transport._client._transport._pool.connections.__len__() == 1


def test_it_parses_retry_after_in_both_forms():
    now = 1_700_000_000.0
    assert parse_retry_after("12", now=now) == 12
    assert parse_retry_after(email.utils.formatdate(now + 90, usegmt=True), now=now) == 90
    assert parse_retry_after(email.utils.formatdate(now - 90, usegmt=True), now=now) == 0
    assert parse_retry_after("soon", now=now) is None
    assert parse_retry_after(None, now=now) is None
