"""Partner API test base: a client per tenant key, and one of every books object per tenant."""

import datetime as dt
import json
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.test import Client

from ledger.models import AccountRole
from ledger.services import LineSpec, journal_entry_post, role_account
from tests import factories as f
from tests.connections.sync.conftest import Live


class ApiClient:
    """A Django test client speaking JSON with one partner's API key."""

    def __init__(self, raw_key: str | None):
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {raw_key}"} if raw_key else {}

    def request(self, method: str, url: str, body=None, headers=None):
        kwargs = {"headers": {**self.headers, **(headers or {})}}
        if body is not None:
            kwargs |= {"data": json.dumps(body), "content_type": "application/json"}
        return getattr(self.client, method.lower())(url, **kwargs)

    def get(self, url, **params):
        return self.client.get(url, params, headers=self.headers)

    def post(self, url, body=None, headers=None):
        return self.request("post", url, {} if body is None else body, headers)

    def patch(self, url, body=None):
        return self.request("patch", url, {} if body is None else body)

    def delete(self, url):
        return self.request("delete", url)


@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    cache.clear()


def api_world() -> dict:
    """A small sandbox world: a Shopify store (via Rutter) whose payout lands in a Plaid bank."""
    shop = "aaaaaaaa-0000-4000-8000-00000000a001"
    day = "2025-03-{:02d}T12:00:00.000Z".format
    orders = [{"id": f"o{i}", "order_number": str(i), "total_price": 50.0, "total_line_items_price": 50.0,
               "iso_currency_code": "USD", "payment_status": "paid", "created_at": day(2 + i),
               "updated_at": day(2 + i), "customer": {"id": "c1", "email": "c1@example.com"},
               "line_items": [{"id": f"o{i}-l1", "sku": "MUG", "title": "Mug", "price": 50.0, "quantity": 1}]}
              for i in range(3)]
    txns = [{"id": f"t{i}", "order_id": f"o{i}", "type": "sale", "status": "success", "amount": 50.0,
             "fee": 1.75, "iso_currency_code": "USD", "created_at": day(2 + i), "updated_at": day(2 + i)}
            for i in range(3)]
    payout = {"id": "p1", "amount": 144.75, "iso_currency_code": "USD", "status": "paid",
              "arrival_at": day(8), "created_at": day(6), "updated_at": day(8),
              "transaction_ids": [t["id"] for t in txns]}
    account = {"account_id": "acc-api", "mask": "0042", "name": "Checking", "type": "depository",
               "subtype": "checking", "balances": {"current": 1000.0, "iso_currency_code": "USD"}}
    bank = [{"transaction_id": "bt-api-1", "account_id": "acc-api", "amount": -144.75,
             "iso_currency_code": "USD", "date": "2025-03-08", "name": "SHOPIFY TRANSFER",
             "pending": False, "pending_transaction_id": None}]
    return {
        "format": "tieout.world/1", "company": {"name": "Api Co", "currency": "USD"},
        "rutter": [{"connection_id": shop, "access_token": "tok-api-shop", "public_token": "pub-api-shop",
                    "platform": "SHOPIFY", "store_name": "Api Mugs", "orders": orders,
                    "transactions": txns, "payouts": [payout]}],
        "stripe": [{"account_id": "acct_1ApiTest", "oauth_code": "ac_api_code", "balance_transactions": [],
                    "payouts": []}],
        "plaid": [{"item_id": "item-api-1", "access_token": "access-sandbox-api",
                   "public_token": "public-sandbox-api", "accounts": [account], "transactions": bank}],
        "events": [],
    }


@pytest.fixture(autouse=True)
def sandbox():
    """Every API test talks to a loopback sandbox: no test can reach a real provider."""
    live = Live(api_world(), sync_settings={"SYNC_ENQUEUE_RECONCILIATION": False}).__enter__()
    yield live
    live.__exit__(None, None, None)


@pytest.fixture
def alice_api(alice):
    return ApiClient(alice.raw_key)


@pytest.fixture
def bob_api(bob):
    return ApiClient(bob.raw_key)


def books_for(company) -> SimpleNamespace:
    """One of each object the API exposes, for `company`."""
    bank_transaction = f.BankTransactionFactory(company=company)
    payout = f.PayoutFactory(company=company)
    items = [f.PayoutItemFactory(company=company, payout=payout) for _ in range(3)]
    line = f.InvoiceLineFactory(company=company)
    expense = f.ExpenseFactory(company=company, payout=payout)
    # Posted through the ledger so it balances (PostgreSQL enforces it with a trigger).
    entry = journal_entry_post(
        company=company, date=dt.date(2025, 3, 7), origin="manual", memo="API test entry",
        lines=[LineSpec(account=role_account(company=company, role=AccountRole.BANK), currency="USD",
                        debit=Decimal("10.00")),
               LineSpec(account=role_account(company=company, role=AccountRole.SALES), currency="USD",
                        credit=Decimal("10.00"))],
    )
    connection = f.ConnectionFactory(company=company)
    sync_run = f.SyncRunFactory(company=company, connection=connection, status="succeeded", records=3)
    run = f.ReconciliationRunFactory(company=company)
    # A suggestion: a second deposit and the payout it equals, waiting for a person.
    deposit = f.BankTransactionFactory(company=company, bank_account=bank_transaction.bank_account,
                                       amount=Decimal("1200.00"))
    suggested_payout = f.PayoutFactory(company=company, amount=Decimal("1200.00"))
    match = f.MatchFactory(company=company, bank_transaction=deposit, run=run, engine_version="test")
    f.MatchPayoutFactory(company=company, match=match, payout=suggested_payout)
    embed_session = f.EmbedSessionFactory(company=company)
    return SimpleNamespace(
        company=company, bank_account=bank_transaction.bank_account,
        bank_transaction=bank_transaction, payout=payout, payout_items=items,
        invoice=line.invoice, expense=expense, journal_entry=entry, connection=connection,
        sync_run=sync_run, run=run, match=match, deposit=deposit, suggested_payout=suggested_payout,
        embed_session=embed_session,
    )


@pytest.fixture
def alice_books(alice):
    return books_for(alice.company)


@pytest.fixture
def bob_books(bob):
    return books_for(bob.company)


def v1(company, rest: str = "") -> str:
    return f"/api/v1/companies/{company.public_id}/{rest}"
