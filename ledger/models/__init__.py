from ledger.models.accounts import (
    Account,
    AccountRole,
    AccountType,
    EntryStatus,
    JournalEntry,
    JournalLine,
)
from ledger.models.bank import (
    OPEN_STATUSES,
    BankAccount,
    BankTransaction,
    BankTransactionStatus,
    bank_transaction_ref,
)
from ledger.models.platform import (
    Expense,
    ExpenseCategory,
    ItemKind,
    Payout,
    PayoutItem,
    PayoutStatus,
)
from ledger.models.rollups import BankMonth, ItemMonth, RollupKind, RollupMark
from ledger.models.sales import Customer, Invoice, InvoiceLine, InvoiceStatus, Payment, Refund

__all__ = [
    "Account", "AccountRole", "AccountType", "BankAccount", "BankTransaction",
    "BankMonth", "BankTransactionStatus", "OPEN_STATUSES", "bank_transaction_ref", "Customer", "EntryStatus",
    "Expense", "ExpenseCategory", "Invoice",
    "InvoiceLine", "InvoiceStatus", "ItemKind", "ItemMonth", "JournalEntry", "JournalLine", "Payment", "Payout",
    "PayoutItem", "PayoutStatus", "Refund", "RollupKind", "RollupMark",
]
