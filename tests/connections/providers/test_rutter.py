"""RutterClient against a scripted loopback server."""

import base64
from datetime import UTC, datetime

import pytest

from connections.providers.errors import (
    AuthError,
    ConnectionDisabled,
    NeedsReauth,
    NotReady,
)
from connections.providers.ratelimit import SlidingWindowLimiter
from connections.providers.rutter import RutterClient
from tests.connections.conftest import Reply


@pytest.fixture
def client(scripted, timing, fake_time):
    limiter = SlidingWindowLimiter(
        max_requests=500, per_seconds=10, clock=fake_time.clock, sleep=fake_time.sleep
    )
    return RutterClient(
        base_url=scripted.base_url + "/versioned",
        client_id="cid",
        client_secret="csecret",
        version="2024-08-31",
        limiter=limiter,
        **timing,
    )


def error(code, type_="CONNECTION_ERROR", status=400):
    return Reply(
        status,
        {"error_type": type_, "error_code": code, "error_message": code.lower()},
        {"X-Rutter-Request-ID": "req-9"},
    )


def test_it_authenticates_with_basic_auth_and_the_version_header(scripted, client):
    scripted.script(
        "GET", "/versioned/connections/status", Reply(200, {"status": {"is_ready": True}})
    )

    assert client.connection_status("tok") == {"is_ready": True}
    seen = scripted.seen("/versioned/connections/status")[0]
    assert seen.headers["authorization"] == "Basic " + base64.b64encode(b"cid:csecret").decode()
    assert seen.headers["x-rutter-version"] == "2024-08-31"
    assert seen.query == {"access_token": "tok"}


def test_it_exchanges_a_public_token(scripted, client):
    scripted.script(
        "POST",
        "/versioned/item/public_token/exchange",
        Reply(
            200,
            {
                "access_token": "at",
                "connection_id": "cid-1",
                "platform": "SHOPIFY",
                "is_ready": False,
            },
        ),
    )

    result = client.exchange_public_token("pub-1")
    assert result["access_token"] == "at" and result["connection_id"] == "cid-1"
    # ExchangeTokenBody: the body carries the credentials with the token.
    assert scripted.seen("/versioned/item/public_token/exchange")[0].json == {
        "client_id": "cid", "secret": "csecret", "public_token": "pub-1"
    }


def test_it_pages_through_transactions_with_cursors_and_filters(scripted, client):
    scripted.script(
        "GET",
        "/versioned/transactions",
        Reply(200, {"transactions": [{"id": "t1"}, {"id": "t2"}], "next_cursor": "c2"}),
        Reply(200, {"transactions": [{"id": "t3"}], "next_cursor": None}),
    )
    since = datetime(2025, 3, 1, tzinfo=UTC)

    pages = list(
        client.iter_transactions("tok", updated_at_min=since, page_size=2, force_fetch=True)
    )

    assert [[o["id"] for o in p.objects] for p in pages] == [["t1", "t2"], ["t3"]]
    assert [(p.cursor, p.next_cursor) for p in pages] == [(None, "c2"), ("c2", None)]
    first, second = scripted.seen("/versioned/transactions")
    assert first.query == {
        "access_token": "tok",
        "limit": "2",
        "force_fetch": "true",
        "updated_at_min": str(int(since.timestamp() * 1000)),
    }
    assert (
        second.query["cursor"] == "c2"
        and second.query["updated_at_min"] == first.query["updated_at_min"]
    )


def test_it_resumes_from_a_saved_cursor(scripted, client):
    scripted.script(
        "GET", "/versioned/payouts", Reply(200, {"payouts": [{"id": "p9"}], "next_cursor": None})
    )

    pages = list(client.iter_payouts("tok", cursor="saved"))
    assert pages[0].cursor == "saved" and pages[0].objects == [{"id": "p9"}]
    assert scripted.seen("/versioned/payouts")[0].query["cursor"] == "saved"


def test_it_lists_orders_and_customers(scripted, client):
    scripted.script(
        "GET", "/versioned/orders", Reply(200, {"orders": [{"id": "o1"}], "next_cursor": None})
    )
    scripted.script("GET", "/versioned/customers", Reply(200, {"customers": [{"id": "u1"}]}))

    assert next(client.iter_orders("tok")).objects == [{"id": "o1"}]
    assert next(client.iter_customers("tok")).objects == [{"id": "u1"}]


def test_it_refuses_force_fetch_where_rutter_does_not_support_it(client):
    with pytest.raises(ValueError):
        next(client.iter_payouts("tok", force_fetch=True))


def test_it_raises_not_ready_without_retrying_while_the_initial_sync_runs(scripted, client):
    scripted.script("GET", "/versioned/orders", error("PRODUCT_NOT_READY", status=409))

    with pytest.raises(NotReady) as caught:
        next(client.iter_orders("tok"))
    assert caught.value.code == "PRODUCT_NOT_READY" and caught.value.type == "CONNECTION_ERROR"
    assert caught.value.request_id == "req-9"
    assert len(scripted.seen("/versioned/orders")) == 1


@pytest.mark.parametrize(
    "code, cls",
    [
        ("NEEDS_UPDATE", NeedsReauth),
        ("CONNECTION_DISABLED", ConnectionDisabled),
        ("INVALID_CREDENTIALS", AuthError),
    ],
)
def test_it_types_connection_errors_by_code(scripted, client, code, cls):
    scripted.script("GET", "/versioned/orders", error(code))

    with pytest.raises(cls) as caught:
        next(client.iter_orders("tok"))
    assert caught.value.provider == "rutter" and caught.value.code == code


def test_it_retries_rutter_rate_limits_then_continues_paging(scripted, client, fake_time):
    scripted.script(
        "GET",
        "/versioned/transactions",
        Reply(
            429,
            {"error_type": "RATE_LIMIT_ERROR", "error_code": "RATE_LIMIT_EXCEEDED"},
            {"Retry-After": "2"},
        ),
        Reply(200, {"transactions": [{"id": "t1"}], "next_cursor": None}),
    )

    assert next(client.iter_transactions("tok")).objects == [{"id": "t1"}]
    assert fake_time.sleeps == [2.0]


def test_the_deployments_client_is_built_from_settings(settings):
    settings.RUTTER_BASE_URL = "http://127.0.0.1:1234/rutter/versioned"
    settings.RUTTER_CLIENT_ID = "from-settings"
    from connections.services.clients import client_for

    client = client_for("rutter")  # no partner: the deployment's own organization
    assert str(client.transport._client.base_url) == "http://127.0.0.1:1234/rutter/versioned/"
    assert client.client_id == "from-settings"
