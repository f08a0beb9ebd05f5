"""The overview's monthly rollups: whatever writes bank lines or payout items (a service, a queryset
update, raw SQL at a database prompt, a delete), the figures read back equal a live aggregate, before
and after a refresh, and a refresh leaves the rollup tables equal to the live figures."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection

from ledger import monthly
from ledger.models import BankMonth, BankTransaction, ItemMonth, PayoutItem, RollupMark
from ledger.services.rollups import rollups_refresh
from tests import factories as F

pytestmark = pytest.mark.django_db


def _bank(company):
    return [{k: r[k] for k in ("month", "currency", "deposited", "waiting", "waiting_total")}
            for r in monthly.bank_months_live(company=company)]


def _normalized(rows, keys, values):
    out = {}
    for r in rows:
        vals = tuple(Decimal(r[v] or 0) for v in values)
        if any(vals):
            out[tuple(r[k] for k in keys)] = vals
    return out


BANK = (("month", "currency"), ("deposited", "waiting", "waiting_total"))
ITEMS = (("month", "platform", "currency", "kind"), ("amount", "fee"))


def _assert_reads_equal_live(company):
    assert _normalized(monthly.bank_months(company=company), *BANK) == \
        _normalized(monthly.bank_months_live(company=company), *BANK)
    assert _normalized(monthly.item_months(company=company), *ITEMS) == \
        _normalized(monthly.item_months_live(company=company), *ITEMS)


def _assert_rollups_equal_live(company):
    assert not RollupMark.objects.filter(company=company).exists()
    assert _normalized(BankMonth.objects.filter(company=company).values(), *BANK) == \
        _normalized(monthly.bank_months_live(company=company), *BANK)
    assert _normalized(ItemMonth.objects.filter(company=company).values(), *ITEMS) == \
        _normalized(monthly.item_months_live(company=company), *ITEMS)


def test_every_write_path_keeps_the_figures_equal_to_the_rows():
    company = F.CompanyFactory()
    other = F.CompanyFactory()
    lines = [F.BankTransactionFactory(company=company, date=dt.date(2025, m, 5), amount=Decimal("100.00") * m)
             for m in (1, 2, 3)]
    F.BankTransactionFactory(company=other, date=dt.date(2025, 1, 9), amount=Decimal("7.00"))
    payout = F.PayoutFactory(company=company, platform="ETSY")
    items = [F.PayoutItemFactory(company=company, payout=payout,
                                 occurred_at=dt.datetime(2025, m, 2, 23, 30, tzinfo=dt.UTC)) for m in (1, 2)]
    F.PayoutItemFactory(company=company, payout=None)  # not settled: in no rollup
    _assert_reads_equal_live(company)
    assert rollups_refresh(company=company) == 5  # 3 bank months, 2 item months
    _assert_rollups_equal_live(company)
    jan = [r for r in monthly.bank_months(company=company) if r["month"] == "2025-01"]
    assert jan[0]["deposited"] == Decimal("100.00") and jan[0]["waiting"] == 1

    # A queryset update moves a line to another month and reconciles another.
    BankTransaction.objects.filter(pk=lines[0].pk).update(date=dt.date(2025, 4, 1))
    BankTransaction.objects.filter(pk=lines[1].pk).update(status="reconciled")
    # Raw SQL at a database prompt: an amount changes, an item moves to another payout month.
    with connection.cursor() as cursor:
        cursor.execute("UPDATE ledger_banktransaction SET amount = %s WHERE id = %s", ["333.33", lines[2].pk])
        cursor.execute("UPDATE ledger_payoutitem SET occurred_at = %s WHERE id = %s",
                       [dt.datetime(2025, 5, 1, tzinfo=dt.UTC), items[0].pk])
    PayoutItem.objects.filter(pk=items[1].pk).update(payout=None)  # freed (an inferred payout undone)
    BankTransaction.objects.filter(pk=lines[2].pk).delete()
    F.BankTransactionFactory(company=company, date=dt.date(2025, 2, 20), amount=Decimal("-50.00"))

    assert RollupMark.objects.filter(company=company).exists()
    _assert_reads_equal_live(company)  # stale months are aggregated live, never read stale
    rollups_refresh(company=company)
    _assert_rollups_equal_live(company)
    months = {r["month"] for r in monthly.bank_months(company=company) if r["deposited"]}
    assert months == {"2025-02", "2025-04"}  # January moved out, March deleted
    assert {r["month"] for r in monthly.item_months(company=company)} == {"2025-05"}
    # The other company's figures were never touched by this company's refreshes.
    assert not BankMonth.objects.filter(company=other).exists()
    assert [r["deposited"] for r in monthly.bank_months(company=other)] == [Decimal("7.00")]


def test_the_bank_feed_and_item_services_mark_what_they_write():
    from ledger.services.bank_feed import bank_transaction_upsert_many
    from ledger.services.ingest import payout_item_upsert_many

    company = F.CompanyFactory()
    account = F.BankAccountFactory(company=company, external_id="acc-1")
    payout = F.PayoutFactory(company=company, source="rutter:c1", external_id="po_1")
    rollups_refresh(company=company)
    # 60 rows: the COPY path on PostgreSQL (ledger.bulk.COPY_THRESHOLD), plain upserts on SQLite.
    bank_transaction_upsert_many(company=company, rows=[
        {"source": account.source, "external_id": f"t{i}", "account_external_id": "acc-1",
         "date": dt.date(2025, 6 + i % 2, 1 + i % 28), "currency": "USD", "amount": Decimal("10.00") + i}
        for i in range(60)])
    payout_item_upsert_many(company=company, rows=[
        {"source": "rutter:c1", "external_id": f"i{i}", "payout_external_id": "po_1", "kind": "sale",
         "provider_type": "sale", "occurred_at": dt.datetime(2025, 6, 3, tzinfo=dt.UTC), "currency": "USD",
         "amount": Decimal("5.00"), "fee": Decimal("0.30"), "net": Decimal("4.70")} for i in range(60)])
    assert set(RollupMark.objects.filter(company=company).values_list("kind", "month")) == {
        ("bank", "2025-06"), ("bank", "2025-07"), ("item", "2025-06")}
    _assert_reads_equal_live(company)
    rollups_refresh(company=company)
    _assert_rollups_equal_live(company)
    june = [r for r in monthly.item_months(company=company) if r["month"] == "2025-06"]
    assert june[0]["amount"] == Decimal("300.00") and june[0]["platform"] == payout.platform


def test_a_deleted_company_leaves_no_marks():
    company = F.CompanyFactory()  # (a company with bank accounts cannot be deleted: they protect it)
    F.PayoutItemFactory(company=company)
    assert RollupMark.objects.filter(company=company).exists()
    pk = company.pk
    company.delete()
    assert not RollupMark.objects.filter(company_id=pk).exists()


def test_linking_booked_items_marks_no_month_and_the_next_write_still_does():
    """Booking links items to entries (booked_entry_id, which no rollup reads): no month is marked
    (ledger migration 0015 on PostgreSQL; SQLite's triggers watch the input columns). A write of
    an input in the same transaction afterwards still marks its month."""
    from reconciliation.services.booking import items_book

    company = F.CompanyFactory()
    payout = F.PayoutFactory(company=company, platform="ETSY")
    item = F.PayoutItemFactory(company=company, payout=payout, occurred_at=dt.datetime(2025, 4, 2, tzinfo=dt.UTC))
    rollups_refresh(company=company)
    assert not RollupMark.objects.filter(company=company).exists()
    assert items_book(company=company, by="test") == 1  # entries, the link, documents
    assert PayoutItem.objects.get(pk=item.pk).booked_entry_id is not None
    assert not RollupMark.objects.filter(company=company, kind="item").exists()
    PayoutItem.objects.filter(pk=item.pk).update(amount=Decimal("1.00"))
    assert set(RollupMark.objects.filter(company=company, kind="item").values_list("month", flat=True)) == {"2025-04"}
    _assert_reads_equal_live(company)
