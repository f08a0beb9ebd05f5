"""Invoices (platform orders) with their lines."""

from rest_framework import serializers

from companies.api.base import CompanyDetailApi, CompanyListApi
from companies.api.output import RowOutput
from ledger.api.fields import MoneyField
from ledger.api.filters import InvoiceFilter
from ledger.models import Invoice, InvoiceLine
from ledger.selectors import invoice_list_with_lines


class InvoiceLineOutput(RowOutput):
    quantity = serializers.DecimalField(max_digits=14, decimal_places=4, coerce_to_string=True)
    unit_price = MoneyField(currency_field="invoice.currency")
    amount = MoneyField(currency_field="invoice.currency")

    class Meta:
        model = InvoiceLine
        fields = ["id", "external_id", "description", "sku", "quantity", "unit_price", "amount"]


class InvoiceOutput(RowOutput):
    customer_name = serializers.SerializerMethodField()
    subtotal = MoneyField()
    discount = MoneyField()
    shipping = MoneyField()
    tax = MoneyField()
    total = MoneyField()
    amount_paid = MoneyField()
    amount_refunded = MoneyField()
    lines = InvoiceLineOutput(many=True, read_only=True)

    class Meta:
        model = Invoice
        fields = ["id", "number", "source", "external_id", "customer_name", "currency", "issued_at",
                  "status", "platform_status", "subtotal", "discount", "shipping", "tax", "total",
                  "amount_paid", "amount_refunded", "lines"]

    def get_customer_name(self, invoice) -> str:
        return str(invoice.customer) if invoice.customer_id else ""


class InvoiceListApi(CompanyListApi):
    """Newest first, each with its lines. Amounts are positive, in the invoice's currency."""

    selector = invoice_list_with_lines
    model = Invoice
    ordering = ("-issued_at", "-id")
    filterset_class = InvoiceFilter
    OutputSerializer = InvoiceOutput


class InvoiceDetailApi(CompanyDetailApi):
    selector = invoice_list_with_lines
    model = Invoice
    lookup_url_kwarg = "invoice_id"
    OutputSerializer = InvoiceOutput
