"""tieout.world/1 -> engine Inputs, and Result -> tieout.reconciliation/1 (tests and benches only).

The product path maps database rows into the engine types; this shortcut applies the same
provider conventions straight from a world file so the engine can be exercised without Django:
- Rutter: decimal major units; the sign is the platform's own, so the meaning comes from `type`
  and the magnitude from abs(amount); a sale's `fee` is its processing fee.
- Stripe: integer minor units (zero-decimal currencies such as jpy have none), lowercase
  currency; balance transactions name their payout; the payout's own balance transaction has
  type "payout"; `fee` and `net` are given.
- Plaid: amount > 0 is money OUT; pending lines may be superseded by a posted line whose
  pending_transaction_id names them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from .export import export_result
from .money import from_minor_units, quantize
from .types import BankLine, Connection, Inputs, Payout, PlatformItem, Result, Settings

# Platforms that pay out through someone else's rail: Rutter has no payout objects for them.
NO_PAYOUT_PLATFORMS = frozenset(
    {"WOO_COMMERCE", "BIG_COMMERCE", "SQUARESPACE", "ETSY", "WIX", "MAGENTO", "PRESTASHOP"}
)
# Where the fee deducted from a sale is the marketplace's commission, not card processing.
MARKETPLACES = frozenset({"AMAZON", "EBAY", "ETSY", "WALMART", "MERCADO_LIBRE", "SHOPEE", "FAIRE"})
_RUTTER_KIND = {"sale": "sale", "refund": "refund", "fee": "fee", "payout": "payout"}
_STRIPE_CATEGORY = {
    "charge": "sale",
    "refund": "refund",
    "refund_failure": "refund",
    "dispute": "chargeback",
    "dispute_reversal": "chargeback_reversal",
    "fee": "fee",
    "payout": "payout",
    "other_adjustment": "adjustment",
    "transfer": "transfer",
    "transfer_reversal": "transfer",
}
_STRIPE_TYPE = {
    "charge": "sale",
    "payment": "sale",
    "refund": "refund",
    "payment_refund": "refund",
    "adjustment": "adjustment",
    "stripe_fee": "fee",
    "stripe_fx_fee": "fee",
    "application_fee": "fee",
    "tax_fee": "fee",
    "transfer": "transfer",
    "payout": "payout",
}
_IDENT_KEYS = ("trace", "descriptor", "reference", "transfer_id", "settlement_id")


def _d(value) -> Decimal:
    return Decimal(str(value if value is not None else 0))


def _iso_date(value) -> date | None:
    if not value:
        return None
    return date.fromisoformat(str(value)[:10])


def _unix_date(value) -> date | None:
    if value is None:
        return None
    return datetime.fromtimestamp(int(value), tz=UTC).date()


def _rutter_identifiers(payout: dict) -> tuple[str, ...]:
    found = [str(payout[k]) for k in ("platform_id", "id") if payout.get(k)]
    for key, val in (payout.get("platform_data") or {}).items():
        if isinstance(val, str | int) and any(k in key.lower() for k in _IDENT_KEYS):
            found.append(str(val))
    return tuple(dict.fromkeys(found))


def _rutter(conn: dict, out: dict) -> None:
    cid = conn["connection_id"]
    cref = f"rutter:{cid}"
    platform = str(conn.get("platform", "")).upper()
    payouts = conn.get("payouts") or []
    has_payouts = bool(payouts) or platform not in NO_PAYOUT_PLATFORMS
    out["connections"].append(Connection(cref, platform, has_payouts))
    paid_by: dict[str, str] = {}
    for p in payouts:
        pref = f"{cref}:{p['id']}"
        for tid in p.get("transaction_ids") or [t["id"] for t in p.get("transactions") or []]:
            paid_by[str(tid)] = pref
        cur = str(p.get("iso_currency_code") or "USD").upper()
        out["payouts"].append(
            Payout(
                ref=pref,
                connection_ref=cref,
                platform=platform,
                amount=quantize(_d(p.get("amount")), cur),
                currency=cur,
                created_on=_iso_date(p.get("created_at")) or _iso_date(p.get("arrival_at")),
                arrival_on=_iso_date(p.get("arrival_at")),
                status=str(p.get("status") or "paid").lower(),
                identifiers=_rutter_identifiers(p),
            )
        )
    category = "marketplace" if platform in MARKETPLACES else "processing"
    for t in conn.get("transactions") or []:
        cur = str(t.get("iso_currency_code") or "USD").upper()
        rtype = str(t.get("type") or "other").lower()
        magnitude = quantize(abs(_d(t.get("amount"))), cur)
        kind = _RUTTER_KIND.get(rtype, "other")
        if rtype == "sale":
            gross = magnitude
        elif rtype == "other":
            gross = quantize(_d(t.get("amount")), cur)  # no type to read the meaning from
        else:  # refund, fee, payout, void: money leaving the platform balance
            gross = -magnitude
        fee = quantize(abs(_d(t.get("fee"))), cur)
        occurred = _iso_date(t.get("created_at"))
        ok = str(t.get("status") or "success").lower() in ("success", "succeeded", "paid")
        out["items"].append(
            PlatformItem(
                ref=f"{cref}:{t['id']}",
                connection_ref=cref,
                payout_ref=paid_by.get(str(t["id"])),
                kind=kind,
                gross=gross,
                fee=fee,
                net=gross - fee,
                currency=cur,
                occurred_on=occurred,
                settled_on=occurred if ok else None,
                order_ref=f"{cref}:{t['order_id']}" if t.get("order_id") else None,
                raw_type=rtype,
                fee_category=category,
            )
        )


def _stripe_kind(bt: dict) -> str:
    cat = str(bt.get("reporting_category") or "")
    typ = str(bt.get("type") or "")
    if typ == "payout":
        return "payout"
    if cat in ("risk_reserved_funds", "connect_reserved_funds") or "reserve" in typ:
        return "reserve_hold" if int(bt.get("amount") or 0) < 0 else "reserve_release"
    return _STRIPE_CATEGORY.get(cat) or _STRIPE_TYPE.get(typ) or "other"


def _stripe(acct: dict, out: dict) -> None:
    aid = acct["account_id"]
    cref = f"stripe:{aid}"
    out["connections"].append(Connection(cref, "STRIPE", True))
    for p in acct.get("payouts") or []:
        cur = str(p.get("currency") or "usd").upper()
        trace = p.get("trace_id")
        idents = [p["id"]]
        if isinstance(trace, dict) and trace.get("value"):
            idents.append(str(trace["value"]))
        if p.get("statement_descriptor"):
            idents.append(str(p["statement_descriptor"]))
        out["payouts"].append(
            Payout(
                ref=f"{cref}:{p['id']}",
                connection_ref=cref,
                platform="STRIPE",
                amount=from_minor_units(p.get("amount") or 0, cur),
                currency=cur,
                created_on=_unix_date(p.get("created")) or _unix_date(p.get("arrival_date")),
                arrival_on=_unix_date(p.get("arrival_date")),
                status=str(p.get("status") or "paid").lower(),
                identifiers=tuple(dict.fromkeys(idents)),
            )
        )
    for bt in acct.get("balance_transactions") or []:
        cur = str(bt.get("currency") or "usd").upper()
        gross = from_minor_units(bt.get("amount") or 0, cur)
        fee = from_minor_units(bt.get("fee") or 0, cur)
        net = from_minor_units(bt["net"], cur) if bt.get("net") is not None else gross - fee
        occurred = _unix_date(bt.get("created"))
        out["items"].append(
            PlatformItem(
                ref=f"{cref}:{bt['id']}",
                connection_ref=cref,
                payout_ref=f"{cref}:{bt['payout']}" if bt.get("payout") else None,
                kind=_stripe_kind(bt),
                gross=gross,
                fee=fee,
                net=net,
                currency=cur,
                occurred_on=occurred,
                settled_on=_unix_date(bt.get("available_on")) or occurred,
                raw_type=str(bt.get("type") or ""),
            )
        )


def _plaid(item: dict, out: dict) -> None:
    txns = item.get("transactions") or []
    superseded = {t.get("pending_transaction_id") for t in txns if not t.get("pending")}
    for t in txns:
        if t.get("pending") and t["transaction_id"] in superseded:
            continue
        cur = str(t.get("iso_currency_code") or t.get("unofficial_currency_code") or "USD").upper()
        out["bank_lines"].append(
            BankLine(
                ref=f"plaid:{t['transaction_id']}",
                account_ref=f"plaid:{t.get('account_id')}",
                date=_iso_date(t.get("date")),
                amount=quantize(-_d(t.get("amount")), cur),
                currency=cur,
                description=str(t.get("name") or t.get("original_description") or ""),
                merchant_name=str(t.get("merchant_name") or ""),
                pending=bool(t.get("pending")),
            )
        )


_EVENT_LISTS = {
    ("rutter", "order"): ("orders", "id"),
    ("rutter", "transaction"): ("transactions", "id"),
    ("rutter", "payout"): ("payouts", "id"),
    ("stripe", "balance_transaction"): ("balance_transactions", "id"),
    ("stripe", "payout"): ("payouts", "id"),
    ("plaid", "bank_transaction"): ("transactions", "transaction_id"),
}
_CONN_KEY = {"rutter": "connection_id", "stripe": "account_id", "plaid": "item_id"}


def apply_events(world: dict) -> dict:
    """The world's final state: its `events` (upserts and deletes) applied in order."""
    state = {prov: [dict(c) for c in world.get(prov) or []] for prov in _CONN_KEY}
    for conns in state.values():
        for c in conns:
            for key in ("orders", "transactions", "payouts", "balance_transactions"):
                if key in c:
                    c[key] = list(c[key])
    for ev in world.get("events") or []:
        prov = ev.get("provider")
        target = _EVENT_LISTS.get((prov, ev.get("kind")))
        conn = next(
            (c for c in state.get(prov, ()) if c.get(_CONN_KEY[prov]) == ev.get("connection")), None
        )
        if target is None or conn is None:
            continue
        key, id_field = target
        obj = ev.get("object") or {}
        rows = [r for r in conn.get(key) or [] if r.get(id_field) != obj.get(id_field)]
        if ev.get("op") != "delete":
            rows.append(obj)
        conn[key] = rows
    return {**world, **state, "events": []}


def inputs_from_world(world: dict, *, settings: Settings | None = None, prior=()) -> Inputs:
    world = apply_events(world)
    out: dict[str, list] = {"connections": [], "payouts": [], "items": [], "bank_lines": []}
    for conn in world.get("rutter") or []:
        _rutter(conn, out)
    for acct in world.get("stripe") or []:
        _stripe(acct, out)
    for item in world.get("plaid") or []:
        _plaid(item, out)
    return Inputs(
        bank_lines=tuple(out["bank_lines"]),
        connections=tuple(out["connections"]),
        payouts=tuple(out["payouts"]),
        items=tuple(out["items"]),
        prior=tuple(prior),
        settings=settings or Settings(),
    )


def export(result: Result, inputs: Inputs) -> dict:
    """A tieout.reconciliation/1 dict (without the ledger section: the engine posts nothing)."""
    return export_result(result=result, inputs=inputs)
