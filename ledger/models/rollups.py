"""Monthly rollups the overview reads instead of aggregating a year of bank lines and items.

A rollup row is derived data: `ledger.services.rollups` recomputes it from the rows themselves.
Which months to recompute is recorded by database triggers (migration 0011) on every write to bank
lines and payout items, whatever wrote them (services, COPY, admin, a database prompt), so no
write path can leave a rollup stale for longer than until the next refresh.
"""

from django.db import models

from ledger.models.base import TenantModel, currency_field, money_field


class RollupKind(models.TextChoices):
    BANK = "bank", "Bank lines"
    ITEM = "item", "Payout items"


class RollupMark(TenantModel):
    """A month whose rollup may be out of date. Written by triggers only; a refresh deletes the
    marks it read (by id), so a mark written during a refresh survives for the next one."""

    # No database constraint: deleting a company deletes its bank lines after its marks, and their
    # triggers mark again; ledger.signals deletes those marks once the company is gone.
    company = models.ForeignKey("companies.Company", on_delete=models.DO_NOTHING, db_constraint=False,
                                related_name="+")
    kind = models.CharField(max_length=4, choices=RollupKind.choices)
    month = models.CharField(max_length=7)  # 'YYYY-MM' (UTC)

    class Meta:
        indexes = [models.Index(fields=["company", "kind", "month"], name="rollupmark_company_kind_month")]


class BankMonth(TenantModel):
    """Per month and currency: money deposited, and the posted deposits still waiting (no match,
    not categorized), how many and their total."""

    month = models.CharField(max_length=7)
    currency = currency_field()
    deposited = money_field()
    waiting = models.PositiveIntegerField(default=0)
    waiting_total = money_field()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["company", "month", "currency"], name="bankmonth_unique")]


class ItemMonth(TenantModel):
    """Per month, platform, currency and item kind: gross amounts and deducted fees of items that
    belong to a payout (settled)."""

    month = models.CharField(max_length=7)
    platform = models.CharField(max_length=40)
    currency = currency_field()
    kind = models.CharField(max_length=24)
    amount = money_field()
    fee = money_field()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["company", "month", "platform", "currency", "kind"],
                                               name="itemmonth_unique")]
