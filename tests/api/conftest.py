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
    return SimpleNamespace(
        company=company, bank_account=bank_transaction.bank_account,
        bank_transaction=bank_transaction, payout=payout, payout_items=items,
        invoice=line.invoice, expense=expense, journal_entry=entry,
    )


@pytest.fixture
def alice_books(alice):
    return books_for(alice.company)


@pytest.fixture
def bob_books(bob):
    return books_for(bob.company)


def v1(company, rest: str = "") -> str:
    return f"/api/v1/companies/{company.public_id}/{rest}"
