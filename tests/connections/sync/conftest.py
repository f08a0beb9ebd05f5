"""Sync tests run the real clients against a live SandboxServer over loopback HTTP.

`sync_world()` is a small hand-built world with every provider, several pages per entity at
SYNC_PAGE_SIZE=25, unknown transaction types, a pending bank line replaced later, and events.
"""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import override_settings

from connections.models import Connection
from connections.services import (
    connection_link_plaid,
    connection_link_rutter,
    connection_link_stripe,
    connection_sync,
    stripe_oauth_start_url,
)
from ledger import models as L
from sandbox.server import SandboxServer
from sandbox.world import world_from_dict
from tests.contracts.rutter_contract import RutterContract

MISSION = Path(__file__).resolve().parents[2] / "data" / "mission-example.world.json"
SHOP, WOO, ACCT, ITEM = "cccccccc-0000-4000-8000-000000000001", "cccccccc-0000-4000-8000-000000000002", "acct_1SyncTest", "item-sync-1"
PAGE = 25
UNOFFICIAL = ("BTC", "DOGE")  # currencies of the sync world's crypto accounts


def iso(day: int, hour: int = 12) -> str:
    return f"2025-03-{day:02d}T{hour:02d}:00:00.000Z"


def rutter_txn(i: int, day: int, type_: str = "sale", amount: float = 10.0, fee=None) -> dict:
    txn = {"id": f"t{i}", "order_id": f"o{i}", "type": type_, "status": "success", "amount": amount,
           "iso_currency_code": "USD", "created_at": iso(day), "updated_at": iso(day, 13)}
    if fee is not None:
        txn["fee"] = fee
    return txn


