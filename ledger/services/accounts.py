"""The chart of accounts: standard accounts per company, plus one clearing account per connection
and one bank account per bank feed account."""

from django.db import transaction

from companies.models import Company
from ledger.models import Account, AccountRole, AccountType

R, T = AccountRole, AccountType

STANDARD_CHART = [
    # code, role, type
    ("1000", R.BANK, T.ASSET),
    ("1200", R.ACCOUNTS_RECEIVABLE, T.ASSET),
    ("1300", R.PLATFORM_RESERVES, T.ASSET),
    ("2100", R.SALES_TAX_PAYABLE, T.LIABILITY),
    ("4000", R.SALES, T.INCOME),
    ("4010", R.SHIPPING_INCOME, T.INCOME),
    ("4100", R.SALES_RETURNS, T.INCOME),
    ("6000", R.PROCESSING_FEES, T.EXPENSE),
    ("6010", R.MARKETPLACE_COMMISSIONS, T.EXPENSE),
    ("6020", R.PLATFORM_FEES, T.EXPENSE),
    ("6030", R.CHARGEBACKS, T.EXPENSE),
    ("7000", R.FX_GAIN_LOSS, T.EXPENSE),
    ("9999", R.UNCATEGORIZED, T.ASSET),
    ("1900", R.TRANSFERS, T.ASSET),
    ("3000", R.OWNER_EQUITY, T.EQUITY),
    ("4200", R.OTHER_INCOME, T.INCOME),
    ("4210", R.INTEREST_INCOME, T.INCOME),
    ("4220", R.REFUNDS_RECEIVED, T.INCOME),
    ("6900", R.OPERATING_EXPENSES, T.EXPENSE),
]
CLEARING_CODES = range(1500, 1600)
BANK_CODES = range(1001, 1100)


@transaction.atomic
def chart_of_accounts_create(*, company: Company) -> list[Account]:
    """Create the standard accounts (idempotent)."""
    existing = set(Account.objects.filter(company=company, source="").values_list("role", flat=True))
    missing = [
        Account(company=company, code=code, name=role.label, type=kind, role=role)
        for code, role, kind in STANDARD_CHART
        if role not in existing
    ]
    Account.objects.bulk_create(missing)
    return list(Account.objects.filter(company=company).order_by("code"))


def role_account(*, company: Company, role: str) -> Account:
    """The company's standard account for a role (bank = the general bank account). A company
    whose chart predates a role (the chart grows between releases) gets it on first use."""
    found = Account.objects.filter(company=company, role=role, source="").first()
    if found is None:
        chart_of_accounts_create(company=company)
        found = Account.objects.get(company=company, role=role, source="")
    return found


def _next_code(company: Company, codes: range) -> str:
    used = set(Account.objects.filter(company=company, code__in=[str(c) for c in codes]).values_list("code", flat=True))
    for code in codes:
        if str(code) not in used:
            return str(code)
    raise ValueError(f"no free account code left in {codes.start}-{codes.stop - 1}")


@transaction.atomic
def _per_source_account(*, company, role, kind, source, name, codes) -> Account:
    account = Account.objects.select_for_update().filter(company=company, role=role, source=source).first()
    if account is None:
        account = Account.objects.create(
            company=company, role=role, type=kind, source=source, name=name[:200],
            code=_next_code(company, codes),
        )
    return account


def clearing_account_for(*, company: Company, source: str, name: str) -> Account:
    """The clearing account of one connection (`source` = its reference), created on first use."""
    return _per_source_account(
        company=company, role=R.CLEARING, kind=T.ASSET, source=source,
        name=f"Clearing – {name}", codes=CLEARING_CODES,
    )


def bank_ledger_account_for(*, company: Company, source: str, name: str) -> Account:
    """The ledger account of one bank feed account (`source` = its reference)."""
    return _per_source_account(
        company=company, role=R.BANK, kind=T.ASSET, source=source, name=f"Bank – {name}",
        codes=BANK_CODES,
    )
