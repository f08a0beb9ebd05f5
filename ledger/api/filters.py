"""Query filters of the books endpoints (django-filter); bad values are 400 validation errors."""

from django.db.models import Q
from django_filters import rest_framework as filters

from ledger.models import (
    BankTransaction,
    BankTransactionStatus,
    EntryStatus,
    Expense,
    ExpenseCategory,
    Invoice,
    InvoiceStatus,
    JournalEntry,
    Payout,
    PayoutStatus,
)
from ledger.money import DECIMAL_PLACES, MAX_DIGITS

MAX_ID = 2**63 - 1  # ids beyond a bigint are not found, not a database error


def _amount(field_name: str, lookup: str, help_text: str) -> filters.NumberFilter:
    return filters.NumberFilter(
        field_name=field_name, lookup_expr=lookup, help_text=help_text,
        max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES,
    )


def _date(field_name: str, lookup: str, help_text: str) -> filters.DateFilter:
    # ISO dates only: Django's default input formats would also read 03/07/2025 (US order).
    return filters.DateFilter(field_name=field_name, lookup_expr=lookup, help_text=help_text,
                              input_formats=["%Y-%m-%d"])


class BankTransactionFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=BankTransactionStatus.choices)
    bank_account = filters.NumberFilter(field_name="bank_account_id", min_value=1, max_value=MAX_ID)
    date_from = _date("date", "gte", "On or after this ISO date.")
    date_to = _date("date", "lte", "On or before this ISO date.")
    amount_min = _amount("amount", "gte", "Signed: deposits are positive.")
    amount_max = _amount("amount", "lte", "Signed: withdrawals are negative.")
    search = filters.CharFilter(method="filter_search", max_length=200,
                                help_text="In the bank's description or merchant name.")

    class Meta:
        model = BankTransaction
        fields = ["status"]

    def filter_search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(merchant_name__icontains=value))


class InvoiceFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=InvoiceStatus.choices)
    issued_from = _date("issued_at__date", "gte", "Issued on or after this ISO date (UTC).")
    issued_to = _date("issued_at__date", "lte", "Issued on or before this ISO date (UTC).")

    class Meta:
        model = Invoice
        fields = ["status"]


class PayoutFilter(filters.FilterSet):
    platform = filters.CharFilter(lookup_expr="iexact", max_length=40, help_text="e.g. SHOPIFY, STRIPE.")
    status = filters.ChoiceFilter(choices=PayoutStatus.choices)
    date_from = _date("arrival_date", "gte", "Arriving on or after this ISO date.")
    date_to = _date("arrival_date", "lte", "Arriving on or before this ISO date.")

    class Meta:
        model = Payout
        fields = ["status"]


class ExpenseFilter(filters.FilterSet):
    category = filters.ChoiceFilter(choices=ExpenseCategory.choices)
    payout = filters.NumberFilter(field_name="payout_id", min_value=1, max_value=MAX_ID)
    date_from = _date("date", "gte", "On or after this ISO date.")
    date_to = _date("date", "lte", "On or before this ISO date.")

    class Meta:
        model = Expense
        fields = ["category"]


class JournalEntryFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=EntryStatus.choices)
    origin = filters.CharFilter(max_length=40)
    date_from = _date("date", "gte", "On or after this ISO date.")
    date_to = _date("date", "lte", "On or before this ISO date.")

    class Meta:
        model = JournalEntry
        fields = ["status"]
