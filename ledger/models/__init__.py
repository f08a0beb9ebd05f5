from ledger.models.accounts import (
    Account,
    AccountRole,
    AccountType,
    EntryStatus,
    JournalEntry,
    JournalLine,
)
from ledger.models.bank import (
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
from ledger.models.sales import Customer, Invoice, InvoiceLine, InvoiceStatus, Payment, Refund

__all__ = [
    "Account", "AccountRole", "AccountType", "BankAccount", "BankTransaction",
    "BankTransactionStatus", "bank_transaction_ref", "Customer", "EntryStatus", "Expense", "ExpenseCategory", "Invoice",
    "InvoiceLine", "InvoiceStatus", "ItemKind", "JournalEntry", "JournalLine", "Payment", "Payout",
    "PayoutItem", "PayoutStatus", "Refund",
]
