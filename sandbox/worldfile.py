"""tieout.world/1 -> engine Inputs, and Result -> tieout.reconciliation/1 (tests and benches only).

The product path maps database rows into the engine types; this shortcut applies the product's own
provider mapping (connections.mapping) straight to a world file, so the engine can be exercised
without a database:
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

from connections.mapping import rutter as rutter_map
from connections.mapping import stripe as stripe_map
from connections.mapping.plaid import unofficial_currency
from ledger.money import quantize
from ledger.platforms import (
    descriptor_keywords,
    fee_cards,
    fee_category,
    has_payout_objects,
    supports,
)
from reconciliation.engine import (
    BankLine,
    Connection,
    Inputs,
    Payout,
    PlatformItem,
    Result,
    Settings,
)
from reconciliation.engine.export import export_result
from reconciliation.reference import with_reference_data
from reconciliation.rows import order_items

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
    has_payouts = bool(payouts) or has_payout_objects(platform)
    orders_only = not supports(platform, "transactions")
    out["connections"].append(Connection(cref, platform, has_payouts, orders_only=orders_only))
    if orders_only:
        _orders(conn, cref, out)
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
    category = fee_category(platform)
    for t in conn.get("transactions") or []:
        cur = str(t.get("iso_currency_code") or "USD").upper()
        rtype = str(t.get("type") or "other").lower()
        row = rutter_map.transaction_row(t, source=cref, default_currency=cur)  # the product's
        gross, fee = row["amount"], row["fee"]
        occurred = _iso_date(t.get("created_at"))
        ok = str(t.get("status") or "success").lower() in ("success", "succeeded", "paid")
        out["items"].append(
            PlatformItem(
                ref=f"{cref}:{t['id']}",
                connection_ref=cref,
                payout_ref=paid_by.get(str(t["id"])),
                kind=row["kind"],
                gross=gross,
                fee=fee,
                net=row["net"],
                currency=cur,
                occurred_on=occurred,
                settled_on=occurred if ok else None,
                order_ref=f"{cref}:{t['order_id']}" if t.get("order_id") else None,
                raw_type=rtype,
                fee_category=category,
                occurred_at=row["occurred_at"],
            )
        )


def _refunded(order: dict):
    """The refunds' amounts (Rutter: refunds[].line_items[].amount, nullable), or None."""
    amounts = [li.get("amount") for r in order.get("refunds") or () for li in r.get("line_items") or ()]
    known = [_d(a) for a in amounts if a not in (None, "")]
    return sum(known, Decimal(0)) if known else None


def _orders(conn: dict, cref: str, out: dict) -> None:
    for o in conn.get("orders") or []:
        row = rutter_map.order_row(o, source=cref, default_currency="USD")  # the product's mapping
        out["orders"] += order_items(
            source=cref, external_id=row["external_id"], payment_status=row["payment_status"] or "",
            currency=row["currency"], total=row["total"], created_at=row["created_at"],
            updated_at=row["updated_at"], refunded=_refunded(o),
        )


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
                amount=stripe_map.stripe_amount(p.get("amount") or 0, cur),
                currency=cur,
                created_on=_unix_date(p.get("created")) or _unix_date(p.get("arrival_date")),
                arrival_on=_unix_date(p.get("arrival_date")),
                status=str(p.get("status") or "paid").lower(),
                identifiers=tuple(dict.fromkeys(idents)),
            )
        )
    for bt in acct.get("balance_transactions") or []:
        cur = str(bt.get("currency") or "usd").upper()
        occurred = _unix_date(bt.get("created"))
        # The product's mapping, with the rows it derives (an Instant Payout's fee, a failed
        # payout's debit); `payout` on a world balance transaction names its (automatic) payout.
        for row in stripe_map.balance_transaction_rows(bt, source=cref):
            out["items"].append(
                PlatformItem(
                    ref=f"{cref}:{row['external_id']}",
                    connection_ref=cref,
                    payout_ref=f"{cref}:{row['payout_external_id']}" if row["payout_external_id"] else None,
                    kind=row["kind"],
                    gross=row["amount"],
                    fee=row["fee"],
                    net=row["net"],
                    currency=cur,
                    occurred_on=occurred,
                    settled_on=_unix_date(bt.get("available_on")) or occurred,
                    raw_type=str(bt.get("type") or ""),
                    occurred_at=row["occurred_at"],
                )
            )


def _plaid(item: dict, out: dict) -> None:
    txns = item.get("transactions") or []
    superseded = {t.get("pending_transaction_id") for t in txns if not t.get("pending")}
    # As the sync: accounts and lines in unofficial currencies (BTC, USDT…) are not booked.
    unofficial = {a.get("account_id") for a in item.get("accounts") or []
                  if unofficial_currency(a.get("balances") or {})}
    for t in txns:
        if t.get("pending") and t["transaction_id"] in superseded:
            continue
        if t.get("account_id") in unofficial or unofficial_currency(t):
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
    out: dict[str, list] = {"connections": [], "payouts": [], "items": [], "bank_lines": [], "orders": []}
    for conn in world.get("rutter") or []:
        _rutter(conn, out)
    for acct in world.get("stripe") or []:
        _stripe(acct, out)
    for item in world.get("plaid") or []:
        _plaid(item, out)
    return with_reference_data(Inputs(
        bank_lines=tuple(out["bank_lines"]),
        connections=tuple(out["connections"]),
        payouts=tuple(out["payouts"]),
        items=tuple(out["items"]),
        prior=tuple(prior),
        settings=settings or Settings(),
        platform_keywords=descriptor_keywords(),
        orders=tuple(out["orders"]),
        fee_cards=fee_cards(),
    ))


def export(result: Result, inputs: Inputs) -> dict:
    """A tieout.reconciliation/1 dict (without the ledger section: the engine posts nothing)."""
    return export_result(result=result, inputs=inputs)
