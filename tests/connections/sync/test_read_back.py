"""Payout items: the read-back is skipped while pages are new and resumed when they are stored.

Either way the stored rows are the same and a page of unchanged rows rewrites nothing.
"""

from datetime import UTC, datetime
from decimal import Decimal

from django.db import connection

from ledger import models as L
from ledger.services import ingest
from tests.factories import CompanyFactory

SOURCE = "rutter:read-back"


def page(start: int, size: int = 60, amount: str = "10.00") -> list[dict]:
    return [{"source": SOURCE, "external_id": f"t{i}", "kind": "sale", "provider_type": "sale",
             "status": "success", "amount": Decimal(amount), "fee": Decimal("0.50"),
             "net": Decimal(amount) - Decimal("0.50"), "currency": "USD",
             "occurred_at": datetime(2025, 3, 1, tzinfo=UTC), "order_external_id": f"o{i}"}
            for i in range(start, start + size)]


def versions(company) -> dict:
    """Row versions on PostgreSQL (xmin changes when a row is rewritten), else the stored values."""
    rows = L.PayoutItem.objects.filter(company=company)
    if connection.vendor == "postgresql":
        return dict(rows.extra(select={"v": "xmin::text"}).values_list("external_id", "v"))
    return {r["external_id"]: r for r in rows.values()}


def test_read_back_turns_off_for_new_rows_and_on_for_stored_ones(db):
    company = CompanyFactory()
    read_back = ingest.ReadBack()

    ingest.payout_item_upsert_many(company=company, rows=page(0), read_back=read_back)
    assert not read_back.enabled, "a page of new rows: nothing to read back next time"
    ingest.payout_item_upsert_many(company=company, rows=page(60), read_back=read_back)
    assert L.PayoutItem.objects.filter(company=company).count() == 120

    before = versions(company)
    ingest.payout_item_upsert_many(company=company, rows=page(0), read_back=read_back)  # unchanged
    assert versions(company) == before, "an unchanged page rewrites nothing, read back or not"
    if connection.vendor == "postgresql":  # the COPY upsert says how many rows it wrote
        assert read_back.enabled, "a page found stored unchanged turns the read-back back on"
    ingest.payout_item_upsert_many(company=company, rows=page(60), read_back=read_back)
    assert versions(company) == before

    changed = page(0, amount="12.00")
    ingest.payout_item_upsert_many(company=company, rows=changed, read_back=read_back)
    stored = L.PayoutItem.objects.filter(company=company, external_id__in=[r["external_id"] for r in changed])
    assert {i.amount for i in stored} == {Decimal("12.00")}
    assert L.PayoutItem.objects.filter(company=company).count() == 120
