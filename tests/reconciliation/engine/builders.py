"""Tiny builders for engine inputs: every value has a sensible default, tests say what matters."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from ledger.platforms import descriptor_keywords
from reconciliation.engine import BankLine, Connection, Inputs, Payout, PlatformItem

D = Decimal
MON = date(2025, 3, 3)  # a Monday


def day(n: int) -> date:
    return MON + timedelta(days=n)


def bank(ref, amount, *, on=MON, desc="SHOPIFY PAYMENTS DES:TRANSFER", cur="USD", pending=False):
    return BankLine(
        ref=f"plaid:{ref}",
        account_ref="plaid:acc",
        date=on,
        amount=D(str(amount)),
        currency=cur,
        description=desc,
        pending=pending,
    )


def payout(
    ref, amount, *, conn="shop", platform="SHOPIFY", arrival=MON, cur="USD", ids=(), status="paid"
):
    return Payout(
        ref=f"rutter:{conn}:{ref}",
        connection_ref=f"rutter:{conn}",
        platform=platform,
        amount=D(str(amount)),
        currency=cur,
        created_on=arrival - timedelta(days=2),
        arrival_on=arrival,
        status=status,
        identifiers=tuple(ids),
    )


def item(
    ref,
    gross,
    *,
    fee="0",
    conn="shop",
    payout_ref=None,
    kind="sale",
    on=MON,
    cur="USD",
    settled=True,
    category="processing",
):
    g, f = D(str(gross)), D(str(fee))
    return PlatformItem(
        ref=f"rutter:{conn}:{ref}",
        connection_ref=f"rutter:{conn}",
        payout_ref=f"rutter:{conn}:{payout_ref}" if payout_ref else None,
        kind=kind,
        gross=g,
        fee=f,
        net=g - f,
        currency=cur,
        occurred_on=on,
        settled_on=on if settled else None,
        fee_category=category,
    )


def conn(ref="shop", platform="SHOPIFY", explicit=True):
    return Connection(f"rutter:{ref}", platform, explicit)


def inputs(*, lines=(), payouts=(), items=(), conns=(), prior=(), **kw):
    kw.setdefault("platform_keywords", descriptor_keywords())
    return Inputs(
        bank_lines=tuple(lines),
        payouts=tuple(payouts),
        items=tuple(items),
        connections=tuple(conns),
        prior=tuple(prior),
        **kw,
    )


def by_bank(result):
    return {d.bank_ref.removeprefix("plaid:"): d for d in result.decisions}
