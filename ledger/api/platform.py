"""Platform payouts (with the items they settle) and the expenses booked from them."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from companies.api.base import CompanyDetailApi, CompanyListApi
from companies.api.output import RowOutput
from ledger.api.fields import MoneyField
from ledger.api.filters import ExpenseFilter, PayoutFilter
from ledger.models import Expense, Payout, PayoutItem
from ledger.selectors import expense_list, payout_list_by_arrival, payout_list_with_items


class PayoutItemOutput(RowOutput):
    amount = MoneyField(help_text="Gross effect on the platform balance: sale +, refund −, fee −.")
    fee = MoneyField(help_text="Fee deducted from this item (≥ 0).")
    net = MoneyField(help_text="amount − fee.")

    class Meta:
        model = PayoutItem
        fields = ["id", "kind", "provider_type", "status", "description", "occurred_at",
                  "available_on", "currency", "amount", "fee", "net", "order_external_id",
                  "source", "external_id"]


class PayoutOutput(RowOutput):
    amount = MoneyField(help_text="Net transferred: positive = paid to the bank.")
    gross = MoneyField(allow_null=True)
    fees = MoneyField(allow_null=True)
    refunds = MoneyField(allow_null=True)
    other = MoneyField(allow_null=True)
    items_net = MoneyField(allow_null=True)

    class Meta:
        model = Payout
        fields = ["id", "platform", "status", "provider_status", "currency", "amount",
                  "created_on", "arrival_date", "platform_id", "trace_id", "is_inferred", "gross",
                  "fees", "refunds", "other", "items_net", "balanced", "source", "external_id"]


class PayoutDetailOutput(PayoutOutput):
    items = serializers.SerializerMethodField()

    class Meta(PayoutOutput.Meta):
        fields = [*PayoutOutput.Meta.fields, "items"]

    @extend_schema_field(PayoutItemOutput(many=True))
    def get_items(self, payout):
        """In the order they hit the platform balance."""
        items = sorted(payout.items.all(), key=lambda item: (item.occurred_at, item.pk))
        return PayoutItemOutput(items, many=True).data


class ExpenseOutput(RowOutput):
    amount = MoneyField(help_text="Positive: money the platform kept.")
    payout = serializers.IntegerField(source="payout_id", read_only=True, allow_null=True)

    class Meta:
        model = Expense
        fields = ["id", "category", "date", "currency", "amount", "description", "payout",
                  "source", "external_id"]


class PayoutListApi(CompanyListApi):
    """Latest arrival first (payouts with no arrival date last). Items: see the detail."""

    selector = payout_list_by_arrival
    model = Payout
    ordering = ("-arrival_sort", "-id")
    filterset_class = PayoutFilter
    OutputSerializer = PayoutOutput


class PayoutDetailApi(CompanyDetailApi):
    """One payout with every item it settled, in the order they hit the platform balance."""

    selector = payout_list_with_items
    model = Payout
    lookup_url_kwarg = "payout_id"
    OutputSerializer = PayoutDetailOutput


class ExpenseListApi(CompanyListApi):
    selector = expense_list
    model = Expense
    ordering = ("-date", "-id")
    filterset_class = ExpenseFilter
    OutputSerializer = ExpenseOutput


class ExpenseDetailApi(CompanyDetailApi):
    selector = expense_list
    model = Expense
    lookup_url_kwarg = "expense_id"
    OutputSerializer = ExpenseOutput
