"""Keyset pagination: stable order, each object exactly once even while rows are inserted."""

import contextlib
import datetime as dt
import threading
import time
from decimal import Decimal

import pytest
from django.db import connection

from ledger.models import BankTransaction
from tests import factories as f
from tests.api.conftest import v1


def _pages(api, url, gate=None, **params):
    """Yield each page's results, following next_cursor."""
    cursor = None
    while True:
        with gate or contextlib.nullcontext():
            response = api.get(url, **params, **({"cursor": cursor} if cursor else {}))
        assert response.status_code == 200, response.content
        body = response.json()
        yield body["results"]
        cursor = body["next_cursor"]
        if cursor is None:
            return


def test_it_returns_each_object_exactly_once_while_rows_are_inserted(alice, alice_api):
    account = f.BankAccountFactory(company=alice.company)
    days = [dt.date(2025, 3, 1) + dt.timedelta(days=i % 5) for i in range(23)]  # many ties on date
    existing = {f.BankTransactionFactory(company=alice.company, bank_account=account, date=d).pk for d in days}
    seen = []
    for page_number, page in enumerate(_pages(alice_api, v1(alice.company, "bank-transactions/"), limit=4)):
        seen += [row["id"] for row in page]
        # Inserts between pages, before, inside and after the window being paged.
        for day in (dt.date(2025, 2, 1), dt.date(2025, 3, 3), dt.date(2025, 4, 1)):
            f.BankTransactionFactory(company=alice.company, bank_account=account, date=day)
        assert page_number < 50
    assert len(seen) == len(set(seen)), "an object was served twice"
    assert existing <= set(seen), "an object that existed before paging began was skipped"
    rows = BankTransaction.objects.in_bulk(seen)
    keys = [(rows[i].date, rows[i].pk) for i in seen]
    assert keys == sorted(keys, reverse=True)


@pytest.mark.django_db(transaction=True)
def test_it_returns_each_object_exactly_once_under_concurrent_inserts(alice, alice_api):
    account = f.BankAccountFactory(company=alice.company)
    existing = {f.BankTransactionFactory(company=alice.company, bank_account=account,
                                         date=dt.date(2025, 3, 1) + dt.timedelta(days=i % 7)).pk
                for i in range(60)}
    stop = threading.Event()
    inserted = []
    # The in-memory SQLite test database locks whole tables (no busy timeout), so there a write
    # and a page read take turns at random points; on PostgreSQL they truly overlap.
    gate = threading.Lock() if connection.vendor == "sqlite" else contextlib.nullcontext()

    def writer():
        try:
            n = 0
            while not stop.is_set() and n < 200:
                n += 1
                with gate:
                    row = f.BankTransactionFactory(company=alice.company, bank_account=account,
                                                   date=dt.date(2025, 3, 1) + dt.timedelta(days=n % 9),
                                                   amount=Decimal("1.00"))
                inserted.append(row.pk)
                time.sleep(0.0005)
        finally:
            connection.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        seen = [row["id"] for page in _pages(alice_api, v1(alice.company, "bank-transactions/"),
                                             gate=gate, limit=7)
                for row in page]
    finally:
        stop.set()
        thread.join()
    assert inserted, "the writer never ran"
    assert len(seen) == len(set(seen))
    assert existing <= set(seen)


def test_it_rejects_a_forged_cursor_and_a_bad_limit(alice, alice_api):
    url = v1(alice.company, "bank-transactions/")
    for cursor in ("not-base64!", "WyJ4Il0", "WyIyMDI1LTAxLTAxIiwgIngiXQ"):
        response = alice_api.get(url, cursor=cursor)
        assert response.status_code == 400, cursor
        assert response.json()["error"]["code"] == "invalid_cursor"
    for limit in ("0", "201", "ten"):
        response = alice_api.get(url, limit=limit)
        assert response.status_code == 400
        assert "limit" in response.json()["error"]["details"]


def test_it_pages_payouts_with_and_without_arrival_dates(alice, alice_api):
    dated = [f.PayoutFactory(company=alice.company, arrival_date=dt.date(2025, 3, d)).pk for d in (1, 2, 2, 3)]
    undated = [f.PayoutFactory(company=alice.company, arrival_date=None).pk for _ in range(3)]
    seen = [row["id"] for page in _pages(alice_api, v1(alice.company, "payouts/"), limit=2) for row in page]
    assert sorted(seen) == sorted(dated + undated)
    assert seen[-3:] == sorted(undated, reverse=True)
