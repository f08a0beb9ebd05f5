import httpx
import pytest

from sandbox.server import SandboxServer

from .conftest import SHOP, WOO, ms

TOKEN = {"access_token": "tok-shop"}


def test_it_rejects_bad_basic_auth(sandbox):
    resp = httpx.get(sandbox.rutter_base_url + "/orders", params=TOKEN, auth=("x", "y"),
                     headers={"X-Rutter-Version": "2024-08-31"})
    assert resp.status_code == 401
    assert resp.json() == {"error_type": "CONNECTION_ERROR", "error_code": "INVALID_CREDENTIALS",
                           "error_message": "Invalid credentials to access this connection."}


def test_it_rejects_unknown_access_token(rutter):
    resp = rutter.get("/orders", params={"access_token": "nope"})
    assert resp.status_code == 401
    assert resp.json()["error_code"] == "INVALID_CREDENTIALS"


@pytest.mark.parametrize("version", [None, "2022-01-01"])
def test_it_requires_a_documented_version_header(sandbox, version):
    c = sandbox.credentials
    headers = {"X-Rutter-Version": version} if version else {}
    resp = httpx.get(sandbox.rutter_base_url + "/orders", params=TOKEN, headers=headers,
                     auth=(c.rutter_client_id, c.rutter_client_secret))
    assert resp.status_code == 400
    assert set(resp.json()) == {"error_type", "error_code", "error_message"}


@pytest.mark.parametrize("version", ["2023-02-07", "2023-03-14", "2024-04-30", "2024-08-31"])
def test_it_accepts_each_documented_version(rutter, version):
    assert rutter.get("/orders", params=TOKEN, headers={"X-Rutter-Version": version}).status_code == 200


def test_it_exchanges_a_public_token(sandbox):
    c = sandbox.credentials
    resp = httpx.post(sandbox.rutter_base_url + "/item/public_token/exchange",
                      json={"client_id": c.rutter_client_id, "secret": c.rutter_client_secret,
                            "public_token": "pub-shop"}, headers={"X-Rutter-Version": "2024-08-31"})
    assert resp.status_code == 200
    body = resp.json()
    assert body["connection_id"] == SHOP and body["access_token"] == "tok-shop"
    assert body["platform"] == "SHOPIFY" and body["is_ready"] is True
    bad = httpx.post(sandbox.rutter_base_url + "/item/public_token/exchange",
                     json={"client_id": c.rutter_client_id, "secret": c.rutter_client_secret,
                           "public_token": "pub-nope"}, headers={"X-Rutter-Version": "2024-08-31"})
    assert bad.status_code == 400


def test_it_serves_connections_and_status(rutter):
    listed = rutter.get("/connections").json()["connections"]
    assert {c["id"] for c in listed} == {SHOP, WOO}
    one = rutter.get("/connections/access_token", params=TOKEN).json()["connection"]
    assert one["id"] == SHOP and one["platform"] == "SHOPIFY"
    status = rutter.get("/connections/status", params=TOKEN).json()
    assert status["connection"]["status"] == "active"
    assert rutter.get("/connections/access_token").status_code == 400


def _all_pages(client, path, key, **params):
    seen, cursor, pages = [], None, 0
    while True:
        query = {**TOKEN, **params, **({"cursor": cursor} if cursor else {})}
        resp = client.get(path, params=query)
        assert resp.status_code == 200, resp.text
        body = resp.json()
        seen.extend(obj["id"] for obj in body[key])
        pages += 1
        cursor = body["next_cursor"]
        if not cursor:
            return seen, pages


def test_it_pages_every_object_exactly_once(rutter, world):
    ids, pages = _all_pages(rutter, "/orders", "orders", limit=7)
    assert sorted(ids) == sorted(o["id"] for o in world.rutter[0].orders)
    assert len(ids) == len(set(ids)) and pages == 18
    txn_ids, _ = _all_pages(rutter, "/transactions", "transactions", limit=50)
    assert len(txn_ids) == 122 == len(set(txn_ids))


def test_it_pages_stably_while_events_add_objects(rutter, sandbox):
    first = rutter.get("/transactions", params={**TOKEN, "limit": 100}).json()
    sandbox.apply_events(1)  # a new transaction arrives mid-pagination
    rest = rutter.get("/transactions", params={**TOKEN, "limit": 100, "cursor": first["next_cursor"]}).json()
    ids = [t["id"] for t in first["transactions"] + rest["transactions"]]
    assert len(ids) == len(set(ids)) == 123 and "t900" in ids


def test_it_filters_by_created_and_updated_ms(rutter, world):
    ids, _ = _all_pages(rutter, "/transactions", "transactions",
                        created_at_min=ms(3), created_at_max=ms(4, 23))
    expected = [t["id"] for t in world.rutter[0].transactions if t["created_at"][:10] in ("2025-03-03", "2025-03-04")]
    assert sorted(ids) == sorted(expected) and ids
    late, _ = _all_pages(rutter, "/orders", "orders", updated_at_min=ms(20, 14))
    assert sorted(late) == sorted(o["id"] for o in world.rutter[0].orders if o["updated_at"] >= "2025-03-20T14")


def test_it_filters_payouts_by_arrival(rutter):
    ids, _ = _all_pages(rutter, "/payouts", "payouts", arrival_at_min=ms(10))
    assert ids == ["p1", "p2"]


