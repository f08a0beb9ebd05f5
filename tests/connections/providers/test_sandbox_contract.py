"""Contract tests: the real clients against the sandbox simulators over real HTTP.

If these pass, a client speaks the same protocol the sandbox serves (auth, versions, pagination,
error shapes, signatures); production differs only by base URL and credentials.
"""

import copy
import json
import time
from decimal import Decimal
from pathlib import Path

import pytest

from connections.mapping.rutter import payout_row
from connections.mapping.stripe import balance_transaction_row
from connections.mapping.stripe import payout_row as stripe_payout_row
from connections.providers.errors import AuthError, NotReady
from connections.providers.http import RetryPolicy
from connections.providers.plaid import PlaidClient
from connections.providers.ratelimit import SlidingWindowLimiter
from connections.providers.rutter import RutterClient
from connections.providers.stripe import StripeClient
from connections.webhook_signatures import PlaidKeyCache, verify_plaid, verify_rutter, verify_stripe
from sandbox.server import SandboxServer
from sandbox.world import world_from_dict

WORLD = json.loads((Path(__file__).parents[2] / "data" / "mission-example.world.json").read_text())
FAST = {"retry": RetryPolicy(base_delay=0.01, max_delay=0.05, max_elapsed=20, max_attempts=12)}


def world_with_stripe():
    raw = copy.deepcopy(WORLD)
    bts = [
        {
            "id": f"txn_{i}",
            "object": "balance_transaction",
            "amount": 10000,
            "fee": 320,
            "net": 9680,
            "currency": "usd",
            "type": "charge",
            "reporting_category": "charge",
            "status": "available",
            "created": 1_740_000_000 + i,
            "available_on": 1_740_100_000,
            "source": f"ch_{i}",
            "payout": "po_1",
        }
        for i in range(5)
    ]
    bts.append(
        {
            "id": "txn_po",
            "object": "balance_transaction",
            "amount": -48400,
            "fee": 0,
            "net": -48400,
            "currency": "usd",
            "type": "payout",
            "reporting_category": "payout",
            "status": "available",
            "created": 1_740_200_000,
            "available_on": 1_740_200_000,
            "source": "po_1",
            "payout": "po_1",
        }
    )
    payouts = [
        {
            "id": f"po_{i}",
            "object": "payout",
            "amount": 48400 if i == 1 else 1000,
            "currency": "usd",
            "status": "paid",
            "automatic": True,
            "created": 1_740_200_000 + i,
            "arrival_date": 1_740_300_000,
        }
        for i in range(1, 4)
    ]
    raw["stripe"] = [
        {
            "account_id": "acct_sbx",
            "oauth_code": "ac_sbx",
            "balance_transactions": bts,
            "payouts": payouts,
        }
    ]
    return world_from_dict(raw)


@pytest.fixture
def sandbox():
    with SandboxServer(world_with_stripe()) as server:
        yield server


def rutter(sandbox, **options):
    c = sandbox.credentials
    return RutterClient(
        base_url=sandbox.rutter_base_url,
        client_id=c.rutter_client_id,
        client_secret=c.rutter_client_secret,
        version="2024-08-31",
        limiter=SlidingWindowLimiter(max_requests=500, per_seconds=10),
        **{**FAST, **options},
    )


def stripe(sandbox):
    c = sandbox.credentials
    return StripeClient(
        api_base=sandbox.stripe_api_base,
        connect_base=sandbox.stripe_connect_base,
        secret_key=c.stripe_secret_key,
        client_id=c.stripe_client_id,
        **FAST,
    )


def plaid(sandbox):
    c = sandbox.credentials
    return PlaidClient(
        base_url=sandbox.plaid_base_url, client_id=c.plaid_client_id, secret=c.plaid_secret, **FAST
    )


def test_it_links_and_syncs_a_rutter_connection(sandbox):
    client = rutter(sandbox)
    world_conn = WORLD["rutter"][0]

    linked = client.exchange_public_token(world_conn["public_token"])
    assert linked["connection_id"] == world_conn["connection_id"] and linked["access_token"]
    token = linked["access_token"]

    transactions = [t for p in client.iter_transactions(token, page_size=2) for t in p.objects]
    orders = [o for p in client.iter_orders(token, page_size=3) for o in p.objects]
    payouts = [o for p in client.iter_payouts(token) for o in p.objects]

    assert sorted(t["id"] for t in transactions) == sorted(
        t["id"] for t in world_conn["transactions"]
    )
    assert len(orders) == len(world_conn["orders"])
    row = payout_row(payouts[0], source=f"rutter:{linked['connection_id']}")
    assert row["items"] and sum(i["net"] for i in row["items"]) == row["amount"] == Decimal(
        "3850.00"
    )


def test_it_resumes_rutter_pagination_from_a_saved_cursor(sandbox):
    client = rutter(sandbox)
    token = WORLD["rutter"][0]["access_token"]
    first = next(client.iter_transactions(token, page_size=2))
    rest = [
        t["id"]
        for p in client.iter_transactions(token, page_size=2, cursor=first.next_cursor)
        for t in p.objects
    ]

    assert [t["id"] for t in first.objects] + rest == [
        t["id"] for p in client.iter_transactions(token) for t in p.objects
    ]


