"""The bank feed: accounts and their transactions (from Plaid)."""

from django.db import models

from ledger.models.base import SourcedModel, currency_field, money_field, sourced_unique


class BankAccount(SourcedModel):
    """`source` is the bank feed (`plaid:<item_id>`), `external_id` the provider's account id."""

    name = models.CharField(max_length=200)
    official_name = models.CharField(max_length=300, blank=True, default="")
    mask = models.CharField(max_length=8, blank=True, default="")
    type = models.CharField(max_length=40, blank=True, default="")
    subtype = models.CharField(max_length=40, blank=True, default="")
    currency = currency_field()
    current_balance = money_field(null=True, blank=True)
    available_balance = money_field(null=True, blank=True)
    ledger_account = models.ForeignKey("ledger.Account", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [sourced_unique("bank_account_unique_source")]

    def __str__(self) -> str:
        return f"{self.name} ••{self.mask}" if self.mask else self.name


def bank_transaction_ref(source: str, external_id: str) -> str:
    """A bank line's identity (world.md): `plaid:<transaction_id>` — transaction ids are global."""
    return f"{source.split(':', 1)[0]}:{external_id}"


class BankTransactionStatus(models.TextChoices):
    UNRECONCILED = "unreconciled"
    SUGGESTED = "suggested"
    RECONCILED = "reconciled"
    CATEGORIZED = "categorized"  # not platform money: booked to the account a person chose


# A bank line still to be explained: no applied match, not categorized.
OPEN_STATUSES = (BankTransactionStatus.UNRECONCILED.value, BankTransactionStatus.SUGGESTED.value)


class BankTransaction(SourcedModel):
    """A bank line. `amount` is signed by meaning for us: positive = money in (a deposit).

    (Plaid's own sign is the opposite: positive = money out; converted at the edge.)
    """

    bank_account = models.ForeignKey(BankAccount, on_delete=models.PROTECT, related_name="transactions")
    date = models.DateField()
    authorized_date = models.DateField(null=True, blank=True)
    currency = currency_field()
    amount = money_field()
    name = models.CharField(max_length=500)
    merchant_name = models.CharField(max_length=300, blank=True, default="")
    payment_channel = models.CharField(max_length=20, blank=True, default="")
    pending = models.BooleanField(default=False)
    pending_external_id = models.CharField(max_length=255, blank=True, default="")
    status = models.CharField(
        max_length=16, choices=BankTransactionStatus.choices, default=BankTransactionStatus.UNRECONCILED
    )
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-date", "-id"]
        constraints = [sourced_unique("bank_txn_unique_source")]
        indexes = [
            models.Index(fields=["company", "-date", "-id"], name="banktxn_company_date"),
            # With -id the status filter is served in (-date, -id) order without a sort (and its
            # keyset pages are ranges), however rare the status (dashboard, docs/benchmarks.md).
            models.Index(fields=["company", "status", "-date", "-id"], name="banktxn_company_status_id"),
            models.Index(fields=["company", "amount"], name="banktxn_company_amount"),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.name} {self.amount} {self.currency}"

    @property
    def ref(self) -> str:
        return bank_transaction_ref(self.source, self.external_id)
