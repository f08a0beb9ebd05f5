"""Booking platform transactions: every settled item is linked, once, to the entry that counted it."""

from collections import defaultdict
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.db import connection

from companies.services import company_create, partner_create
from connections.models import Connection, ConnectionStatus
from ledger.models import Account, AccountRole, JournalLine, Payout, PayoutItem
from ledger.selectors import books_balanced
from reconciliation.services.booking import items_book

pytestmark = pytest.mark.django_db


@pytest.fixture
def company():
    company = company_create(partner=partner_create(name="booking"), name="booking")
    for ext in ("shop", "etsy"):
        Connection.objects.create(company=company, provider="rutter", external_id=ext, platform=ext.upper(),
                                  status=ConnectionStatus.READY)
    return company


def _item(company, ext, *, source="rutter:shop", payout=None, currency="USD", amount="100.00", fee="3.20",
          kind="sale", status="success", day=5, available_on=None):
    amount, fee = Decimal(amount), Decimal(fee)
    return PayoutItem.objects.create(
        company=company, source=source, external_id=ext, payout=payout, kind=kind, status=status,
        currency=currency, occurred_at=datetime(2025, 3, day, 12, tzinfo=UTC), available_on=available_on,
        amount=amount, fee=fee, net=amount - fee,
    )


def _payout(company, ext, *, source="rutter:shop", inferred=False):
    return Payout.objects.create(company=company, source=source, external_id=ext, platform="SHOP",
                                 currency="USD", amount=0, arrival_date=date(2025, 3, 7), is_inferred=inferred)


def _clearing_per_entry(company):
    """entry id -> (currency, debit - credit) of its clearing line(s)."""
    clearing = Account.objects.filter(company=company, role=AccountRole.CLEARING)
    out = defaultdict(lambda: Decimal(0))
    currencies = {}
    for entry_id, currency, debit, credit in JournalLine.objects.filter(account__in=clearing).values_list(
        "entry_id", "currency", "debit", "credit"
    ):
        out[entry_id] += debit - credit
        currencies[entry_id] = currency
    return {entry_id: (currencies[entry_id], amount) for entry_id, amount in out.items()}


def _assert_each_entry_counts_exactly_its_items(company):
    per_entry = defaultdict(lambda: Decimal(0))
    for item in PayoutItem.objects.filter(company=company, booked_entry__isnull=False):
        per_entry[item.booked_entry_id] += item.net
        currency, _ = _clearing_per_entry(company)[item.booked_entry_id]
        assert currency == item.currency, item.external_id
    assert {entry_id: amount for entry_id, (_, amount) in _clearing_per_entry(company).items()} == dict(per_entry)
    assert books_balanced(company=company)


def test_a_payout_with_items_in_two_currencies_links_each_item_to_its_own_entry(company):
    payout = _payout(company, "po1")
    _item(company, "usd1", payout=payout)
    _item(company, "usd2", payout=payout, amount="50.00", fee="1.75")
    _item(company, "eur1", payout=payout, currency="EUR", amount="80.00", fee="2.00")

    assert items_book(company=company, by="test") == 3

    entries = dict(PayoutItem.objects.filter(company=company).values_list("external_id", "booked_entry_id"))
    assert entries["usd1"] == entries["usd2"] != entries["eur1"]
    _assert_each_entry_counts_exactly_its_items(company)


def test_items_without_an_explicit_payout_are_booked_per_connection_and_settlement_day(company):
    inferred = _payout(company, "sweep", source="rutter:etsy", inferred=True)
    _item(company, "e1", source="rutter:etsy", day=3)
    _item(company, "e2", source="rutter:etsy", day=3, payout=inferred)  # inferred: still by day
    _item(company, "e3", source="rutter:etsy", day=4)
    _item(company, "e4", source="rutter:etsy", day=3, available_on=date(2025, 3, 4))  # settles on the 4th
    explicit = _payout(company, "po1")
    _item(company, "s1", payout=explicit, day=3)
    _item(company, "s2", payout=explicit, day=4)  # one explicit payout: one entry whatever the days

    assert items_book(company=company, by="test") == 6

    entries = dict(PayoutItem.objects.filter(company=company).values_list("external_id", "booked_entry_id"))
    assert entries["e1"] == entries["e2"] != entries["e3"] == entries["e4"]
    assert entries["s1"] == entries["s2"] not in {entries["e1"], entries["e3"]}
    _assert_each_entry_counts_exactly_its_items(company)


