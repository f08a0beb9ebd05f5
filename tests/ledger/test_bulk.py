"""The ledger's bulk writes store exactly what the ORM would, on both databases, and say how many
rows they changed: upserts rewrite nothing unchanged; plain inserts keep every value."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from ledger.bulk import bulk_set_many, insert_many, upsert
from ledger.models import BankTransaction, InvoiceLine
from tests import factories as F

pytestmark = pytest.mark.django_db

NEW_YORK = ZoneInfo("America/New_York")
FIELDS = ["bank_account", "date", "authorized_date", "currency", "amount", "name", "pending", "updated_at"]


def _rows(company, account, n=60, amount=Decimal("12.34")):
    return [{"company_id": company.pk, "source": "plaid:x", "external_id": f"t{i}", "bank_account_id": account.pk,
             "date": dt.date(2025, 3, 1) + dt.timedelta(days=i % 28), "authorized_date": None, "currency": "USD",
             "amount": amount + i, "name": f"DEPOSIT {i}", "pending": i % 2 == 0,
             # An aware time in another zone: stored as UTC, read back equal.
             "updated_at": dt.datetime(2025, 3, 1, 21, 30, 15, 123456, tzinfo=NEW_YORK) + dt.timedelta(hours=i)}
            for i in range(n)]


def _stored(company):
    return {b.external_id: (b.date, b.authorized_date, b.currency, b.amount, b.name, b.pending, b.updated_at)
            for b in BankTransaction.objects.filter(company=company)}


def test_an_upsert_stores_what_the_orm_would_and_rewrites_nothing_unchanged():
    company = F.CompanyFactory()
    account = F.BankAccountFactory(company=company)
    rows = _rows(company, account)
    assert upsert(BankTransaction, rows, FIELDS) == 60
    expected = {r["external_id"]: (r["date"], None, "USD", r["amount"], r["name"], r["pending"], r["updated_at"])
                for r in rows}
    assert _stored(company) == expected
    assert upsert(BankTransaction, rows, FIELDS) == 0  # a re-sync of the same page writes nothing
    rows[3]["amount"], rows[7]["name"] = Decimal("999.99"), "CHANGED"
    assert upsert(BankTransaction, rows, FIELDS) == 2
    stored = _stored(company)
    assert stored["t3"][3] == Decimal("999.99") and stored["t7"][4] == "CHANGED"
    assert BankTransaction.objects.filter(company=company).count() == 60


def test_insert_many_keeps_every_value_and_fills_defaults():
    company = F.CompanyFactory()
    invoice = F.InvoiceFactory(company=company)
    lines = [{"company_id": company.pk, "invoice_id": invoice.pk, "description": f"Mug {i}",
              "quantity": Decimal("1.5"), "unit_price": Decimal("10.01"), "amount": Decimal("15.02")}
             for i in range(60)]
    assert insert_many(InvoiceLine, lines) == 60
    stored = list(InvoiceLine.objects.filter(invoice=invoice).order_by("id")
                  .values_list("description", "sku", "external_id", "quantity", "unit_price", "amount"))
    assert stored == [(f"Mug {i}", "", "", Decimal("1.5"), Decimal("10.01"), Decimal("15.02")) for i in range(60)]


@pytest.mark.parametrize("n", [3, 120])  # below and above the size from which PostgreSQL stages by COPY
def test_bulk_set_many_sets_each_rows_own_values_and_nothing_else(n):
    from django.db import transaction

    company = F.CompanyFactory()
    account = F.BankAccountFactory(company=company)
    upsert(BankTransaction, _rows(company, account, n=n + 1), FIELDS)
    ids = dict(BankTransaction.objects.filter(company=company).values_list("external_id", "pk"))
    before = _stored(company)
    with transaction.atomic():  # twice in one transaction: the second reuses the first's stage
        assert bulk_set_many(BankTransaction, ["amount", "authorized_date"],
                             [(ids[f"t{i}"], Decimal("-1.05") * i, dt.date(2025, 4, 1) + dt.timedelta(days=i % 9))
                              for i in range(n)]) == n
        assert bulk_set_many(BankTransaction, ["name"], [(ids[f"t{i}"], f"SET {i}") for i in range(n)]) == n
    after = _stored(company)
    for i in range(n):
        b = after[f"t{i}"]
        assert (b[3], b[1], b[4]) == (Decimal("-1.05") * i, dt.date(2025, 4, 1) + dt.timedelta(days=i % 9), f"SET {i}")
        assert (b[0], b[2], b[5], b[6]) == (before[f"t{i}"][0], before[f"t{i}"][2], before[f"t{i}"][5], before[f"t{i}"][6])
    assert after[f"t{n}"] == before[f"t{n}"]  # a row not named keeps its values
