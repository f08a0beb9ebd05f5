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


def _draft(company, amount="1000000"):
    bank, sales = _accounts(company)
    with transaction.atomic():
        entry = JournalEntry.objects.create(company=company, date="2025-03-07", origin="raw")
        JournalLine.objects.create(company=company, entry=entry, account=bank, currency="USD", debit=Decimal(amount))
        JournalLine.objects.create(company=company, entry=entry, account=sales, currency="USD", credit=Decimal(amount))
    return entry


def test_it_refuses_to_move_lines_into_a_posted_entry(company):
    """UPDATE … SET entry_id = <posted> WHERE entry_id = <draft> smuggled a balanced pair in."""
    posted, draft = _posted(company), _draft(company)
    with pytest.raises(IntegrityError, match="is posted"):
        with transaction.atomic():
            JournalLine.objects.filter(entry=draft).update(entry=posted)
    assert JournalLine.objects.filter(entry=posted).count() == 2


def test_moving_one_line_to_another_draft_and_posting_it_is_refused(company):
    """Both entries a line leaves and joins must balance, and posting checks it at once."""
    first, second = _draft(company, "777"), _draft(company, "5")
    line = JournalLine.objects.filter(entry=first, debit__gt=0).get()
    with pytest.raises(IntegrityError, match="unbalanced"):
        with transaction.atomic():
            JournalLine.objects.filter(pk=line.pk).update(entry=second)
            JournalEntry.objects.filter(pk=second.pk).update(status=EntryStatus.POSTED)
    with pytest.raises(IntegrityError, match="unbalanced"):
        with transaction.atomic():  # without posting: the deferred check still sees both entries
            JournalLine.objects.filter(pk=line.pk).update(entry=second)
    assert JournalEntry.objects.get(pk=second.pk).status == EntryStatus.DRAFT


def test_a_line_cannot_sit_on_another_companys_account(company):
    other = company_create(partner=company.partner, name="Other")
    entry = _draft(company, "55")
    their_bank = role_account(company=other, role=AccountRole.BANK)
    with pytest.raises(IntegrityError, match="of that company"):
        with transaction.atomic():
            JournalLine.objects.filter(entry=entry, debit__gt=0).update(account=their_bank)
    with pytest.raises(IntegrityError, match="cannot change company"):
        with transaction.atomic():
            JournalLine.objects.filter(entry=entry).update(company=other)


def test_it_refuses_to_truncate_the_books(company):
    _posted(company)
    for table in ("ledger_journalline", "ledger_journalentry"):
        with pytest.raises(IntegrityError, match="cannot be truncated"):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SET LOCAL tieout.allow_truncate = 'off'")
                cursor.execute(f"TRUNCATE {table} CASCADE")
    assert JournalLine.objects.filter(company=company).count() == 2
