"""Reads of one company's books. Every selector is scoped: it refuses to run without a company."""

from collections import defaultdict
from datetime import date
from decimal import Decimal

from django.db.models import DateField, Prefetch, Sum, Value
from django.db.models.functions import Coalesce

from companies.scoping import scoped, tenant_rows
from ledger.models import (
    Account,
    BankAccount,
    BankTransaction,
    EntryStatus,
    Expense,
    Invoice,
    JournalEntry,
    JournalLine,
    Payout,
    PayoutItem,
)
from ledger.money import ZERO


@scoped
def account_list(*, company):
    return tenant_rows(Account, company).order_by("code")


@scoped
def account_balances(*, company) -> dict[tuple[str, str], Decimal]:
    """Posted balance per (account code, currency), signed debit-positive."""
    rows = (
        tenant_rows(JournalLine, company)
        .filter(entry__status=EntryStatus.POSTED)
        .values("account__code", "currency")
        .annotate(debits=Sum("debit"), credits=Sum("credit"))
    )
    return {(r["account__code"], r["currency"]): r["debits"] - r["credits"] for r in rows}


@scoped
def books_balanced(*, company) -> bool:
    """True when every posted entry balances per currency (the invariant the books keep)."""
    totals = defaultdict(lambda: ZERO)
    rows = (
        tenant_rows(JournalLine, company)
        .values("entry_id", "currency")
        .annotate(debits=Sum("debit"), credits=Sum("credit"))
    )
    for row in rows:
        totals[(row["entry_id"], row["currency"])] = row["debits"] - row["credits"]
    return all(value == 0 for value in totals.values())


@scoped
def journal_entry_list(*, company):
    return tenant_rows(JournalEntry, company).prefetch_related("lines__account").order_by("-date", "-id")


@scoped
def bank_transaction_list(*, company):
    return tenant_rows(BankTransaction, company).select_related("bank_account").order_by("-date", "-id")


@scoped
def payout_list(*, company):
    return tenant_rows(Payout, company).order_by("-arrival_date", "-id")


@scoped
def invoice_list(*, company):
    return tenant_rows(Invoice, company).order_by("-issued_at", "-id")


# Payouts without an arrival date (pending, inferred) sort after all dated ones, so lists can
# page by (arrival_sort, id) with no NULLs in the key.
NO_ARRIVAL = date(1, 1, 1)


@scoped
def bank_account_list(*, company):
    return tenant_rows(BankAccount, company).order_by("name", "id")


@scoped
def invoice_list_with_lines(*, company):
    return invoice_list(company=company).select_related("customer").prefetch_related("lines")


@scoped
def payout_list_by_arrival(*, company):
    return payout_list(company=company).annotate(
        arrival_sort=Coalesce("arrival_date", Value(NO_ARRIVAL), output_field=DateField())
    )


@scoped
def payout_list_with_items(*, company):
    """Payouts with their items prefetched (items in the order they hit the platform balance)."""
    items = tenant_rows(PayoutItem, company).order_by("occurred_at", "id")
    return payout_list(company=company).prefetch_related(Prefetch("items", queryset=items))


@scoped
def expense_list(*, company):
    return tenant_rows(Expense, company).order_by("-date", "-id")
