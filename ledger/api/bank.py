"""Bank accounts and bank transactions (the bank feed)."""

from rest_framework import serializers

from companies.api.base import CompanyDetailApi, CompanyListApi
from companies.api.output import RowOutput
from ledger.api.fields import MoneyField
from ledger.api.filters import BankTransactionFilter
from ledger.models import BankAccount, BankTransaction
from ledger.selectors import bank_account_list, bank_transaction_list


class BankAccountOutput(RowOutput):
    current_balance = MoneyField(allow_null=True)
    available_balance = MoneyField(allow_null=True)

    class Meta:
        model = BankAccount
        fields = ["id", "name", "official_name", "mask", "type", "subtype", "currency",
                  "current_balance", "available_balance", "source", "external_id"]


class BankTransactionOutput(RowOutput):
    amount = MoneyField(help_text="Signed: positive = money in (a deposit).")
    bank_account = serializers.IntegerField(source="bank_account_id", read_only=True)

    class Meta:
        model = BankTransaction
        fields = ["id", "bank_account", "date", "authorized_date", "currency", "amount", "name",
                  "merchant_name", "payment_channel", "pending", "status", "source", "external_id"]


class BankAccountListApi(CompanyListApi):
    selector = bank_account_list
    model = BankAccount
    ordering = ("name", "id")
    OutputSerializer = BankAccountOutput


class BankAccountDetailApi(CompanyDetailApi):
    selector = bank_account_list
    model = BankAccount
    lookup_url_kwarg = "bank_account_id"
    OutputSerializer = BankAccountOutput


class BankTransactionListApi(CompanyListApi):
    """Newest first. Filter by status, ISO date range, signed amount range and text."""

    selector = bank_transaction_list
    model = BankTransaction
    ordering = ("-date", "-id")
    filterset_class = BankTransactionFilter
    OutputSerializer = BankTransactionOutput


class BankTransactionDetailApi(CompanyDetailApi):
    selector = bank_transaction_list
    model = BankTransaction
    lookup_url_kwarg = "bank_transaction_id"
    OutputSerializer = BankTransactionOutput