def sync_world() -> dict:
    orders = [{"id": f"o{i}", "order_number": str(i), "total_price": 10.0, "total_line_items_price": 10.0,
               "iso_currency_code": "USD", "payment_status": "paid",
               "customer": {"id": f"c{i % 7}", "email": f"c{i % 7}@example.com", "first_name": "Cu"},
               "created_at": iso(1 + i % 20), "updated_at": iso(1 + i % 20, 14),
               "line_items": [{"id": f"o{i}-l1", "sku": "MUG", "title": "Mug", "price": 10.0, "quantity": 1}]}
              for i in range(80)]
    txns = [rutter_txn(i, 1 + i % 20, fee=0.59) for i in range(80)]
    txns += [rutter_txn(500, 5, "refund", 4.0), rutter_txn(501, 6, "fee", -2.5),
             rutter_txn(502, 7, "other", -1.25)]
    payouts = []
    for n, (lo, hi) in enumerate(((0, 40), (40, 80))):
        ids = [f"t{i}" for i in range(lo, hi)] + (["t500", "t501", "t502"] if n == 0 else [])
        amount = round(40 * (10.0 - 0.59) - (7.75 if n == 0 else 0), 2)
        payouts.append({"id": f"p{n}", "amount": amount, "iso_currency_code": "USD", "status": "paid",
                        "arrival_at": iso(5 + n * 7), "created_at": iso(3 + n * 7),
                        "updated_at": iso(5 + n * 7), "transaction_ids": ids})
    bts, spayouts = [], []
    for n in range(3):
        charges = [{"id": f"txn_ch{n}_{k}", "object": "balance_transaction", "amount": 1000, "fee": 59,
                    "net": 941, "currency": "usd", "type": "charge", "reporting_category": "charge",
                    "created": 1740800000 + n * 86400 + k, "source": f"ch_{n}_{k}", "status": "available",
                    "payout": f"po_{n}", "fee_details": []} for k in range(30)]
        bts.extend(charges)
        total = sum(b["net"] for b in charges)
        spayouts.append({"id": f"po_{n}", "object": "payout", "amount": total, "currency": "usd",
                         "status": "paid" if n < 2 else "in_transit", "created": 1740900000 + n * 86400,
                         "arrival_date": 1741000000 + n * 86400, "automatic": True,
                         "balance_transaction": f"txn_po_{n}"})
        bts.append({"id": f"txn_po_{n}", "object": "balance_transaction", "amount": -total, "fee": 0,
                    "net": -total, "currency": "usd", "type": "payout", "reporting_category": "payout",
                    "created": 1740900000 + n * 86400, "source": f"po_{n}", "payout": None, "fee_details": []})
    # Settled after the last payout: not paid out yet, but their fees are already the company's
    # (accrual). Stripe lists them only without ?payout=.
    bts += [{"id": f"txn_unpaid_{k}", "object": "balance_transaction", "amount": 2000, "fee": 88,
             "net": 1912, "currency": "usd", "type": "charge", "reporting_category": "charge",
             "created": 1741200000 + k, "source": f"ch_unpaid_{k}", "status": "pending", "payout": None,
             "fee_details": []} for k in range(5)]
    bts.append({"id": "txn_unpaid_fee", "object": "balance_transaction", "amount": -1500, "fee": 0,
                "net": -1500, "currency": "usd", "type": "stripe_fee", "reporting_category": "fee",
                "created": 1741200100, "source": None, "status": "available", "payout": None,
                "fee_details": []})
    account = {"account_id": "acc-1", "mask": "0001", "name": "Checking", "type": "depository",
               "subtype": "checking", "balances": {"current": 1000.0, "iso_currency_code": "USD"}}
    bank = [{"transaction_id": f"bt{i}", "account_id": "acc-1", "amount": -100.0 - i, "iso_currency_code": "USD",
             "date": f"2025-03-{1 + i % 25:02d}", "name": f"DEP {i}", "pending": False,
             "pending_transaction_id": None} for i in range(60)]
    bank.append({"transaction_id": "pend-1", "account_id": "acc-1", "amount": -55.0, "iso_currency_code": "USD",
                 "date": "2025-03-27", "name": "SHOPIFY TRANSFER", "pending": True, "pending_transaction_id": None})
    # Accounts in unofficial currencies (Plaid: iso_currency_code null, unofficial_currency_code
    # set), one whose code looks like ISO 4217 and one of four letters: neither is booked.
    crypto = [{"account_id": f"acc-{code.lower()}", "mask": None, "name": f"{code} Wallet", "type": "investment",
               "subtype": "crypto exchange", "balances": {"current": 2.5, "iso_currency_code": None,
                                                          "unofficial_currency_code": code}}
              for code in UNOFFICIAL]
    bank += [{"transaction_id": f"{code.lower()}-{i}", "account_id": f"acc-{code.lower()}", "amount": -0.00012345,
              "iso_currency_code": None, "unofficial_currency_code": code, "date": f"2025-03-{10 + i:02d}",
              "name": f"{code} RECEIVED", "pending": False, "pending_transaction_id": None}
             for code in UNOFFICIAL for i in range(2)]
    events = [
        {"at": iso(28), "provider": "rutter", "connection": SHOP, "op": "upsert", "kind": "transaction",
         "object": rutter_txn(900, 28, fee=0.59)},
        {"at": iso(28), "provider": "rutter", "connection": SHOP, "op": "upsert", "kind": "order",
         "object": {**orders[0], "total_price": 12.0, "updated_at": iso(28)}},
        {"at": iso(28), "provider": "rutter", "connection": SHOP, "op": "upsert", "kind": "payout",
         "object": {"id": "p9", "amount": 9.41, "iso_currency_code": "USD", "status": "paid",
                    "arrival_at": iso(29), "created_at": iso(28), "updated_at": iso(29), "transaction_ids": ["t900"]}},
        {"at": iso(29), "provider": "stripe", "connection": ACCT, "op": "upsert", "kind": "payout",
         "object": {**spayouts[2], "status": "failed"}},
        {"at": iso(29), "provider": "plaid", "connection": ITEM, "op": "upsert", "kind": "bank_transaction",
         "object": {"transaction_id": "post-1", "account_id": "acc-1", "amount": -55.0, "iso_currency_code": "USD",
                    "date": "2025-03-28", "name": "SHOPIFY TRANSFER", "pending": False,
                    "pending_transaction_id": "pend-1"}},
        {"at": iso(29), "provider": "plaid", "connection": ITEM, "op": "delete", "kind": "bank_transaction",
         "object": {"transaction_id": "bt3"}},
    ]
    return {
        "format": "tieout.world/1", "company": {"name": "Sync Co", "currency": "USD"},
        "rutter": [
            {"connection_id": SHOP, "access_token": "tok-shop", "public_token": "pub-shop", "platform": "SHOPIFY",
             "store_name": "Sync Shop", "orders": orders, "transactions": txns, "payouts": payouts},
            {"connection_id": WOO, "access_token": "tok-woo", "public_token": "pub-woo",
             "platform": "WOO_COMMERCE", "store_name": "Sync Woo", "orders": [],
             "transactions": [rutter_txn(1000 + i, 2) for i in range(3)], "payouts": []},
        ],
        "stripe": [{"account_id": ACCT, "oauth_code": "ac_sync_code", "balance_transactions": bts,
                    "payouts": spayouts}],
        "plaid": [{"item_id": ITEM, "access_token": "access-sandbox-sync", "public_token": "public-sandbox-sync",
                   "accounts": [account, *crypto], "transactions": bank}],
        "events": events,
    }


