from decimal import Decimal

import pytest

from ledger.models import AccountRole, EntryStatus, JournalEntry, JournalLine
from ledger.selectors import account_balances, books_balanced
from ledger.services import (
    LineSpec,
    UnbalancedEntry,
    clearing_account_for,
    journal_entry_post,
    journal_entry_reverse,
    role_account,
)

D = Decimal


def accounts(company):
    return (
        role_account(company=company, role=AccountRole.BANK),
        clearing_account_for(company=company, source="rutter:c1", name="Shopify"),
        role_account(company=company, role=AccountRole.PROCESSING_FEES),
    )


def post_deposit(company, amount="3850.00", reference=""):
    bank, clearing, _ = accounts(company)
    return journal_entry_post(
        company=company, date="2025-03-07", origin="deposit_match", reference=reference,
        lines=[
            LineSpec(account=bank, currency="USD", debit=D(amount)),
            LineSpec(account=clearing, currency="USD", credit=D(amount)),
        ],
    )


def test_it_posts_a_balanced_entry(alice):
    entry = post_deposit(alice.company)
    assert entry.status == EntryStatus.POSTED
    assert entry.lines.count() == 2
    assert account_balances(company=alice.company)[("1000", "USD")] == D("3850.00")
    assert books_balanced(company=alice.company)


def test_it_refuses_an_unbalanced_entry_and_writes_nothing(alice):
    bank, clearing, fees = accounts(alice.company)
    with pytest.raises(UnbalancedEntry, match="debits 3850.00 != credits 3849.99"):
        journal_entry_post(
            company=alice.company, date="2025-03-07", origin="manual",
            lines=[
                LineSpec(account=bank, currency="USD", debit=D("3850.00")),
                LineSpec(account=clearing, currency="USD", credit=D("3849.99")),
            ],
        )
    assert not JournalEntry.objects.filter(company=alice.company).exists()
    assert not JournalLine.objects.filter(company=alice.company).exists()


def test_it_checks_balance_per_currency(alice):
    bank, clearing, _ = accounts(alice.company)
    with pytest.raises(UnbalancedEntry, match="unbalanced in CAD"):
        journal_entry_post(
            company=alice.company, date="2025-03-07", origin="manual",
            lines=[
                LineSpec(account=bank, currency="USD", debit=D("100")),
                LineSpec(account=clearing, currency="CAD", credit=D("100")),
                LineSpec(account=bank, currency="CAD", debit=D("100")),
                LineSpec(account=clearing, currency="USD", credit=D("99")),
                LineSpec(account=clearing, currency="USD", credit=D("1")),
                LineSpec(account=clearing, currency="CAD", credit=D("0.01")),
            ],
        )


def test_it_quantizes_to_the_currency_minor_unit(alice):
    bank, clearing, _ = accounts(alice.company)
    entry = journal_entry_post(
        company=alice.company, date="2025-03-07", origin="manual",
        lines=[
            LineSpec(account=bank, currency="jpy", debit=D("1500.4")),
            LineSpec(account=clearing, currency="JPY", credit=D("1500")),
        ],
    )
    assert sorted(entry.lines.values_list("debit", "credit")) == [(0, 1500), (1500, 0)]


def test_it_refuses_an_account_of_another_company(alice, bob):
    bank, _, _ = accounts(alice.company)
    _, bobs_clearing, _ = accounts(bob.company)
    with pytest.raises(UnbalancedEntry, match="another company"):
        journal_entry_post(
            company=alice.company, date="2025-03-07", origin="manual",
            lines=[
                LineSpec(account=bank, currency="USD", debit=D("5")),
                LineSpec(account=bobs_clearing, currency="USD", credit=D("5")),
            ],
        )


def test_it_refuses_a_line_with_both_sides(alice):
    bank, clearing, _ = accounts(alice.company)
    with pytest.raises(UnbalancedEntry, match="exactly one"):
        journal_entry_post(
            company=alice.company, date="2025-03-07", origin="manual",
            lines=[
                LineSpec(account=bank, currency="USD", debit=D("5"), credit=D("5")),
                LineSpec(account=clearing, currency="USD", credit=D("0")),
            ],
        )


def test_it_is_idempotent_by_reference(alice):
    first = post_deposit(alice.company, reference="match:1:deposit")
    again = post_deposit(alice.company, reference="match:1:deposit")
    assert first.pk == again.pk
    assert JournalEntry.objects.filter(company=alice.company).count() == 1


def test_it_reverses_an_entry_and_restores_balances(alice):
    entry = post_deposit(alice.company)
    before = account_balances(company=alice.company)
    reversal = journal_entry_reverse(entry=entry, by="tester", reason="wrong deposit")
    after = account_balances(company=alice.company)
    assert reversal.reversal_of_id == entry.pk
    assert before[("1000", "USD")] == D("3850.00")
    assert all(value == 0 for value in after.values())
    entry.refresh_from_db()
    assert entry.status == EntryStatus.POSTED  # the original is untouched
    with pytest.raises(ValueError, match="already reversed"):
        journal_entry_reverse(entry=entry, by="tester")


def test_it_never_shows_another_companys_balances(alice, bob):
    post_deposit(bob.company, amount="999.00")
    assert account_balances(company=alice.company) == {}
    assert account_balances(company=bob.company)[("1000", "USD")] == D("999.00")
