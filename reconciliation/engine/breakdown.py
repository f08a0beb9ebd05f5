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
    gross = processing = marketplace = refunds = other = net = ZERO + _quantum(amount)
    refs: list[str] = []
    problems: list[str] = []
    for it in items:
        if it.kind in _EXCLUDED:
            continue
        refs.append(it.ref)
        if it.currency != currency:
            problems.append(f"{it.ref} is in {it.currency}, payout in {currency}")
        if it.gross - it.fee != it.net:
            problems.append(f"{it.ref}: gross {it.gross} - fee {it.fee} != net {it.net}")
        # The fee deducted from an item (processing fee on a sale, commission on a marketplace
        # order) is an expense of its category whatever the item is.
        if it.fee_category == "marketplace":
            marketplace -= it.fee
        else:
            processing -= it.fee
        if it.kind == "sale":
            gross += it.gross
        elif it.kind == "refund":
            refunds += it.gross
        elif it.kind in _FEE_KINDS:
            if it.kind == "commission" or it.fee_category == "marketplace":
                marketplace += it.gross
            else:
                processing += it.gross
        else:
            other += it.gross
        net += it.net
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
