"""Partner API routes over a company's books (mounted under /api/v1/ by config/api_urls.py)."""

from companies.api.base import company_path
from ledger.api.bank import (
    BankAccountDetailApi,
    BankAccountListApi,
    BankTransactionDetailApi,
    BankTransactionListApi,
)
from ledger.api.journal import JournalEntryDetailApi, JournalEntryListApi
from ledger.api.platform import ExpenseDetailApi, ExpenseListApi, PayoutDetailApi, PayoutListApi
from ledger.api.sales import InvoiceDetailApi, InvoiceListApi

urlpatterns = [
    company_path("bank-accounts/", BankAccountListApi, "bank-account-list"),
    company_path("bank-accounts/<int:bank_account_id>/", BankAccountDetailApi, "bank-account-detail"),
    company_path("bank-transactions/", BankTransactionListApi, "bank-transaction-list"),
    company_path("bank-transactions/<int:bank_transaction_id>/", BankTransactionDetailApi,
                 "bank-transaction-detail"),
    company_path("invoices/", InvoiceListApi, "invoice-list"),
    company_path("invoices/<int:invoice_id>/", InvoiceDetailApi, "invoice-detail"),
    company_path("payouts/", PayoutListApi, "payout-list"),
    company_path("payouts/<int:payout_id>/", PayoutDetailApi, "payout-detail"),
    company_path("expenses/", ExpenseListApi, "expense-list"),
    company_path("expenses/<int:expense_id>/", ExpenseDetailApi, "expense-detail"),
    company_path("journal-entries/", JournalEntryListApi, "journal-entry-list"),
    company_path("journal-entries/<int:journal_entry_id>/", JournalEntryDetailApi,
                 "journal-entry-detail"),
]