def mission_world() -> dict:
    return json.loads(MISSION.read_text())


def settings_for(sandbox: SandboxServer, **extra) -> dict:
    c = sandbox.credentials
    return {
        "RUTTER_BASE_URL": sandbox.rutter_base_url, "RUTTER_CLIENT_ID": c.rutter_client_id,
        # A partner's own accounts pick an environment; the sandbox stands in for both.
        "RUTTER_SANDBOX_BASE_URL": sandbox.rutter_base_url, "PLAID_SANDBOX_BASE_URL": sandbox.plaid_base_url,
        "RUTTER_CLIENT_SECRET": c.rutter_client_secret,
        "STRIPE_API_BASE": sandbox.stripe_api_base, "STRIPE_CONNECT_BASE": sandbox.stripe_connect_base,
        "STRIPE_SECRET_KEY": c.stripe_secret_key, "STRIPE_CLIENT_ID": c.stripe_client_id,
        "STRIPE_WEBHOOK_SECRET": c.stripe_webhook_secret, "STRIPE_REDIRECT_URI": c.stripe_redirect_uri,
        "PLAID_BASE_URL": sandbox.plaid_base_url, "PLAID_CLIENT_ID": c.plaid_client_id,
        "PLAID_SECRET": c.plaid_secret, "SYNC_PAGE_SIZE": PAGE, "SYNC_ENQUEUE_RECONCILIATION": False,
        **extra,
    }


class Live:
    """A running sandbox plus settings pointing the real clients at it."""

    def __init__(self, world: dict, sync_settings: dict | None = None, **options):
        self.world = copy.deepcopy(world)
        self.sync_settings = sync_settings or {}
        self.server = SandboxServer(world_from_dict(copy.deepcopy(world)), **options)
        self._settings = None

    def __enter__(self):
        self.contract = RutterContract()
        self.server.observers.append(self.contract)
        self.server.start()
        self._settings = override_settings(**settings_for(self.server, **self.sync_settings))
        self._settings.enable()
        return self

    def __exit__(self, *exc):
        if self._settings is not None:
            self._settings.disable()
            self._settings = None
            self.server.stop()


@pytest.fixture
def live_world():
    """live_world(world_dict, **sandbox options) -> a started Live, stopped after the test."""
    started = []

    def start(world: dict, **options) -> Live:
        live = Live(world, **options).__enter__()
        started.append(live)
        return live

    yield start
    for live in reversed(started):
        live.__exit__(None, None, None)
    violations = [v for live in started for v in live.contract.violations]
    assert not violations, "Rutter contract broken:\n" + "\n".join(dict.fromkeys(violations))


def link_all(company, world: dict) -> list[Connection]:
    links = [connection_link_rutter(company=company, public_token=c["public_token"]) for c in world.get("rutter", [])]
    for account in world.get("stripe", []):
        url = stripe_oauth_start_url(company=company)
        state = parse_qs(urlsplit(url).query)["state"][0]
        links.append(connection_link_stripe(company=company, state=state, code=account["oauth_code"]))
    links += [connection_link_plaid(company=company, public_token=p["public_token"]) for p in world.get("plaid", [])]
    return links


def sync_all(company, **kwargs) -> list:
    return [connection_sync(connection=c, **kwargs) for c in Connection.objects.filter(company=company).order_by("id")]


SNAPSHOT_MODELS = [L.Customer, L.Invoice, L.InvoiceLine, L.Payout, L.PayoutItem, L.BankAccount,
                   L.BankTransaction, L.Account, L.JournalEntry, L.JournalLine]


def snapshot(company) -> dict:
    """Every ledger row of the company, every column, ordered by id: equal snapshots = no change."""
    return {model.__name__: list(model.objects.filter(company=company).order_by("pk").values())
            for model in SNAPSHOT_MODELS}


def snapshot_by_key(company) -> dict:
    """Like snapshot() but without surrogate ids, keyed by identity: for comparing two companies."""
    out = {}
    for model in SNAPSHOT_MODELS:
        rows = []
        for row in model.objects.filter(company=company).values():
            rows.append(tuple(sorted((k, str(v)) for k, v in row.items()
                                     if k not in ("id", "company_id") and not k.endswith("_id")
                                     and k not in ("created_at", "posted_at"))))
        out[model.__name__] = sorted(rows)
    return out


def d(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))
