"""The database itself keeps the books (PostgreSQL: deferred constraint trigger + immutability).

These run in CI's PostgreSQL pass (.ci/run runs `make test` with DATABASE_URL); on SQLite the
posting service is the guard and is tested in test_posting.py.
"""

from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from companies.services import company_create, partner_create
from ledger.models import AccountRole, EntryStatus, JournalEntry, JournalLine
from ledger.services import LineSpec, journal_entry_post, role_account

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL triggers"),
]


@pytest.fixture
def company():
    partner = partner_create(name="P")
    return company_create(partner=partner, name="C")


def _accounts(company):
    return role_account(company=company, role=AccountRole.BANK), role_account(company=company, role=AccountRole.SALES)


def test_it_rejects_an_unbalanced_entry_at_commit(company):
    bank, sales = _accounts(company)
    with pytest.raises(IntegrityError, match="unbalanced in USD"):
        with transaction.atomic():
            entry = JournalEntry.objects.create(company=company, date="2025-03-07", origin="raw")
            JournalLine.objects.create(company=company, entry=entry, account=bank, currency="USD", debit=Decimal("10"))
            JournalLine.objects.create(company=company, entry=entry, account=sales, currency="USD", credit=Decimal("9"))
    assert not JournalEntry.objects.filter(company=company).exists()


def test_it_accepts_a_balanced_raw_entry(company):
    bank, sales = _accounts(company)
    with transaction.atomic():
        entry = JournalEntry.objects.create(company=company, date="2025-03-07", origin="raw")
        JournalLine.objects.create(company=company, entry=entry, account=bank, currency="USD", debit=Decimal("10"))
        JournalLine.objects.create(company=company, entry=entry, account=sales, currency="USD", credit=Decimal("10"))
    assert JournalLine.objects.filter(entry=entry).count() == 2


def _posted(company):
    bank, sales = _accounts(company)
    return journal_entry_post(
        company=company, date="2025-03-07", origin="test",
        lines=[LineSpec(account=bank, currency="USD", debit=Decimal("5")),
               LineSpec(account=sales, currency="USD", credit=Decimal("5"))],
    )


def test_it_refuses_to_update_a_posted_line(company):
    entry = _posted(company)
    with pytest.raises(IntegrityError, match="is posted"):
        with transaction.atomic():
            JournalLine.objects.filter(entry=entry).update(description="edited")


def test_it_refuses_to_delete_a_posted_line(company):
    entry = _posted(company)
    with pytest.raises(IntegrityError, match="is posted"):
        with transaction.atomic():
            JournalLine.objects.filter(entry=entry).delete()
    assert JournalLine.objects.filter(entry=entry).count() == 2


def test_it_refuses_to_add_a_line_to_a_posted_entry(company):
    entry = _posted(company)
    bank, _ = _accounts(company)
    with pytest.raises(IntegrityError, match="is posted"):
        with transaction.atomic():
            JournalLine.objects.create(company=company, entry=entry, account=bank, currency="USD", debit=Decimal("1"))


def test_it_refuses_to_edit_a_posted_entry(company):
    entry = _posted(company)
    with pytest.raises(IntegrityError, match="is posted"):
        with transaction.atomic():
            JournalEntry.objects.filter(pk=entry.pk).update(status=EntryStatus.DRAFT)
