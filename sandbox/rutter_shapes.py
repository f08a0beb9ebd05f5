"""Rutter's object shapes: a world may leave fields out, the simulator serves every field Rutter's
OpenAPI requires (speakeasy-sdks/rutter-ts rutter.yaml: Order, LineItem, Transaction, Payout,
Customer), with null where the field is nullable and Rutter's neutral value ("unknown", 0, [])
where it is not. tests/contracts/rutter holds the same contract as JSON Schemas."""

from __future__ import annotations

_TRANSACTION = {"order_id": None, "payment_method_type": "other", "gateway": None,
                "iso_currency_code": None}
_ORDER = {"status": "active", "payment_status": "unknown", "total_discount": 0,
          "fulfillment_status": "unknown", "iso_currency_code": None, "total_shipping": 0,
          "total_tax": 0, "billing_address": None, "shipping_address": None, "customer": None,
          "fulfillments": [], "line_items": []}
_LINE_ITEM = {"product_id": None, "sku": None, "title": None, "unit_cost": None}
_PAYOUT = {"gateway_account_id": "", "gateway": "", "schedule": "unknown", "type": "unknown",
           "method": None}
_CUSTOMER = {"id": None, "email": None, "first_name": None, "last_name": None, "phone": None}


def _stamped(obj: dict, fallback: str | None) -> dict:
    created = obj.get("created_at") or fallback
    return {"created_at": created, "updated_at": obj.get("updated_at") or created}


def transaction(obj: dict) -> dict:
    return {**_TRANSACTION, **_stamped(obj, None), **obj}


def order(obj: dict) -> dict:
    served = {**_ORDER, **_stamped(obj, None), **obj}
    stamps = _stamped(obj, None)
    currency = served.get("iso_currency_code")
    served["line_items"] = [{**_LINE_ITEM, "iso_currency_code": currency, **stamps, **line}
                            for line in served.get("line_items") or []]
    if served.get("customer"):
        served["customer"] = customer(served["customer"], stamps["created_at"])
    return served


def customer(obj: dict, fallback: str | None = None) -> dict:
    return {**_CUSTOMER, **_stamped(obj, fallback), **obj}


def payout(obj: dict, transactions: list[dict]) -> dict:
    served = {**_PAYOUT, **_stamped(obj, obj.get("arrival_at")), **obj}
    served.pop("transaction_ids", None)  # the world's bookkeeping: Rutter embeds the objects
    served["transactions"] = [transaction(t) for t in transactions]
    return served
