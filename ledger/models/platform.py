"""Platform money: payouts, the balance movements they settle, and the fees booked from them."""

from django.db import models

from ledger.models.base import SourcedModel, currency_field, money_field, sourced_unique


class PayoutStatus(models.TextChoices):
    PENDING = "pending"
    IN_TRANSIT = "in_transit"
    PAID = "paid"
    FAILED = "failed"
    CANCELED = "canceled"
    OTHER = "other"


class Payout(SourcedModel):
    """A transfer from a platform balance to the bank (or, when negative, from the bank).

    `amount` is the net transferred: positive = paid to the bank, negative = debited from it.
    Inferred payouts (platforms with no payout objects) are made by reconciliation and have
    `is_inferred=True`. gross/fees/refunds/other are the breakdown of the items, set by
    reconciliation (fees, refunds and most "other" are negative, so they add up to `items_net`).
    """

    platform = models.CharField(max_length=40)
    status = models.CharField(max_length=20, choices=PayoutStatus.choices, default=PayoutStatus.PAID)
    provider_status = models.CharField(max_length=40, blank=True, default="")
    currency = currency_field()
    amount = money_field()
    created_on = models.DateTimeField(null=True, blank=True)
    arrival_date = models.DateField(null=True, blank=True)
    platform_id = models.CharField(max_length=255, blank=True, default="")
    trace_id = models.CharField(
        max_length=255, blank=True, default="", help_text="Identifier the bank may show (trace id, statement descriptor)."
    )
    is_inferred = models.BooleanField(default=False)
    gross = money_field(null=True, blank=True)
    fees = money_field(null=True, blank=True)
    refunds = money_field(null=True, blank=True)
    other = money_field(null=True, blank=True)
    items_net = money_field(null=True, blank=True)
    balanced = models.BooleanField(null=True, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-arrival_date", "-id"]
        constraints = [sourced_unique("payout_unique_source")]
        indexes = [
            models.Index(fields=["company", "-arrival_date"], name="payout_company_arrival"),
            models.Index(fields=["company", "status"], name="payout_company_status"),
            models.Index(fields=["company", "amount"], name="payout_company_amount"),
        ]

    def __str__(self) -> str:
        return f"{self.platform} payout {self.external_id} {self.amount} {self.currency}"


class ItemKind(models.TextChoices):
    SALE = "sale"
    REFUND = "refund"
    FEE = "fee"
    COMMISSION = "commission"
    CHARGEBACK = "chargeback"
    CHARGEBACK_REVERSAL = "chargeback_reversal"
    RESERVE_HOLD = "reserve_hold"
    RESERVE_RELEASE = "reserve_release"
    ADJUSTMENT = "adjustment"
    TRANSFER = "transfer"
    PAYOUT = "payout"
    VOID = "void"
    OTHER = "other"


class PayoutItem(SourcedModel):
    """A movement on a platform balance (sale, refund, fee, …), settled by a payout once known.

    Signs by meaning: `amount` is the gross effect on the platform balance (sale +, refund −,
    fee −); `fee` is the fee deducted from this item (≥ 0); `net` = amount − fee. Unknown provider
    types are kept with kind "other" and their raw `provider_type`.
    """

    # No single-column index: every composite index below starts with company (one fewer index
    # for each of the millions of rows a sync inserts).
    company = models.ForeignKey("companies.Company", on_delete=models.CASCADE, related_name="+", db_index=False)
    payout = models.ForeignKey(Payout, null=True, blank=True, on_delete=models.SET_NULL, related_name="items")
    payout_external_id = models.CharField(max_length=255, blank=True, default="")
    kind = models.CharField(max_length=24, choices=ItemKind.choices)
    provider_type = models.CharField(max_length=60, blank=True, default="")
    status = models.CharField(max_length=40, blank=True, default="")
    description = models.CharField(max_length=500, blank=True, default="")
    occurred_at = models.DateTimeField()
    available_on = models.DateField(null=True, blank=True)
    currency = currency_field()
    amount = money_field()
    fee = money_field()
    net = money_field()
    order_external_id = models.CharField(max_length=255, blank=True, default="")
    # The entry that booked this movement into its connection's clearing account (once, when it
    # settled: accrual basis, whether or not a payout has reached the bank yet). No database FK:
    # posted entries can never be deleted (trigger), and a million bookings would otherwise queue
    # a million deferred FK checks at commit. Deliberately in no index (not even a partial one's
    # condition): booking is then a HOT update on PostgreSQL (table fillfactor 50, migration 0006).
    booked_entry = models.ForeignKey(
        "ledger.JournalEntry", null=True, blank=True, on_delete=models.DO_NOTHING, related_name="+",
        db_constraint=False, db_index=False,
    )
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["occurred_at", "id"]
        constraints = [sourced_unique("payout_item_unique_source")]
        indexes = [
            models.Index(fields=["company", "payout"], name="item_company_payout"),
            models.Index(fields=["company", "source", "payout_external_id"], name="item_company_payout_ext"),
            models.Index(fields=["company", "occurred_at"], name="item_company_occurred"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.external_id} {self.amount} {self.currency}"


class ExpenseCategory(models.TextChoices):
    PROCESSING_FEES = "processing_fees"
    MARKETPLACE_COMMISSIONS = "marketplace_commissions"
    PLATFORM_FEES = "platform_fees"
    CHARGEBACK_FEES = "chargeback_fees"
    OTHER = "other"


class Expense(SourcedModel):
    """A fee or commission booked from a payout. `amount` is positive (money the platform kept)."""

    payout = models.ForeignKey(Payout, null=True, blank=True, on_delete=models.PROTECT, related_name="expenses")
    payout_item = models.ForeignKey(PayoutItem, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    journal_entry = models.ForeignKey("ledger.JournalEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    category = models.CharField(max_length=32, choices=ExpenseCategory.choices)
    date = models.DateField()
    currency = currency_field()
    amount = money_field()
    description = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        constraints = [sourced_unique("expense_unique_source")]
        indexes = [models.Index(fields=["company", "-date"], name="expense_company_date")]
