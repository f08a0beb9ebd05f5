"""Bank lines that are not platform money (a wholesale customer's ACH, an owner's transfer,
interest, a refund from a supplier): booked to the account a person chose, undoable, and
remembered as rules ("descriptions containing … are …") that later runs apply.

A categorized line leaves reconciliation: the engine never sees it again until it is undone.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.timezone import now

from ledger.models import AccountRole, BankTransaction, BankTransactionStatus
from ledger.services import (
    LineSpec,
    chart_of_accounts_create,
    journal_entry_post,
    journal_entry_reverse,
    role_account,
)
from ledger.services.rollups import rollups_refresh_on_commit
from ledger.services.settlement import bank_transactions_status_set
from reconciliation.models import Categorization, CategoryRule, LineCategory, Match, MatchStatus
from reconciliation.services.errors import ReconciliationError

ACCOUNT_OF = {
    LineCategory.INCOME: AccountRole.OTHER_INCOME,
    LineCategory.OWNER: AccountRole.OWNER_EQUITY,
    LineCategory.TRANSFER: AccountRole.TRANSFERS,
    LineCategory.INTEREST: AccountRole.INTEREST_INCOME,
    LineCategory.REFUND: AccountRole.REFUNDS_RECEIVED,
    LineCategory.EXPENSE: AccountRole.OPERATING_EXPENSES,
}


@transaction.atomic
def bank_line_categorize(*, company, bank_transaction: BankTransaction, category: str, by: str,
                         note: str = "", remember: str = "", rule: CategoryRule | None = None) -> Categorization:
    """Book the line to its category's account (bank ↔ that account) and take it out of
    reconciliation; with `remember`, also make the rule "descriptions containing it"."""
    if category not in LineCategory.values:
        raise ReconciliationError("unknown_category", f"Choose one of: {', '.join(LineCategory.values)}.")
    bank = BankTransaction.objects.select_for_update(of=("self",)).select_related("bank_account__ledger_account").filter(
        company=company, pk=bank_transaction.pk).first()
    if bank is None:
        raise ReconciliationError("not_found", "Bank transaction not found.")
    if bank.pending:
        raise ReconciliationError("pending_bank_line", "Pending bank lines cannot be categorized until they post.")
    if Match.objects.filter(bank_transaction=bank, status=MatchStatus.APPLIED).exists():
        raise ReconciliationError("bank_line_matched", "This line is matched to a payout. Unmatch it first.")
    if Categorization.objects.filter(bank_transaction=bank, undone_at__isnull=True).exists():
        raise ReconciliationError("already_categorized", "This line is already categorized.")
    chart_of_accounts_create(company=company)  # companies made before these accounts existed
    bank_account = bank.bank_account.ledger_account if bank.bank_account_id else None
    bank_account = bank_account or role_account(company=company, role=AccountRole.BANK)
    other = role_account(company=company, role=ACCOUNT_OF[category])
    amount = abs(bank.amount)
    money_in = bank.amount > 0
    entry = journal_entry_post(
        company=company, date=bank.date, origin="bank_categorized", created_by=by,
        memo=f"{LineCategory(category).label}: {bank.name[:120]}",
        reference=f"categorized:{bank.pk}:{now().timestamp()}",
        lines=[
            LineSpec(account=bank_account, currency=bank.currency, debit=amount if money_in else 0,
                     credit=0 if money_in else amount, description=bank.name[:200]),
            LineSpec(account=other, currency=bank.currency, credit=amount if money_in else 0,
                     debit=0 if money_in else amount, description=LineCategory(category).label),
        ],
    )
    if remember.strip() and rule is None:
        rule = category_rule_create(company=company, contains=remember, category=category, by=by)
    Match.objects.filter(bank_transaction=bank, status=MatchStatus.SUGGESTED).delete()
    done = Categorization.objects.create(company=company, bank_transaction=bank, category=category,
                                         journal_entry=entry, rule=rule, note=note[:500], created_by=by)
    bank_transactions_status_set(company=company, ids=[bank.pk], status=BankTransactionStatus.CATEGORIZED)
    rollups_refresh_on_commit(company=company)
    return done


@transaction.atomic
def bank_line_categorization_undo(*, categorization: Categorization, by: str) -> Categorization:
    """Reverse the booking; the line goes back to reconciliation."""
    done = Categorization.objects.select_for_update().get(pk=categorization.pk)
    if done.undone_at is not None:
        raise ReconciliationError("not_categorized", "This line is not categorized any more.")
    journal_entry_reverse(entry=done.journal_entry, by=by, reason="categorization undone")
    done.undone_at, done.undone_by = now(), by
    done.save(update_fields=["undone_at", "undone_by"])
    bank_transactions_status_set(company=done.company, ids=[done.bank_transaction_id],
                                 status=BankTransactionStatus.UNRECONCILED)
    rollups_refresh_on_commit(company=done.company)
    return done


def category_rule_create(*, company, contains: str, category: str, by: str) -> CategoryRule:
    contains = " ".join(contains.split())
    if len(contains) < 3:
        raise ReconciliationError("rule_too_short", "A rule needs at least 3 characters to look for.")
    if category not in LineCategory.values:
        raise ReconciliationError("unknown_category", f"Choose one of: {', '.join(LineCategory.values)}.")
    rule, _ = CategoryRule.objects.update_or_create(
        company=company, contains__iexact=contains, is_active=True,
        defaults={"contains": contains, "category": category, "created_by": by})
    return rule


def category_rule_delete(*, rule: CategoryRule) -> None:
    """Stop applying a rule (what it categorized stays: undo those lines one by one)."""
    CategoryRule.objects.filter(pk=rule.pk).update(is_active=False)


def category_rules_apply(*, company, by: str = "rule") -> int:
    """Categorize the open, posted lines a rule describes (the oldest rule wins a tie). Runs after
    the engine, so a line a payout explains is never categorized by a rule."""
    rules = list(CategoryRule.objects.filter(company=company, is_active=True).order_by("created_at", "pk"))
    if not rules:
        return 0
    done = 0
    open_lines = BankTransaction.objects.filter(company=company, status=BankTransactionStatus.UNRECONCILED,
                                                pending=False)
    for bank in open_lines.only("pk", "name", "merchant_name"):
        text = f"{bank.name} {bank.merchant_name}".lower()
        rule = next((r for r in rules if r.contains.lower() in text), None)
        if rule is not None:
            bank_line_categorize(company=company, bank_transaction=bank, category=rule.category,
                                 by=f"{by}:{rule.pk}", rule=rule, note=f"rule: contains “{rule.contains}”")
            done += 1
    return done