def test_pending_items_wait_and_each_item_is_booked_once(company):
    payout = _payout(company, "po1")
    _item(company, "a", payout=payout)
    pending = _item(company, "b", status="pending")
    assert items_book(company=company, by="test") == 1
    assert items_book(company=company, by="test") == 0

    pending.status = "available"
    pending.save(update_fields=["status"])
    _item(company, "c", payout=payout, amount="10.00", fee="0.59")  # arrives late for its payout
    assert items_book(company=company, by="test") == 2
    assert items_book(company=company, by="test") == 0
    assert not PayoutItem.objects.filter(company=company, booked_entry__isnull=True).exists()
    _assert_each_entry_counts_exactly_its_items(company)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL storage")
def test_booking_an_item_is_a_hot_update_on_postgresql(db):
    """No index may name booked_entry_id (not even in a partial index's condition), and pages keep
    room for the booked version of each row: see ledger migration 0006."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = 'ledger_payoutitem'")
        definitions = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = 'ledger_payoutitem'")
        options = cursor.fetchone()[0]
    assert definitions and not [d for d in definitions if "booked_entry" in d]
    assert "fillfactor=50" in options


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL storage")
def test_an_invoice_paid_is_a_hot_update_and_its_documents_carry_no_extra_index(db):
    """The invoice refresh writes no indexed column and finds room on the page (ledger 0013,
    0014); invoices, payments and refunds have no single-column company index (their composite
    indexes start with company)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename, indexdef FROM pg_indexes WHERE tablename IN "
                       "('ledger_invoice', 'ledger_payment', 'ledger_refund')")
        definitions = cursor.fetchall()
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = 'ledger_invoice'")
        options = cursor.fetchone()[0]
    invoice = [d for table, d in definitions if table == "ledger_invoice"]
    assert invoice and not [d for d in invoice if any(c in d for c in ("amount_paid", "amount_refunded", "status"))]
    assert not [d for _, d in definitions if d.endswith("(company_id)")]
    assert "fillfactor=50" in options


def test_an_item_synced_between_the_grouping_and_the_link_rolls_the_booking_back(company, monkeypatch):
    from reconciliation.services import booking

    payout = _payout(company, "po1")
    _item(company, "a", payout=payout)
    post = booking.journal_entries_post_many

    def post_then_sync(**kwargs):
        entries = post(**kwargs)
        _item(company, "late", payout=payout)  # not in the entry's totals
        return entries

    monkeypatch.setattr(booking, "journal_entries_post_many", post_then_sync)
    with pytest.raises(booking.ItemsChangedWhileBooking):
        items_book(company=company, by="test")
    monkeypatch.undo()

    assert not PayoutItem.objects.filter(company=company, booked_entry__isnull=False).exists()
    assert items_book(company=company, by="test") == 1  # the rollback took "late" too
    _assert_each_entry_counts_exactly_its_items(company)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL storage")
def test_payments_and_refunds_are_checked_against_their_invoice_and_item(db):
    """ledger 0016: the database checks a payment's (and a refund's) invoice and payout item; its
    company is the item's, which the item's own key checks, and its entry is the item's booking
    entry, which, posted, can never be deleted (as for the item's booked_entry)."""
    with connection.cursor() as cursor:
        cursor.execute("""SELECT c.conrelid::regclass::text, a.attname FROM pg_constraint c
                            JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY(c.conkey)
                           WHERE c.contype = 'f' AND c.conrelid::regclass::text IN ('ledger_payment', 'ledger_refund')""")
        keys = set(cursor.fetchall())
        cursor.execute("""SELECT a.attname FROM pg_constraint c
                            JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY(c.conkey)
                           WHERE c.contype = 'f' AND c.conrelid = 'ledger_payoutitem'::regclass""")
        item_keys = {row[0] for row in cursor.fetchall()}
    assert keys == {(t, col) for t in ("ledger_payment", "ledger_refund") for col in ("invoice_id", "payout_item_id")}
    assert "company_id" in item_keys