def test_it_reports_rutter_not_ready_and_force_fetches(tmp_path):
    with SandboxServer(world_with_stripe(), initial_sync_delay=60) as sandbox:
        client = rutter(sandbox)
        token = WORLD["rutter"][0]["access_token"]
        with pytest.raises(NotReady):
            next(client.iter_orders(token))
        assert next(client.iter_orders(token, force_fetch=True)).objects


def test_it_rejects_wrong_rutter_credentials(sandbox):
    client = RutterClient(
        base_url=sandbox.rutter_base_url,
        client_id="nope",
        client_secret="nope",
        version="2024-08-31",
        limiter=SlidingWindowLimiter(max_requests=5, per_seconds=1),
    )
    with pytest.raises(AuthError):
        client.connection_status(WORLD["rutter"][0]["access_token"])


def test_it_links_a_stripe_account_and_reads_its_payouts(sandbox):
    client = stripe(sandbox)
    assert client.oauth_exchange_code("ac_sbx")["stripe_user_id"] == "acct_sbx"

    payouts = [p for page in client.iter_payouts("acct_sbx", limit=2) for p in page.objects]
    assert sorted(p["id"] for p in payouts) == ["po_1", "po_2", "po_3"]

    items = [
        balance_transaction_row(bt, source="stripe:acct_sbx")
        for page in client.iter_balance_transactions("acct_sbx", payout="po_1", limit=4)
        for bt in page.objects
    ]
    payout = stripe_payout_row(
        next(p for p in payouts if p["id"] == "po_1"), source="stripe:acct_sbx"
    )
    assert len(items) == 6
    assert (
        sum(i["net"] for i in items if i["kind"] != "payout")
        == payout["amount"]
        == Decimal("484.00")
    )


def test_it_syncs_plaid_transactions_and_verifies_sandbox_webhooks(sandbox):
    client = plaid(sandbox)
    item = WORLD["plaid"][0]

    linked = client.exchange_public_token(item["public_token"])
    assert linked["item_id"] == item["item_id"]
    assert [a["account_id"] for a in client.accounts_get(linked["access_token"])["accounts"]] == [
        "bank-acc-1"
    ]
    added = [
        t for p in client.iter_transactions_sync(linked["access_token"], count=1) for t in p.added
    ]
    assert sorted(t["transaction_id"] for t in added) == sorted(
        t["transaction_id"] for t in item["transactions"]
    )

    body = b'{"webhook_type":"TRANSACTIONS","webhook_code":"SYNC_UPDATES_AVAILABLE"}'
    claims = verify_plaid(
        body=body, header=sandbox.plaid_signer.sign(body), keys=PlaidKeyCache.for_client(client)
    )
    assert claims["request_body_sha256"]


def test_it_verifies_rutter_and_stripe_webhooks_signed_by_the_sandbox(sandbox):
    from sandbox.webhooks import rutter_signature, stripe_signature

    body = b'{"type":"UPDATE"}'
    c = sandbox.credentials
    verify_rutter(
        body=body,
        header=rutter_signature(body, c.rutter_client_secret),
        secret=c.rutter_client_secret,
    )
    now = int(time.time())
    verify_stripe(
        body=body,
        header=stripe_signature(body, c.stripe_webhook_secret, now),
        secret=c.stripe_webhook_secret,
    )


def test_it_rides_through_injected_429s_and_5xx(fake_time):
    # Fake time: honour every Retry-After and backoff without really waiting.
    # With 60% of requests failing, allow more attempts than production's default of 6.
    timing = {
        "sleep": fake_time.sleep,
        "clock": fake_time.clock,
        "wall_clock": fake_time.clock,
        "retry": RetryPolicy(max_attempts=25, max_elapsed=10_000),
    }
    with SandboxServer(world_with_stripe(), faults="429=0.3,5xx=0.3,seed=7") as sandbox:
        c = sandbox.credentials
        rutter_client = RutterClient(
            base_url=sandbox.rutter_base_url,
            client_id=c.rutter_client_id,
            client_secret=c.rutter_client_secret,
            version="2024-08-31",
            limiter=SlidingWindowLimiter(max_requests=500, per_seconds=10),
            **timing,
        )
        stripe_client = StripeClient(
            api_base=sandbox.stripe_api_base,
            connect_base=sandbox.stripe_connect_base,
            secret_key=c.stripe_secret_key,
            **timing,
        )
        token = WORLD["rutter"][0]["access_token"]

        ids = [
            t["id"] for p in rutter_client.iter_transactions(token, page_size=1) for t in p.objects
        ]
        payouts = [
            p["id"]
            for page in stripe_client.iter_payouts("acct_sbx", limit=1)
            for p in page.objects
        ]

    assert sorted(ids) == sorted(t["id"] for t in WORLD["rutter"][0]["transactions"])
    assert sorted(payouts) == ["po_1", "po_2", "po_3"]
    assert fake_time.sleeps  # the faults really were hit and retried
