"""Journal entries with their lines (read-only: entries are posted by services, never via the API)."""

from rest_framework import serializers

from companies.api.base import CompanyDetailApi, CompanyListApi
from companies.api.output import RowOutput
from ledger.api.fields import MoneyField
from ledger.api.filters import JournalEntryFilter
from ledger.models import JournalEntry, JournalLine
from ledger.selectors import journal_entry_list


class JournalLineOutput(RowOutput):
    account_code = serializers.CharField(source="account.code", read_only=True)
    account_name = serializers.CharField(source="account.name", read_only=True)
    debit = MoneyField()
    credit = MoneyField()

    class Meta:
        model = JournalLine
        fields = ["id", "account_code", "account_name", "currency", "debit", "credit", "description"]


class JournalEntryOutput(RowOutput):
    reversal_of = serializers.IntegerField(source="reversal_of_id", read_only=True, allow_null=True)
    lines = JournalLineOutput(many=True, read_only=True)

    class Meta:
        model = JournalEntry
        fields = ["id", "date", "memo", "origin", "reference", "status", "reversal_of",
                  "created_at", "posted_at", "lines"]


class JournalEntryListApi(CompanyListApi):
    selector = journal_entry_list
    model = JournalEntry
    ordering = ("-date", "-id")
    filterset_class = JournalEntryFilter
    OutputSerializer = JournalEntryOutput


class JournalEntryDetailApi(CompanyDetailApi):
    selector = journal_entry_list
    model = JournalEntry
    lookup_url_kwarg = "journal_entry_id"
    OutputSerializer = JournalEntryOutput
