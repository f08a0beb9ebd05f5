"""Fixtures for the sandbox tests: a small hand-built world (independent of the generator), a live
SandboxServer on a free port, and a webhook receiver that records what it is sent."""

from __future__ import annotations

import threading
from datetime import UTC
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from sandbox.server import SandboxServer
from sandbox.world import world_from_dict

SHOP = "aaaaaaaa-0000-4000-8000-000000000001"
WOO = "aaaaaaaa-0000-4000-8000-000000000002"
ACCT = "acct_1TestConnected"
ITEM = "item-test-1"
VERSION = "2024-08-31"


def iso(day: int, hour: int = 12) -> str:
    return f"2025-03-{day:02d}T{hour:02d}:00:00.000Z"


def ms(day: int, hour: int = 12) -> int:
    from datetime import datetime
    return int(datetime(2025, 3, day, hour, tzinfo=UTC).timestamp() * 1000)


def rutter_txn(i: int, day: int, type_: str = "sale", amount: float = 10.0, fee=None) -> dict:
    txn = {"id": f"t{i}", "platform_id": str(i), "order_id": f"o{i}", "type": type_,
           "status": "success", "amount": amount, "iso_currency_code": "USD",
           "created_at": iso(day), "updated_at": iso(day, 13), "platform_data": {}}
    if fee is not None:
        txn["fee"] = fee
    return txn


def build_world() -> dict:
    orders = [{"id": f"o{i}", "order_number": str(i), "total_price": 10.0, "iso_currency_code": "USD",
               "created_at": iso(1 + i % 20), "updated_at": iso(1 + i % 20, 14), "line_items": []}
              for i in range(120)]
    txns = [rutter_txn(i, 1 + i % 20, fee=0.59) for i in range(120)]
    txns.append(rutter_txn(500, 5, "refund", 4.0))
    txns.append(rutter_txn(501, 6, "fee", -2.5))
    payouts = []
    for n, (lo, hi) in enumerate(((0, 40), (40, 80), (80, 120))):
        ids = [f"t{i}" for i in range(lo, hi)] + (["t500", "t501"] if n == 0 else [])
        amount = round(40 * (10.0 - 0.59) - (6.5 if n == 0 else 0), 2)
        payouts.append({"id": f"p{n}", "amount": amount, "iso_currency_code": "USD",
                        "status": "paid", "arrival_at": iso(5 + n * 7), "created_at": iso(3 + n * 7),
                        "updated_at": iso(5 + n * 7), "transaction_ids": ids})
    bts, spayouts = [], []
    for n in range(3):
        charges = [{"id": f"txn_ch{n}_{k}", "object": "balance_transaction", "amount": 1000,
                    "fee": 59, "net": 941, "currency": "usd", "type": "charge",
                    "reporting_category": "charge", "created": 1740800000 + n * 86400 + k,
                    "source": f"ch_{n}_{k}", "status": "available", "payout": f"po_{n}",
                    "fee_details": [{"amount": 59, "currency": "usd", "type": "stripe_fee",
                                     "description": "Stripe processing fees", "application": None}]}
                   for k in range(50)]
        bts.extend(charges)
        total = sum(b["net"] for b in charges)
        spayouts.append({"id": f"po_{n}", "object": "payout", "amount": total, "currency": "usd",
                         "status": "paid", "created": 1740900000 + n * 86400,
                         "arrival_date": 1741000000 + n * 86400, "automatic": True,
                         "balance_transaction": f"txn_po_{n}"})
        bts.append({"id": f"txn_po_{n}", "object": "balance_transaction", "amount": -total, "fee": 0,
                    "net": -total, "currency": "usd", "type": "payout", "reporting_category": "payout",
                    "created": 1740900000 + n * 86400, "source": f"po_{n}", "payout": None,
                    "fee_details": []})
    account = {"account_id": "acc-1", "mask": "0001", "name": "Checking", "type": "depository",
               "subtype": "checking", "balances": {"current": 1000.0, "iso_currency_code": "USD"}}
    bank = [{"transaction_id": f"bt{i}", "account_id": "acc-1", "amount": -100.0 - i,
             "iso_currency_code": "USD", "date": f"2025-03-{1 + i % 25:02d}", "name": f"DEP {i}",
             "pending": False, "pending_transaction_id": None} for i in range(30)]
    bank.append({"transaction_id": "pend-1", "account_id": "acc-1", "amount": -55.0,
                 "iso_currency_code": "USD", "date": "2025-03-27", "name": "SHOPIFY TRANSFER",
                 "pending": True, "pending_transaction_id": None})
    events = [
        {"at": iso(28), "provider": "rutter", "connection": SHOP, "op": "upsert", "kind": "transaction",
         "object": rutter_txn(900, 28, fee=0.59)},
        {"at": iso(28), "provider": "rutter", "connection": SHOP, "op": "upsert", "kind": "order",
         "object": {**orders[0], "updated_at": iso(28)}},
        {"at": iso(28), "provider": "stripe", "connection": ACCT, "op": "upsert", "kind": "balance_transaction",
         "object": {"id": "txn_re_1", "object": "balance_transaction", "amount": -500, "fee": 0, "net": -500,
                    "currency": "usd", "type": "refund", "reporting_category": "refund",
                    "created": 1741500000, "source": "re_1", "payout": None, "fee_details": []}},
        {"at": iso(28), "provider": "stripe", "connection": ACCT, "op": "upsert", "kind": "balance_transaction",
         "object": {"id": "txn_dp_1", "object": "balance_transaction", "amount": -1000, "fee": 1500,
                    "net": -2500, "currency": "usd", "type": "adjustment", "reporting_category": "dispute",
                    "created": 1741500001, "source": "dp_1", "payout": None, "fee_details": []}},
        {"at": iso(29), "provider": "stripe", "connection": ACCT, "op": "upsert", "kind": "payout",
         "object": {**spayouts[2], "status": "failed"}},
        {"at": iso(29), "provider": "plaid", "connection": ITEM, "op": "upsert", "kind": "bank_transaction",
         "object": {"transaction_id": "post-1", "account_id": "acc-1", "amount": -55.0,
                    "iso_currency_code": "USD", "date": "2025-03-28", "name": "SHOPIFY TRANSFER",
                    "pending": False, "pending_transaction_id": "pend-1"}},
    ]
    return {
        "format": "tieout.world/1",
        "company": {"name": "Test Co", "currency": "USD"},
        "rutter": [
            {"connection_id": SHOP, "access_token": "tok-shop", "public_token": "pub-shop",
             "platform": "SHOPIFY", "store_name": "Test Shop", "orders": orders, "transactions": txns,
             "payouts": payouts, "customers": [{"id": "c1", "email": "a@example.com"}]},
            {"connection_id": WOO, "access_token": "tok-woo", "public_token": "pub-woo",
             "platform": "WOO_COMMERCE", "store_name": "Test Woo", "orders": [],
             "transactions": [rutter_txn(1, 2)], "payouts": []},
        ],
        "stripe": [{"account_id": ACCT, "oauth_code": "ac_test_code", "balance_transactions": bts,
                    "payouts": spayouts}],
        "plaid": [{"item_id": ITEM, "access_token": "access-sandbox-test", "public_token": "public-sandbox-test",
                   "accounts": [account], "transactions": bank}],
        "events": events,
    }


