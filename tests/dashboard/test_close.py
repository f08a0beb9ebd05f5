"""The month-end close: per clearing and bank account, opening + in − out = closing, a clearing
account's closing balance is the money its platform booked and did not deposit yet, open bank
lines counted; the page and its CSV say the same."""

import csv
import datetime as dt
import io
from decimal import Decimal

from ledger.selectors import close_report
from reconciliation.services import reconcile_company
from tests.dashboard.conftest import headers, url
from tests.reconciliation.services.conftest import synced_world  # noqa: F401

MARCH = dt.date(2025, 3, 1)


def test_the_close_ties_out_on_a_reconciled_world(synced_world):  # noqa: F811
    company = synced_world()  # the mission example: a Shopify and an Amazon payout, four bank lines
    reconcile_company(company=company)
    rows = close_report(company=company, month=MARCH)

    assert {r["kind"] for r in rows} == {"bank", "clearing"}
    for r in rows:
        assert r["opening"] + r["in"] - r["out"] == r["closing"]
    # Both payouts were deposited (bank-txn-1, bank-txn-2): nothing left in transit.
    assert all(r["closing"] == Decimal("0") for r in rows if r["kind"] == "clearing")
    # The wholesale look-alike (bank-txn-4) is still open.
    assert sum(r["open_lines"] for r in rows if r["kind"] == "bank") >= 1


def test_the_close_page_and_its_csv(client, alice, synced_world):  # noqa: F811
    company = synced_world()
    reconcile_company(company=company)
    page = client.get(url(company, "close"), {"month": "2025-03"}, **headers(alice)).content.decode()
    assert "Close March 2025" in page and "in transit" in page
    export = client.get(url(company, "close_csv"), {"month": "2025-03"}, **headers(alice))
    rows = list(csv.DictReader(io.StringIO(export.content.decode())))
    assert {r["kind"] for r in rows} == {"bank", "clearing"}
    assert all(Decimal(r["opening"]) + Decimal(r["in"]) - Decimal(r["out"]) == Decimal(r["closing"])
               for r in rows)
    assert export["Content-Disposition"].endswith('-2025-03.csv"')
