"""An invoice's paid and refunded amounts and its status come from the payments and refunds whose
booking still stands (a reversed entry no longer counts), for the invoices asked about only."""

from decimal import Decimal

import pytest

from ledger.models import Invoice, InvoiceStatus
from ledger.services.settlement import invoices_refresh
from tests import factories as F

pytestmark = pytest.mark.django_db


def test_amounts_and_status_follow_the_bookings_that_stand():
    company, other = F.CompanyFactory(), F.CompanyFactory()
    booked = F.JournalEntryFactory(company=company)
    reversed_entry = F.JournalEntryFactory(company=company)
    F.JournalEntryFactory(company=company, reversal_of=reversed_entry)
    paid, partial, refunded, open_, undone, untouched = (F.InvoiceFactory(company=company) for _ in range(6))
    F.PaymentFactory(company=company, invoice=paid, amount=Decimal("60.00"), journal_entry=booked)
    F.PaymentFactory(company=company, invoice=paid, amount=Decimal("40.00"), journal_entry=None)
    F.PaymentFactory(company=company, invoice=partial, amount=Decimal("30.00"), journal_entry=booked)
    F.PaymentFactory(company=company, invoice=refunded, amount=Decimal("100.00"), journal_entry=booked)
    F.RefundFactory(company=company, invoice=refunded, amount=Decimal("100.00"), journal_entry=booked)
    F.PaymentFactory(company=company, invoice=undone, amount=Decimal("100.00"), journal_entry=reversed_entry)
    F.PaymentFactory(company=company, invoice=untouched, amount=Decimal("100.00"), journal_entry=booked)
    theirs = F.InvoiceFactory(company=other)
    F.PaymentFactory(company=other, invoice=theirs, amount=Decimal("100.00"))
    Invoice.objects.filter(pk=undone.pk).update(amount_paid=Decimal("100.00"), status=InvoiceStatus.PAID)

    invoices_refresh(company=company, invoice_ids=Invoice.objects.exclude(pk=untouched.pk).values("pk"))

    got = {i.pk: (i.amount_paid, i.amount_refunded, i.status) for i in Invoice.objects.all()}
    assert got[paid.pk] == (Decimal("100.00"), Decimal("0.00"), InvoiceStatus.PAID)
    assert got[partial.pk] == (Decimal("30.00"), Decimal("0.00"), InvoiceStatus.PARTIALLY_PAID)
    assert got[refunded.pk] == (Decimal("100.00"), Decimal("100.00"), InvoiceStatus.REFUNDED)
    assert got[open_.pk] == (Decimal("0.00"), Decimal("0.00"), InvoiceStatus.OPEN)
    assert got[undone.pk] == (Decimal("0.00"), Decimal("0.00"), InvoiceStatus.OPEN)  # its entry was reversed
    assert got[untouched.pk][2] == InvoiceStatus.OPEN and got[untouched.pk][0] == 0  # not asked about
    assert got[theirs.pk][0] == 0  # another company's invoice: never touched
