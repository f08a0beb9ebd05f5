"""Orders as invoices, and what paid or refunded them."""

from django.db import models

from ledger.models.base import (
    SourcedModel,
    TenantModel,
    currency_field,
    money_field,
    sourced_unique,
)


class Customer(SourcedModel):
    name = models.CharField(max_length=300, blank=True, default="")
    email = models.CharField(max_length=300, blank=True, default="")

    class Meta:
        constraints = [sourced_unique("customer_unique_source")]

    def __str__(self) -> str:
        return self.name or self.email or self.external_id


class InvoiceStatus(models.TextChoices):
    OPEN = "open"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    REFUNDED = "refunded"
    VOID = "void"


class Invoice(SourcedModel):
    """A platform order, booked as an invoice. Amounts are positive, in `currency`."""

    # No single-column index: the unique (company, source, external_id) and the date index start
    # with company (one fewer index written for each of the ~600,000 rows a realistic year books).
    company = models.ForeignKey("companies.Company", on_delete=models.CASCADE, related_name="+", db_index=False)

    number = models.CharField(max_length=100, blank=True, default="")
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.SET_NULL)
    currency = currency_field()
    issued_at = models.DateTimeField()
    status = models.CharField(max_length=20, choices=InvoiceStatus.choices, default=InvoiceStatus.OPEN)
    platform_status = models.CharField(max_length=40, blank=True, default="")
    subtotal = money_field()
    discount = money_field()
    shipping = money_field()
    tax = money_field()
    total = money_field()
    amount_paid = money_field()
    amount_refunded = money_field()
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-issued_at"]
        constraints = [sourced_unique("invoice_unique_source")]
        indexes = [
            models.Index(fields=["company", "-issued_at"], name="invoice_company_date"),
        ]

    def __str__(self) -> str:
        return f"Invoice {self.number or self.external_id}"


class InvoiceLine(TenantModel):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    external_id = models.CharField(max_length=255, blank=True, default="")
    description = models.CharField(max_length=500, blank=True, default="")
    sku = models.CharField(max_length=100, blank=True, default="")
    quantity = models.DecimalField(max_digits=14, decimal_places=4, default=1)
    unit_price = money_field()
    amount = money_field()

    def __str__(self) -> str:
        return f"{self.description} × {self.quantity}"


class Payment(SourcedModel):
    """Money received for an invoice through a platform (booked when its payout reconciles)."""

    # No single-column index: the unique (company, source, external_id) and the date index start
    # with company (one fewer index written for each of the ~600,000 rows a realistic year books).
    # No foreign-key constraint on company and journal_entry either (`invoice_documents_create`
    # copies both from the payout item): the item's company is checked by its own key, and a
    # posted entry can never be deleted (ledger trigger), the reason PayoutItem.booked_entry has
    # no constraint. Checked on every payment they cost a realistic year's booking ~6.5 s (2
    # checks for each of 637,000). The invoice and the item stay constrained; Django still
    # cascades and protects (on_delete).
    company = models.ForeignKey("companies.Company", on_delete=models.CASCADE, related_name="+", db_index=False,
                                db_constraint=False)

    invoice = models.ForeignKey(Invoice, null=True, blank=True, on_delete=models.PROTECT, related_name="payments")
    payout_item = models.ForeignKey("ledger.PayoutItem", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # The entry that booked it; when that entry is reversed, this record no longer counts.
    journal_entry = models.ForeignKey("ledger.JournalEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                      db_constraint=False)
    date = models.DateField()
    currency = currency_field()
    amount = money_field(help_text="Positive: gross amount received for the invoice.")

    class Meta:
        constraints = [sourced_unique("payment_unique_source")]
        indexes = [models.Index(fields=["company", "-date"], name="payment_company_date")]


class Refund(SourcedModel):
    """Money returned to a customer through a platform (booked when its payout reconciles)."""

    # No single-column index: the unique (company, source, external_id) and the date index start
    # with company (one fewer index written for each of the ~600,000 rows a realistic year books).
    # No foreign-key constraint on company and journal_entry either (`invoice_documents_create`
    # copies both from the payout item): the item's company is checked by its own key, and a
    # posted entry can never be deleted (ledger trigger), the reason PayoutItem.booked_entry has
    # no constraint. Checked on every payment they cost a realistic year's booking ~6.5 s (2
    # checks for each of 637,000). The invoice and the item stay constrained; Django still
    # cascades and protects (on_delete).
    company = models.ForeignKey("companies.Company", on_delete=models.CASCADE, related_name="+", db_index=False,
                                db_constraint=False)

    invoice = models.ForeignKey(Invoice, null=True, blank=True, on_delete=models.PROTECT, related_name="refunds")
    payout_item = models.ForeignKey("ledger.PayoutItem", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # The entry that booked it; when that entry is reversed, this record no longer counts.
    journal_entry = models.ForeignKey("ledger.JournalEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                      db_constraint=False)
    date = models.DateField()
    currency = currency_field()
    amount = money_field(help_text="Positive: amount returned to the customer.")

    class Meta:
        constraints = [sourced_unique("refund_unique_source")]
        indexes = [models.Index(fields=["company", "-date"], name="refund_company_date")]
