"""Every write to the books goes through these services."""

from ledger.services.accounts import (
    bank_ledger_account_for,
    chart_of_accounts_create,
    clearing_account_for,
    role_account,
)
from ledger.services.posting import (
    EntrySpec,
    LineSpec,
    UnbalancedEntry,
    journal_entries_post_many,
    journal_entry_post,
    journal_entry_reverse,
)

__all__ = [
    "EntrySpec", "LineSpec", "UnbalancedEntry", "bank_ledger_account_for",
    "chart_of_accounts_create", "clearing_account_for", "journal_entries_post_many",
    "journal_entry_post", "journal_entry_reverse", "role_account",
]
