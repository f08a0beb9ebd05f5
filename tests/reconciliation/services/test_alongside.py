"""The settled items are booked beside the engine, in the run's own transaction (services/alongside.py):
what the booking wrote goes with the run, whichever side fails, and on PostgreSQL the booking's
foreign keys are checked as it writes while an entry's balance still waits for COMMIT."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from companies.services import company_create, partner_create
from connections.models import Connection, ConnectionStatus
from ledger.models import JournalEntry, Payment, PayoutItem
from reconciliation.models import ReconciliationRun
from reconciliation.services import runs
from reconciliation.services.alongside import alongside
from reconciliation.services.runs import reconcile_company

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def company():
    company = company_create(partner=partner_create(name="alongside"), name="alongside")
    Connection.objects.create(company=company, provider="rutter", external_id="shop", platform="SHOPIFY",
                              status=ConnectionStatus.READY)
    for n in range(3):
        PayoutItem.objects.create(
            company=company, source="rutter:shop", external_id=f"t{n}", kind="sale", status="success",
            currency="USD", occurred_at=datetime(2025, 3, 5, 12, tzinfo=UTC), available_on=date(2025, 3, 6),
            amount=Decimal("100.00"), fee=Decimal("3.20"), net=Decimal("96.80"),
        )
    return company


def test_a_run_books_the_settled_items_beside_the_engine(company):
    run = reconcile_company(company=company)
    assert run.stats["items_booked"] == 3
    assert not PayoutItem.objects.filter(company=company, booked_entry__isnull=True).exists()
    assert set(run.stats["seconds"]) == {"load", "engine", "booking", "booking_after_engine", "apply"}


def test_an_engine_that_fails_takes_the_booking_with_it(company, monkeypatch):
    def broken(inputs):
        raise RuntimeError("engine broke")

    monkeypatch.setattr(runs.E, "reconcile", broken)
    with pytest.raises(RuntimeError, match="engine broke"):
        reconcile_company(company=company)
    assert not PayoutItem.objects.filter(company=company, booked_entry__isnull=False).exists()
    assert not JournalEntry.objects.filter(company=company).exists()
    assert ReconciliationRun.objects.get(company=company).status == ReconciliationRun.Status.FAILED


def test_a_booking_that_fails_fails_the_run(company, monkeypatch):
    def broken(*, company, by):
        JournalEntry.objects.filter(company=company).delete()  # touches the run's transaction first
        raise RuntimeError("booking broke")

    monkeypatch.setattr(runs, "items_book", broken)
    with pytest.raises(RuntimeError, match="booking broke"):
        reconcile_company(company=company)
    assert ReconciliationRun.objects.get(company=company).status == ReconciliationRun.Status.FAILED
    assert not PayoutItem.objects.filter(company=company, booked_entry__isnull=False).exists()


def test_the_work_runs_in_the_callers_transaction(company):
    """What the work writes is seen by the caller before COMMIT and undone by its rollback."""

    def write(*, company):
        return PayoutItem.objects.filter(company=company).update(description="beside")

    with pytest.raises(RuntimeError), transaction.atomic():
        with alongside(write, company=company) as work:
            pass
        assert work.result() == 3
        assert PayoutItem.objects.filter(company=company, description="beside").count() == 3
        raise RuntimeError("roll back")
    assert not PayoutItem.objects.filter(company=company, description="beside").exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has no SET CONSTRAINTS")
def test_foreign_keys_are_checked_as_the_work_writes_and_balance_when_it_ends(company):
    item = PayoutItem.objects.filter(company=company).first()

    def dangling(*, company):
        Payment.objects.create(company=company, source="x", external_id="x", invoice_id=10**9, payout_item=item,
                               date=date(2025, 3, 6), currency="USD", amount=1)

    with transaction.atomic():
        with alongside(dangling, company=company) as work:
            pass
        with pytest.raises(IntegrityError, match="invoice"):
            work.result()  # raised by the INSERT itself, not at COMMIT
        transaction.set_rollback(True)
    def unbalanced(*, company):
        from ledger.models import Account, JournalLine

        entry = JournalEntry.objects.create(company=company, date=date(2025, 3, 6), memo="half",
                                            reference="half", created_by="test")
        JournalLine.objects.create(entry=entry, company=company, account=Account.objects.filter(company=company).first(),
                                   currency="USD", debit=Decimal("1.00"), credit=0)

    with transaction.atomic():
        with alongside(unbalanced, company=company) as work:
            pass
        with pytest.raises(IntegrityError, match="unbalanced"):
            work.result()  # when the work ends, not at COMMIT
        transaction.set_rollback(True)
    with transaction.atomic():
        with alongside(lambda *, company: None, company=company) as work:
            pass
        work.result()
        with connection.cursor() as cursor:  # a dangling key after the work waits for COMMIT again
            cursor.execute("UPDATE ledger_payoutitem SET payout_id = %s WHERE id = %s", [10**9, item.pk])
        PayoutItem.objects.filter(pk=item.pk).update(payout=None)
