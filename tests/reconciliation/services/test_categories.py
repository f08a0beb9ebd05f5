"""Bank lines that are not platform money: categorized to an account, undoable, remembered as
rules that later runs apply; the books balance throughout and the engine leaves them alone."""

from decimal import Decimal

import pytest

from ledger.models import Account, BankTransaction, BankTransactionStatus
from ledger.selectors import account_balances, books_balanced
from reconciliation.models import Categorization, CategoryRule, Match, MatchStatus
from reconciliation.services import ReconciliationError, reconcile_company
from reconciliation.services.categories import (
    bank_line_categorization_undo,
    bank_line_categorize,
    category_rule_delete,
)
from reconciliation.services.matches import match_create
from tests import factories as F


def _line(company, name, amount="110.38"):
    return F.BankTransactionFactory(company=company, name=name, amount=Decimal(amount), status="unreconciled")


def _code(company, role):
    return Account.objects.get(company=company, role=role, source="").code


def test_it_books_a_wholesale_deposit_as_other_income_and_undoes_it(alice):
    line = _line(alice.company, "ACH CREDIT ACME GOODS WHOLESALE INV 2231")
    done = bank_line_categorize(company=alice.company, bank_transaction=line, category="income", by="user:ann")

    balances = account_balances(company=alice.company)
    assert balances[(_code(alice.company, "other_income"), "USD")] == Decimal("-110.38")  # a credit
    assert BankTransaction.objects.get(pk=line.pk).status == BankTransactionStatus.CATEGORIZED
    assert books_balanced(company=alice.company)

    bank_line_categorization_undo(categorization=done, by="user:ann")
    assert account_balances(company=alice.company)[(_code(alice.company, "other_income"), "USD")] == 0
    assert BankTransaction.objects.get(pk=line.pk).status == BankTransactionStatus.UNRECONCILED
    assert books_balanced(company=alice.company)


def test_an_owner_draw_books_the_other_way(alice):
    line = _line(alice.company, "ONLINE TRANSFER TO OWNER", amount="-500.00")
    bank_line_categorize(company=alice.company, bank_transaction=line, category="owner", by="user:ann")
    assert account_balances(company=alice.company)[(_code(alice.company, "owner_equity"), "USD")] == Decimal("500.00")


def test_it_refuses_what_cannot_be_categorized(alice):
    pending = F.BankTransactionFactory(company=alice.company, pending=True)
    for line, code in ((pending, "pending_bank_line"),):
        with pytest.raises(ReconciliationError) as err:
            bank_line_categorize(company=alice.company, bank_transaction=line, category="income", by="u")
        assert err.value.code == code
    line = _line(alice.company, "INTEREST PAYMENT")
    with pytest.raises(ReconciliationError):
        bank_line_categorize(company=alice.company, bank_transaction=line, category="magic", by="u")
    bank_line_categorize(company=alice.company, bank_transaction=line, category="interest", by="u")
    with pytest.raises(ReconciliationError) as err:
        bank_line_categorize(company=alice.company, bank_transaction=line, category="interest", by="u")
    assert err.value.code == "already_categorized"


def test_a_rule_made_from_a_choice_categorizes_later_lines_and_the_engine_leaves_them(alice, bob):
    first = _line(alice.company, "ZELLE FROM J SMITH WHOLESALE")
    bank_line_categorize(company=alice.company, bank_transaction=first, category="income", by="user:ann",
                         remember="wholesale")
    later = _line(alice.company, "ACH CREDIT ACME WHOLESALE INV 2240", amount="250.00")
    other = _line(alice.company, "SHOPIFY PAYMENTS DES:TRANSFER", amount="99.00")
    theirs = _line(bob.company, "ACH CREDIT WHOLESALE", amount="10.00")
    suggestion = match_create(company=alice.company, bank_transaction=later, status=MatchStatus.SUGGESTED,
                              confidence=0.6)

    run = reconcile_company(company=alice.company)

    assert run.stats["categorized_by_rules"] == 1
    done = Categorization.objects.get(bank_transaction=later)
    assert done.rule.contains == "wholesale" and done.category == "income"
    assert not Match.objects.filter(pk=suggestion.pk).exists()
    assert BankTransaction.objects.get(pk=other.pk).status == "unreconciled"
    assert BankTransaction.objects.get(pk=theirs.pk).status == "unreconciled"  # another company's line
    reconcile_company(company=alice.company)  # again: nothing new, the line stays categorized
    assert BankTransaction.objects.get(pk=later.pk).status == BankTransactionStatus.CATEGORIZED
    assert books_balanced(company=alice.company)

    category_rule_delete(rule=CategoryRule.objects.get(company=alice.company))
    third = _line(alice.company, "WHOLESALE ORDER 9", amount="12.00")
    reconcile_company(company=alice.company)
    assert BankTransaction.objects.get(pk=third.pk).status == "unreconciled"


def test_a_business_expense_books_to_operating_expenses_even_for_an_older_chart(alice):
    # A company set up before the chart had the expense account gets it on first use.
    Account.objects.filter(company=alice.company, role="operating_expenses").delete()
    line = _line(alice.company, "GUSTO PAYROLL 1123", amount="-2400.00")
    bank_line_categorize(company=alice.company, bank_transaction=line, category="expense", by="user:ann")

    code = _code(alice.company, "operating_expenses")
    assert code == "6900"
    assert account_balances(company=alice.company)[(code, "USD")] == Decimal("2400.00")  # a debit
    assert books_balanced(company=alice.company)
