"""Result -> tieout.reconciliation/1 export dict (deposits, payouts, expenses)."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from .breakdown import breakdown_of
from .orders import priced
from .types import Breakdown, Decision, Inputs, Result


def _refs(refs) -> list[str]:
    """Item refs as the formats name them: an order's refund is its order (`<ref>#refund`)."""
    return list(dict.fromkeys(r.split("#refund", 1)[0] for r in refs))


def _deposit_row(d: Decision) -> dict:
    status = "suggested" if d.status == "ambiguous" else d.status
    row: dict = {"bank": d.bank_ref, "status": status}
    if status != "unmatched":
        row["confidence"] = d.confidence
    if d.status == "ambiguous":
        row["ambiguous"] = True
        row["alternatives"] = [list(a) for a in d.alternatives]
    elif d.inferred is not None:
        row["inferred"] = {
            "connection": d.inferred.connection_ref,
            "items": _refs(d.inferred.item_refs),
        }
    elif d.payout_refs:
        row["payouts"] = list(d.payout_refs)
    if d.fx is not None:
        row["fx"] = {
            "payout_currency": d.fx.payout_currency,
            "payout_amount": str(d.fx.payout_amount),
            "rate": str(d.fx.implied_rate),
            "reference_rate": str(d.fx.reference_rate),
            "difference": str(d.fx.difference),
        }
    row["reasons"] = list(d.reasons)
    return row


def _payout_row(b: Breakdown, deposit: str | None) -> dict:
    return {
        "payout": b.payout_ref,
        "currency": b.currency,
        "deposit": deposit,
        "gross": str(b.gross),
        "fees": str(b.fees),
        "refunds": str(b.refunds),
        "other": str(b.other),
        "net": str(b.net),
        "items": _refs(b.item_refs),
        "balanced": b.balanced,
        **({"inferred": True, "connection": b.connection_ref} if b.inferred else {}),
        **({"problems": list(b.problems)} if b.problems else {}),
    }


def _expenses(b: Breakdown) -> list[dict]:
    rows = []
    for category, amount in (
        ("processing_fees", b.processing_fees),
        ("marketplace_fees", b.marketplace_fees),
    ):
        if amount:
            rows.append(
                {
                    "connection": b.connection_ref,
                    "payout": b.payout_ref,
                    "category": category,
                    "currency": b.currency,
                    "amount": str(-amount),
                }
            )
    return rows


def _accrued_expenses(result: Result, inputs: Inputs) -> list[dict]:
    """Fees on an accrual basis, as the product books them: every settled transaction's fees
    once, whether paid out yet or not, grouped by the payout that took it (explicit payout,
    applied inferred payout) or, not paid out yet, by connection."""
    inferred_of = {
        ref: "inferred:" + d.bank_ref
        for d in result.decisions
        if d.status == "matched" and d.inferred is not None
        for ref in d.inferred.item_refs
    }
    groups: dict[tuple, list] = defaultdict(list)
    # Orders-only stores: each paid order's fee under the connection's confirmed schedule.
    schedules = {s.connection_ref: s for s in result.fee_schedules if s.confirmed}
    orders = [o for o in inputs.orders if o.connection_ref in schedules]
    orders = [x for o in orders for x in priced([o], schedules[o.connection_ref])]
    for it in list(inputs.items) + orders:
        if it.settled_on is None or it.kind == "payout":
            continue
        payout = it.payout_ref or inferred_of.get(it.ref)
        groups[(it.connection_ref, it.currency, payout)].append(it)
    rows = []
    for (conn, currency, payout), items in sorted(groups.items(), key=lambda kv: str(kv[0])):
        b = breakdown_of(
            payout_ref=payout or "",
            connection_ref=conn,
            currency=currency,
            amount=sum((i.net for i in items), Decimal(0)),
            items=items,
        )
        for row in _expenses(b):
            rows.append({**row, "payout": payout})
    return rows


def export_result(*, result: Result, inputs: Inputs) -> dict:
    pending = {b.ref for b in inputs.bank_lines if b.pending}
    deposit_of = dict(result.payout_deposits)
    payouts = []
    for b in result.breakdowns:
        deposit = (
            b.payout_ref.removeprefix("inferred:") if b.inferred else deposit_of.get(b.payout_ref)
        )
        payouts.append(_payout_row(b, deposit))
    expenses = _accrued_expenses(result, inputs)
    return {
        "format": "tieout.reconciliation/1",
        "engine_version": result.engine_version,
        "deposits": [_deposit_row(d) for d in result.decisions if d.bank_ref not in pending],
        "payouts": payouts,
        "expenses": expenses,
    }
