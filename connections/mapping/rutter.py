"""Rutter commerce objects -> ledger rows.

Rutter amounts are decimal major units, but their sign is whatever the underlying platform uses
(Shopify reports a refund as +32.80, Amazon a fee as -76.00). We therefore sign by meaning: the
transaction `type` decides the direction and abs(amount) the size. A sale's `fee` is the
processing fee the platform kept (a cost, >= 0).

Payout item row (`transaction_row`), also used for each transaction embedded in a payout:
    source              "rutter:<connection_id>"
    external_id         Rutter transaction id
    kind                sale | refund | fee | commission | chargeback | chargeback_reversal |
                        reserve_hold | reserve_release | adjustment | transfer | payout | other
    provider_type       Rutter's raw `type` (kept even when unknown)
    status              Rutter's raw `status` (success, pending, failure, ...); only "success"
                        moved money — the ledger decides what to book
    amount              Decimal, gross, signed by effect on the platform balance
                        (sale +, refund −, fee −, payout − for money sent to the bank)
    fee                 Decimal >= 0, processing fee withheld on this item (sales)
    net                 amount − fee: what this item contributed to the payout
    currency            ISO 4217, upper case
    occurred_at         aware datetime (created_at)
    payout_external_id  Rutter payout id or None
    order_external_id   Rutter order id or None
    description         str

Payout row (`payout_row`): source, external_id, amount (Decimal: + money to the bank, − a debit),
currency, status, provider_status, arrived_at, created_at, updated_at, and `items` — the
transaction rows of the embedded `transactions` (each with payout_external_id set).

Order row (`order_row`): source, external_id, number, status, payment_status, currency, total,
subtotal, tax, discount, shipping (Decimals as the platform totals them), customer_external_id,
customer_name, customer_email, created_at, updated_at, cancelled_at and `lines`
([{external_id, sku, title, quantity (Decimal), unit_price, amount}]).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from connections.mapping.common import currency_of, money, negate, parse_datetime

# kind, and the sign to apply to abs(amount); None = keep the platform's sign.
_TYPES: dict[str, tuple[str, int | None]] = {
    "sale": ("sale", +1),
    "capture": ("sale", +1),
    "refund": ("refund", -1),
    "fee": ("fee", -1),
    "commission": ("commission", -1),
    "chargeback": ("chargeback", -1),
    "dispute": ("chargeback", -1),
    "chargeback_reversal": ("chargeback_reversal", +1),
    "dispute_reversal": ("chargeback_reversal", +1),
    "reserve": ("reserve_hold", -1),
    "reserve_hold": ("reserve_hold", -1),
    "reserve_release": ("reserve_release", +1),
    "adjustment": ("adjustment", None),
    "transfer": ("transfer", None),
    # `void` cancels a pending authorization: it undoes a sale that never settled.
    "void": ("other", -1),
}


def transaction_row(
    txn: dict[str, Any],
    *,
    source: str,
    payout_external_id: str | None = None,
    default_currency: str | None = None,
) -> dict[str, Any]:
    provider_type = txn.get("type")
    currency = currency_of(txn.get("iso_currency_code"), default_currency)
    raw_amount = money(txn.get("amount"), currency)
    key = (provider_type or "").lower()
    if key == "payout":
        # The transfer of the balance to the bank: a payout of +X leaves the balance (−X); a
        # negative payout (the platform debits the bank) refills it. Role, not abs().
        kind, amount = "payout", negate(raw_amount)
    else:
        kind, sign = _TYPES.get(key, ("other", None))
        amount = (
            raw_amount if sign is None else abs(raw_amount) if sign > 0 else negate(abs(raw_amount))
        )
    fee = abs(money(txn.get("fee"), currency))
    return {
        "source": source,
        "external_id": txn["id"],
        "kind": kind,
        "provider_type": provider_type,
        "status": txn.get("status"),
        "amount": amount,
        "fee": fee,
        "net": amount - fee,
        "currency": currency,
        "occurred_at": parse_datetime(txn.get("created_at")),
        "payout_external_id": payout_external_id,
        "order_external_id": txn.get("order_id"),
        "description": txn.get("description") or "",
    }


def payout_row(
    payout: dict[str, Any], *, source: str, default_currency: str | None = None
) -> dict[str, Any]:
    currency = currency_of(payout.get("iso_currency_code"), default_currency)
    items = [
        transaction_row(
            txn, source=source, payout_external_id=payout["id"], default_currency=currency
        )
        for txn in payout.get("transactions") or []
    ]
    return {
        "source": source,
        "external_id": payout["id"],
        "amount": money(payout.get("amount"), currency),
        "currency": currency,
        "status": payout.get("status") or "unknown",
        "provider_status": payout.get("status"),
        "arrived_at": parse_datetime(payout.get("arrival_at")),
        "created_at": parse_datetime(payout.get("created_at")),
        "updated_at": parse_datetime(payout.get("updated_at")),
        # World files carry ids instead of embedded transactions; keep whichever we got.
        "transaction_external_ids": [i["external_id"] for i in items]
        or list(payout.get("transaction_ids") or []),
        "items": items,
    }


def _customer_name(customer: dict[str, Any] | None) -> str:
    if not customer:
        return ""
    parts = [customer.get("first_name") or "", customer.get("last_name") or ""]
    return " ".join(p for p in parts if p).strip() or customer.get("name") or ""


def order_row(
    order: dict[str, Any], *, source: str, default_currency: str | None = None
) -> dict[str, Any]:
    currency = currency_of(order.get("iso_currency_code"), default_currency)
    customer = order.get("customer") or None
    lines = []
    for line in order.get("line_items") or []:
        # Rutter: `price` is "the total cost of all of the variants associated with this line
        # item", `unit_cost` "the price per unit" (nullable) — LineItem in Rutter's OpenAPI
        # (speakeasy-sdks/rutter-ts rutter.yaml).
        quantity = Decimal(str(line.get("quantity") or 0))
        amount = money(line.get("price"), currency)
        if line.get("unit_cost") is not None:
            unit_price = money(line["unit_cost"], currency)
        else:
            unit_price = money(amount / quantity, currency) if quantity else amount
        lines.append(
            {
                "external_id": line.get("id"),
                "sku": line.get("sku") or "",
                "title": line.get("title") or "",
                "quantity": quantity,
                "unit_price": unit_price,
                "amount": amount,
            }
        )
    return {
        "source": source,
        "external_id": order["id"],
        "number": order.get("order_number") or order.get("name") or order["id"],
        "status": order.get("status"),
        "payment_status": order.get("payment_status"),
        "currency": currency,
        "total": money(order.get("total_price"), currency),
        # total_line_items_price is Shopify's alone; elsewhere the lines add up to the subtotal.
        "subtotal": money(order.get("total_line_items_price"), currency)
        if order.get("total_line_items_price") is not None
        else sum((line["amount"] for line in lines), money(0, currency)),
        "tax": money(order.get("total_tax"), currency),
        "discount": money(order.get("total_discount"), currency),
        "shipping": money(order.get("total_shipping"), currency),
        "customer_external_id": (customer or {}).get("id"),
        "customer_name": _customer_name(customer),
        "customer_email": (customer or {}).get("email") or "",
        "created_at": parse_datetime(order.get("created_at")),
        "updated_at": parse_datetime(order.get("updated_at")),
        "cancelled_at": parse_datetime(order.get("cancelled_at")),
        "lines": lines,
    }


def customer_row(customer: dict[str, Any], *, source: str) -> dict[str, Any]:
    return {
        "source": source,
        "external_id": customer["id"],
        "name": _customer_name(customer),
        "email": customer.get("email") or "",
        "created_at": parse_datetime(customer.get("created_at")),
        "updated_at": parse_datetime(customer.get("updated_at")),
    }
