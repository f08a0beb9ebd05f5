"""Serializer fields for the API's conventions: money as decimal strings next to a currency."""

from operator import attrgetter

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ledger.money import format_amount


@extend_schema_field({"type": "string", "format": "decimal", "pattern": r"^-?\d+(\.\d+)?$",
                      "example": "3850.00"})
class MoneyField(serializers.Field):
    """`amount` of the object in its `currency`'s precision, e.g. "3850.00" or "1200" (JPY)."""

    def __init__(self, *, currency_field: str = "currency", **kwargs):
        kwargs.setdefault("read_only", True)
        self.currency_of = attrgetter(currency_field)  # may be dotted, e.g. "invoice.currency"
        super().__init__(**kwargs)

    def get_attribute(self, instance):
        value = super().get_attribute(instance)
        return None if value is None else (value, self.currency_of(instance))

    def to_representation(self, value):
        amount, currency = value
        return format_amount(amount, currency)

