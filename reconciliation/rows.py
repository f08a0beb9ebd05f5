"""Rows of the books as the engine's plain types (pure conversions shared by reads and writes)."""

from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import NamedTuple

from ledger.money import quantize
from ledger.platforms import fee_category
from ledger.services.settlement import UNSETTLED_WORDS
from reconciliation import engine as E


@lru_cache(maxsize=256)  # statuses are a small vocabulary; a million rows repeat them
def is_unsettled(status: str) -> bool:
    lowered = status.lower()
    return any(word in lowered for word in UNSETTLED_WORDS)


def _settled_on(status: str, occurred: date, available_on: date | None) -> date | None:
    return None if is_unsettled(status) else (available_on or occurred)


_fee_category = lru_cache(maxsize=256)(fee_category)

ITEM_FIELDS = (
    "payout_id", "source", "external_id", "payout__external_id", "payout__is_inferred", "kind",
    "provider_type", "status", "occurred_at", "available_on", "currency", "amount", "fee", "net",
    "order_external_id",
)


def platform_item(row: tuple, platforms: dict[str, str]) -> E.PlatformItem:
    """One `ITEM_FIELDS` row as the engine sees it."""
    (_, source, ext, payout_ext, inferred, kind, raw_type, status, occurred, available, currency,
     amount, fee, net, order) = row
    occurred_on = occurred.date()
    return E.PlatformItem(
        ref=f"{source}:{ext}", connection_ref=source,
        # Items of inferred payouts are locked by the applied match, not by a payout object.
        payout_ref=f"{source}:{payout_ext}" if payout_ext and not inferred else None,
        kind=kind, gross=quantize(amount, currency), fee=quantize(fee, currency),
        net=quantize(net, currency), currency=currency, occurred_on=occurred_on,
        settled_on=_settled_on(status, occurred_on, available),
        order_ref=f"{source}:{order}" if order else None, raw_type=raw_type,
        fee_category=_fee_category(platforms.get(source, "")), occurred_at=occurred,
    )


# What a breakdown (engine.breakdown_of) reads of an item, and nothing more: a payout inferred
# by a run reads its items' money again (the books are the truth at booking time), and reading
# their dates and statuses too cost a realistic year ~4 s for 230,000 items.
MONEY_FIELDS = ("pk", "external_id", "kind", "amount", "fee", "net", "currency")


class ItemMoney(NamedTuple):
    ref: str
    kind: str
    gross: Decimal
    fee: Decimal
    net: Decimal
    currency: str
    fee_category: str


def item_money(source: str, row: tuple, platforms: dict[str, str]) -> tuple[int, ItemMoney]:
    """(pk, money) of one `MONEY_FIELDS` row of `source`, valued as `platform_item` values it."""
    pk, ext, kind, amount, fee, net, currency = row
    return pk, ItemMoney(f"{source}:{ext}", kind, quantize(amount, currency), quantize(fee, currency),
                         quantize(net, currency), currency, _fee_category(platforms.get(source, "")))


# Rutter Order (docs.rutter.com/reference/orders; ListOrdersResponse in speakeasy-sdks/rutter-ts
# rutter.yaml): `payment_status` is one of pending, paid, refunded, failed, unknown; `total_price`
# the order's total; `created_at` / `updated_at` ISO 8601; `refunds` items carry line_items with
# an `amount` (nullable) and no date of their own. Only paid and refunded orders moved money.
MONEY_MOVED = ("paid", "refunded")
ORDER_TYPES = ("order", "order_refund")  # raw_type of `order_items` (provider_type once stored)
# An invoice's fields that make its order's items (`invoice_order_items`).
ORDER_FIELDS = ("external_id", "platform_status", "currency", "total", "issued_at", "updated_at")


def order_items(*, source: str, external_id: str, payment_status: str, currency: str, total,
                created_at, updated_at=None, refunded=None) -> list[E.PlatformItem]:
    """An orders-only store's order as engine items: the sale (gross = total, its gateway fee
    unknown: 0 until a fee schedule prices it) at `created_at`, and, for a refunded order, a
    refund of `refunded` (else the total) at `updated_at`, the only later time Rutter gives."""
    status = (payment_status or "").lower()
    total = quantize(total or 0, currency)
    if status not in MONEY_MOVED or total <= 0 or created_at is None:
        return []
    day = created_at.date()
    ref = f"{source}:{external_id}"
    items = [E.PlatformItem(
        ref=ref, connection_ref=source, payout_ref=None, kind="sale", gross=total, fee=total * 0,
        net=total, currency=currency, occurred_on=day, settled_on=day, order_ref=ref,
        raw_type="order", occurred_at=created_at,
    )]
    amount = quantize(refunded, currency) if refunded else (total if status == "refunded" else 0)
    if amount > 0:
        when = max(updated_at or created_at, created_at)
        items.append(E.PlatformItem(
            ref=ref + REFUND_SUFFIX, connection_ref=source, payout_ref=None, kind="refund",
            gross=-amount, fee=total * 0, net=-amount, currency=currency, occurred_on=when.date(),
            settled_on=when.date(), order_ref=ref, raw_type="order_refund", occurred_at=when,
        ))
    return items


def invoice_order_items(source: str, row: tuple) -> list[E.PlatformItem]:
    """`order_items` of an invoice read as its `ORDER_FIELDS`."""
    external_id, status, currency, total, issued_at, updated_at = row
    return order_items(source=source, external_id=external_id, payment_status=status, currency=currency,
                       total=total, created_at=issued_at, updated_at=updated_at)


REFUND_SUFFIX = "#refund"


def kind_total(*, ref: str, source: str, payout_ref: str | None, kind: str, currency: str, gross, fee,
               net, day: date, platform: str) -> E.PlatformItem:
    """Totals of one kind of item, summed in SQL, as one engine item: fed to the engine's
    breakdown they give the same buckets as the items one by one."""
    return E.PlatformItem(
        ref=ref, connection_ref=source, payout_ref=payout_ref, kind=kind,
        gross=quantize(gross, currency), fee=quantize(fee, currency), net=quantize(net, currency),
        currency=currency, occurred_on=day, settled_on=day, raw_type=kind,
        fee_category=_fee_category(platform),
    )