def test_it_rejects_bad_parameters(rutter):
    assert rutter.get("/orders", params={**TOKEN, "limit": 501}).status_code == 400
    assert rutter.get("/orders", params={**TOKEN, "cursor": "garbage!"}).status_code == 400
    assert rutter.get("/orders", params={**TOKEN, "created_at_min": "yesterday"}).status_code == 400


def test_it_embeds_payout_transactions_that_sum_to_the_payout(rutter):
    payout = rutter.get("/payouts", params=TOKEN).json()["payouts"][0]
    assert "transaction_ids" not in payout and len(payout["transactions"]) == 42
    net = 0.0
    for t in payout["transactions"]:
        value = abs(t["amount"])
        net += {"sale": value - abs(t.get("fee") or 0), "refund": -value, "fee": -value}[t["type"]]
    assert round(net, 2) == payout["amount"]


def test_it_fetches_single_orders_and_410s_unknown_ids(rutter):
    one = rutter.get("/orders/o5", params=TOKEN).json()
    assert one["order"]["id"] == "o5" and one["connection"]["id"] == SHOP
    assert rutter.get("/orders/nope", params=TOKEN).status_code == 410


@pytest.mark.parametrize("path", ["/transactions/t1", "/payouts/p1"])
def test_it_has_no_get_of_one_transaction_or_payout(rutter, path):
    """Rutter's OpenAPI has GET /orders/:id and /customers/:id only; anything else is a 404."""
    resp = rutter.get(path, params=TOKEN)
    assert resp.status_code == 404
    assert resp.json()["error_code"] == "ENDPOINT_NOT_FOUND"


def test_it_refuses_a_token_exchange_without_credentials_in_the_body(sandbox):
    """ExchangeTokenBody requires client_id, secret and public_token; Basic auth is not enough."""
    c = sandbox.credentials
    resp = httpx.post(sandbox.rutter_base_url + "/item/public_token/exchange",
                      json={"public_token": "pub-shop"}, auth=(c.rutter_client_id, c.rutter_client_secret),
                      headers={"X-Rutter-Version": "2024-08-31"})
    assert resp.status_code == 400
    assert resp.json() == {"error_type": "INVALID_REQUEST", "error_code": "MISSING_REQUIRED_FIELDS",
                           "error_message": "The request body is missing client_id, secret."}
    wrong = httpx.post(sandbox.rutter_base_url + "/item/public_token/exchange",
                       json={"client_id": c.rutter_client_id, "secret": "nope", "public_token": "pub-shop"},
                       headers={"X-Rutter-Version": "2024-08-31"})
    assert wrong.status_code == 401 and wrong.json()["error_code"] == "INVALID_CREDENTIALS"


def test_it_has_no_payouts_endpoint_for_platforms_without_payouts(rutter):
    resp = rutter.get("/payouts", params={"access_token": "tok-woo"})
    assert resp.status_code == 404
    assert rutter.get("/transactions", params={"access_token": "tok-woo"}).status_code == 200


def test_it_answers_product_not_ready_until_initial_sync_is_marked_done(world):
    with SandboxServer(world, initial_sync_delay=None) as sb:
        c = sb.credentials
        with httpx.Client(base_url=sb.rutter_base_url, auth=(c.rutter_client_id, c.rutter_client_secret),
                          headers={"X-Rutter-Version": "2024-08-31"}) as client:
            resp = client.get("/orders", params=TOKEN)
            assert resp.status_code == 409 and resp.json()["error_code"] == "PRODUCT_NOT_READY"
            assert client.get("/orders", params={**TOKEN, "force_fetch": "true"}).status_code == 200
            assert client.get("/payouts", params={**TOKEN, "force_fetch": "true"}).status_code == 409
            sb.mark_initial_sync_done(SHOP)
            assert client.get("/orders", params=TOKEN).status_code == 200


def test_it_becomes_ready_after_the_initial_sync_delay(world):
    import time
    with SandboxServer(world, initial_sync_delay=0.2) as sb:
        c = sb.credentials
        with httpx.Client(base_url=sb.rutter_base_url, auth=(c.rutter_client_id, c.rutter_client_secret),
                          headers={"X-Rutter-Version": "2024-08-31"}) as client:
            exchanged = client.post("/item/public_token/exchange", json={
                "client_id": c.rutter_client_id, "secret": c.rutter_client_secret, "public_token": "pub-shop",
            }).json()
            assert exchanged["is_ready"] is False
            assert client.get("/orders", params=TOKEN).status_code == 409
            time.sleep(0.5)
            assert client.get("/orders", params=TOKEN).status_code == 200


def test_it_rate_limits_per_organization_with_retry_after(world):
    with SandboxServer(world, rutter_rate_limit=(5, 10.0)) as sb:
        c = sb.credentials
        with httpx.Client(base_url=sb.rutter_base_url, auth=(c.rutter_client_id, c.rutter_client_secret),
                          headers={"X-Rutter-Version": "2024-08-31"}) as client:
            codes = [client.get("/orders", params=TOKEN).status_code for _ in range(7)]
            assert codes == [200] * 5 + [429] * 2
            resp = client.get("/orders", params=TOKEN)
            assert int(resp.headers["Retry-After"]) >= 1
            assert resp.json()["error_code"] == "RATE_LIMIT_EXCEEDED"


def test_it_defaults_to_500_requests_per_10_seconds(sandbox):
    assert (sandbox.rutter_limiter.limit, sandbox.rutter_limiter.window) == (500, 10.0)
