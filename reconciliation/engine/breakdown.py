"""Payout -> breakdown: what a payout is made of, in the buckets the books need."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from .types import Breakdown, Payout, PlatformItem

ZERO = Decimal(0)
_FEE_KINDS = frozenset({"fee", "commission"})
_EXCLUDED = frozenset({"payout"})  # the payout's own balance transaction mirrors the payout


def _quantum(value: Decimal) -> Decimal:
    return ZERO.quantize(value) if value.as_tuple().exponent < 0 else ZERO


def breakdown_of(
    *,
    payout_ref: str,
    connection_ref: str,
    currency: str,
    amount: Decimal,
    items: Iterable[PlatformItem],
    inferred: bool = False,
) -> Breakdown:
    zero = ZERO + _quantum(amount)
    gross = processing = marketplace = refunds = other = net = item_gross = item_fee = zero
    refs: list[str] = []
    problems: list[str] = []
    for it in items:
        kind = it.kind
        if kind in _EXCLUDED:
            continue
        refs.append(it.ref)
        if it.currency != currency:
            problems.append(f"{it.ref} is in {it.currency}, payout in {currency}")
        g, f = it.gross, it.fee
        item_gross += g
        item_fee += f
        net += it.net
        # The fee deducted from an item (processing fee on a sale, commission on a marketplace
        # order) is an expense of its category whatever the item is.
        marketplace_item = it.fee_category == "marketplace"
        if marketplace_item:
            marketplace -= f
        else:
            processing -= f
        if kind == "sale":
            gross += g
        elif kind == "refund":
            refunds += g
        elif kind in _FEE_KINDS:
            if kind == "commission" or marketplace_item:
                marketplace += g
            else:
                processing += g
        else:
            other += g
    if item_gross - item_fee != net:
        problems.append(f"items' gross {item_gross} - fees {item_fee} != their net {net}")
    fees = processing + marketplace
    if gross + fees + refunds + other != net:
        problems.append("buckets do not add up to the items' net")
    if net != amount:
        problems.append(f"items net {net} but the payout amount is {amount}")
    return Breakdown(
        payout_ref=payout_ref,
        connection_ref=connection_ref,
        currency=currency,
        gross=gross,
        processing_fees=processing,
        marketplace_fees=marketplace,
        fees=fees,
        refunds=refunds,
        other=other,
        net=net,
        amount=amount,
        item_refs=tuple(sorted(refs)),
        balanced=not problems,
        problems=tuple(problems),
        inferred=inferred,
    )


def explicit_breakdowns(
    *, payouts: Iterable[Payout], items: Iterable[PlatformItem]
) -> dict[str, Breakdown]:
    """One breakdown per explicit payout, from the items that name it."""
    by_payout: dict[str, list[PlatformItem]] = defaultdict(list)
    for it in items:
        if it.payout_ref is not None:
            by_payout[it.payout_ref].append(it)
    out: dict[str, Breakdown] = {}
    for p in payouts:
        out[p.ref] = breakdown_of(
            payout_ref=p.ref,
            connection_ref=p.connection_ref,
            currency=p.currency,
            amount=p.amount,
            items=by_payout.get(p.ref, ()),
        )
    return out