@pytest.fixture
def world():
    return world_from_dict(build_world())


@pytest.fixture
def sandbox(world):
    with SandboxServer(world) as server:
        yield server


class Receiver:
    """Records webhooks POSTed to it: list of (path, headers, raw body)."""

    def __init__(self):
        self.received: list[tuple[str, dict, bytes]] = []
        self.cond = threading.Condition()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with outer.cond:
                    outer.received.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                    outer.cond.notify_all()
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hooks"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def wait_for(self, count: int, timeout: float = 5.0) -> list:
        with self.cond:
            self.cond.wait_for(lambda: len(self.received) >= count, timeout)
            return list(self.received)

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def rutter(sandbox):
    c = sandbox.credentials
    with httpx.Client(base_url=sandbox.rutter_base_url, auth=(c.rutter_client_id, c.rutter_client_secret),
                      headers={"X-Rutter-Version": VERSION}) as client:
        yield client


@pytest.fixture
def stripe(sandbox):
    with httpx.Client(base_url=sandbox.stripe_api_base,
                      headers={"Authorization": f"Bearer {sandbox.credentials.stripe_secret_key}",
                               "Stripe-Account": ACCT}) as client:
        yield client


@pytest.fixture
def plaid(sandbox):
    c = sandbox.credentials

    class Plaid:
        def post(self, path, **body):
            return httpx.post(sandbox.plaid_base_url + path,
                              json={"client_id": c.plaid_client_id, "secret": c.plaid_secret, **body})

    return Plaid()
