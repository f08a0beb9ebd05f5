"""Chart of accounts and double-entry journal."""

from django.db import models
from django.db.models import Q
from django.utils import timezone

from ledger.models.base import TenantModel, currency_field, money_field


class AccountType(models.TextChoices):
    ASSET = "asset"
    LIABILITY = "liability"
    EQUITY = "equity"
    INCOME = "income"
    EXPENSE = "expense"


class AccountRole(models.TextChoices):
    """What an account is for; services find accounts by role, never by code or name."""

    BANK = "bank", "Bank"
    CLEARING = "clearing", "Platform clearing"
    ACCOUNTS_RECEIVABLE = "accounts_receivable", "Accounts receivable"
    SALES = "sales", "Sales"
    SALES_RETURNS = "sales_returns", "Sales returns and refunds"
    SHIPPING_INCOME = "shipping_income", "Shipping income"
    SALES_TAX_PAYABLE = "sales_tax_payable", "Sales tax payable"
    PROCESSING_FEES = "processing_fees", "Merchant processing fees"
    MARKETPLACE_COMMISSIONS = "marketplace_commissions", "Marketplace commissions"
    PLATFORM_FEES = "platform_fees", "Platform service fees"
    CHARGEBACKS = "chargebacks", "Chargebacks"
    FX_GAIN_LOSS = "fx_gain_loss", "FX gain/loss"
    PLATFORM_RESERVES = "platform_reserves", "Reserves held by platforms"
    UNCATEGORIZED = "uncategorized", "Uncategorized"
    # Bank lines that are not platform money, categorized by a person (or a rule of theirs).
    OTHER_INCOME = "other_income", "Other income"
    INTEREST_INCOME = "interest_income", "Interest income"
    REFUNDS_RECEIVED = "refunds_received", "Refunds received"
    OWNER_EQUITY = "owner_equity", "Owner contributions and draws"
    TRANSFERS = "transfers", "Transfers between accounts"
    OPERATING_EXPENSES = "operating_expenses", "Operating expenses"


class Account(TenantModel):
    code = models.CharField(max_length=20)
    name = models.CharField(max_length=200)
    type = models.CharField(max_length=10, choices=AccountType.choices)
    role = models.CharField(max_length=32, choices=AccountRole.choices)
    # For per-connection / per-bank-account accounts: the reference of what it belongs to.
    source = models.CharField(max_length=200, blank=True, default="")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["company", "code"]
        constraints = [
            models.UniqueConstraint(fields=["company", "code"], name="account_unique_code"),
            models.UniqueConstraint(
                fields=["company", "role", "source"], name="account_unique_role_source"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def is_debit_normal(self) -> bool:
        return self.type in (AccountType.ASSET, AccountType.EXPENSE)


class EntryStatus(models.TextChoices):
    DRAFT = "draft"
    POSTED = "posted"


class JournalEntry(TenantModel):
    """A balanced set of lines. Posted entries are immutable; corrections are reversals."""

    date = models.DateField()
    memo = models.CharField(max_length=500, blank=True, default="")
    origin = models.CharField(max_length=40, help_text="What booked it: deposit_match, reversal, …")
    # Idempotency key of the booking that made this entry, e.g. "match:42:deposit".
    reference = models.CharField(max_length=200, blank=True, default="")
    status = models.CharField(max_length=10, choices=EntryStatus.choices, default=EntryStatus.DRAFT)
    reversal_of = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    created_by = models.CharField(max_length=200, blank=True, default="system")
    created_at = models.DateTimeField(default=timezone.now)
    posted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name_plural = "journal entries"
        indexes = [models.Index(fields=["company", "-date"], name="entry_company_date")]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "reference"], condition=~Q(reference=""),
                name="entry_unique_reference",
            )
        ]

    def __str__(self) -> str:
        return f"JE{self.pk} {self.date} {self.memo}"


class JournalLine(TenantModel):
    """One leg. Exactly one of debit/credit is positive; amounts are in the line's currency."""

    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="lines")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="lines")
    currency = currency_field()
    debit = money_field()
    credit = money_field()
    description = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        ordering = ["entry", "id"]
        indexes = [models.Index(fields=["company", "account"], name="line_company_account")]
        constraints = [
            models.CheckConstraint(
                condition=(Q(debit__gt=0, credit=0) | Q(debit=0, credit__gt=0)),
                name="line_one_sided_positive",
            )
        ]

    def __str__(self) -> str:
        side = f"Dr {self.debit}" if self.debit else f"Cr {self.credit}"
        return f"{self.account} {side} {self.currency}"
