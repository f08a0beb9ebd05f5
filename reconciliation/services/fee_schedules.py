"""Orders-only stores' fee schedules: stored per connection, learned from deposits, priced into
payout items when one of their sweeps is booked.

A BigCommerce or Squarespace store reports orders only (Rutter has no /transactions for them), so
the gateway fee behind each deposit is inferred (engine/orders.py). What the engine or a person
established is kept here (`FeeSchedule`): `learned` when a run confirmed it by several deposits
tied to the cent and applied them, `person` when a person accepted a deposit it explained (which
overrides a learned one). It is shown on the dashboard's connections page and deleted when its
connection is disconnected (`connections.signals.connection_reset`).
"""

import json
from decimal import Decimal

from django.utils.timezone import now

from connections.models import Connection
from ledger.models import Invoice, PayoutItem
from ledger.services import ingest
from reconciliation import engine as E
from reconciliation.engine.orders import order_fee
from reconciliation.models import FeeSchedule, FeeSource, Match
from reconciliation.rows import ORDER_FIELDS, ORDER_TYPES, REFUND_SUFFIX, invoice_order_items


def schedule_json(s: E.FeeSchedule | None) -> dict:
    if s is None:
        return {}
    return {"rate": str(s.rate), "fixed": str(s.fixed), "rounding": s.rounding, "currency": s.currency,
            "extra_rate": str(s.extra_rate)}


def schedule_of(source: str, schedule: dict) -> E.FeeSchedule:
    return E.FeeSchedule(connection_ref=source, rate=Decimal(schedule["rate"]), fixed=Decimal(schedule["fixed"]),
                         rounding=schedule.get("rounding", "half_up"),
                         extra_rate=Decimal(schedule.get("extra_rate") or 0))


def _connection(company, ref: str) -> Connection | None:
    provider, _, external = ref.partition(":")
    return Connection.objects.filter(company=company, provider=provider, external_id=external).first()


def fee_schedule_learn(*, company, connection_ref: str, schedule: dict, source: str, by: str,
                       deposits: int = 1) -> FeeSchedule | None:
    """Store (or confirm again) a connection's schedule. A person's word is not overwritten by
    what the engine learned; a person's new word replaces everything."""
    conn = _connection(company, connection_ref)
    if conn is None or not schedule:
        return None
    s = schedule_of(connection_ref, schedule)
    current = FeeSchedule.objects.filter(company=company, connection=conn).first()
    same = current is not None and (current.rate, current.fixed, current.rounding, current.extra_rate) == (
        s.rate, s.fixed, s.rounding, s.extra_rate)
    if current is not None and current.source == FeeSource.PERSON and source != FeeSource.PERSON:
        if same:
            current.deposits += deposits
            current.save(update_fields=["deposits"])
        return current
    if same and current.source == source:
        current.deposits += deposits
        current.updated_at = now()
        current.save(update_fields=["deposits", "updated_at"])
        return current
    row, _ = FeeSchedule.objects.update_or_create(company=company, connection=conn, defaults={
        "rate": s.rate, "fixed": s.fixed, "rounding": s.rounding, "extra_rate": s.extra_rate,
        "currency": schedule.get("currency", ""), "source": source, "confirmed_by": by,
        "confirmed_at": now(), "deposits": deposits, "updated_at": now(),
    })
    return row


def fee_schedules_from_run(*, company, result: E.Result, by: str = "engine") -> None:
    """Schedules a run confirmed by evidence and applied deposits with become `learned`."""
    applied: dict[str, int] = {}
    for d in result.decisions:
        if d.status == "matched" and not d.locked and d.fee_schedule is not None:
            ref = d.inferred.connection_ref
            applied[ref] = applied.get(ref, 0) + 1
    for s in result.fee_schedules:
        if s.confirmed and applied.get(s.connection_ref) and s.source != FeeSource.PERSON:
            fee_schedule_learn(company=company, connection_ref=s.connection_ref,
                               schedule=schedule_json(s), source=FeeSource.LEARNED, by=by,
                               deposits=applied[s.connection_ref])


def fee_schedule_reset(*, company_id: int, connection_id: int) -> int:
    return FeeSchedule.objects.filter(company_id=company_id, connection_id=connection_id).delete()[0]


FEW_ORDERS = 5000  # more: the store's orders are read once rather than named in an IN list


def orders_priced_rows(*, company, source: str, schedule: dict, refs: set[str] | None = None,
                       skip: frozenset = frozenset()) -> list[dict]:
    """Payout-item rows for an orders-only store's orders (all, or the items `refs` names),
    priced with `schedule` (sale: gross = order total, fee, net; refund: no fee). Reads only."""
    sched = schedule_of(source, schedule)
    invoices = Invoice.objects.filter(company=company, source=source)
    if refs is not None and len(refs) <= FEW_ORDERS:
        invoices = invoices.filter(external_id__in={r.split(":", 2)[-1].split(REFUND_SUFFIX)[0] for r in refs})
    rows = []
    # Their fields, not model instances: a store's year of orders is ~30,000 invoices.
    for *row, number in invoices.values_list(*ORDER_FIELDS, "number").iterator(5000):
        external_id = row[0]
        for it in invoice_order_items(source, tuple(row)):
            ext = it.ref.split(":", 2)[-1]
            if ext in skip or (refs is not None and it.ref not in refs):
                continue
            fee = order_fee(it.gross, sched, it.currency) if it.kind == "sale" else Decimal(0)
            rows.append({
                "source": source, "external_id": ext, "kind": it.kind, "provider_type": it.raw_type,
                "status": "success", "description": f"Order {number or external_id}",
                "occurred_at": it.occurred_at, "currency": it.currency, "amount": it.gross, "fee": fee,
                "net": it.gross - fee, "order_external_id": external_id,
            })
    return rows


def orders_materialize(*, company, source: str, schedule: dict, refs: set[str] | None = None) -> int:
    """Orders of an orders-only store become payout items carrying their fee under `schedule`,
    so the ordinary booking (sales, merchant processing fees, clearing) and grouping apply.
    `refs`: only those items (a sweep being booked); None: every paid order not yet an item (the
    schedule is confirmed: fees are booked on an accrual basis, like any store's)."""
    have = frozenset(PayoutItem.objects.filter(company=company, source=source, provider_type__in=ORDER_TYPES)
                     .values_list("external_id", flat=True))
    if refs is not None and {ref.split(":", 2)[-1] for ref in refs} <= have:
        return 0  # every one is an item already (accrued by this run): the orders need no reading
    rows = orders_priced_rows(company=company, source=source, schedule=schedule, refs=refs, skip=have)
    return ingest.payout_item_upsert_many(company=company, rows=rows) if rows else 0


def order_items_materialize(*, company, matches) -> None:
    """Before orders-only sweeps are booked, their orders become priced payout items: once per
    store and schedule for all its sweeps (each read the store's items and orders again)."""
    sweeps: dict[tuple, tuple[dict, set]] = {}
    for match in matches:
        if match.is_inferred and match.fee_schedule:
            key = (match.inferred_connection, json.dumps(match.fee_schedule, sort_keys=True))
            sweeps.setdefault(key, (match.fee_schedule, set()))[1].update(match.inferred_items)
    for (source, _), (schedule, refs) in sorted(sweeps.items()):
        orders_materialize(company=company, source=source, schedule=schedule, refs=refs)


def confirmed_orders_accrue(*, company) -> int:
    """Every paid order of a store whose schedule is confirmed, priced and booked (accrual)."""
    written = 0
    for fs in FeeSchedule.objects.filter(company=company).select_related("connection"):
        if fs.confirmed:
            written += orders_materialize(company=company, source=fs.connection.ref, schedule={
                "rate": str(fs.rate), "fixed": str(fs.fixed), "rounding": fs.rounding,
                "extra_rate": str(fs.extra_rate)})
    return written


def match_fee_schedule_confirm(*, match: Match, by: str) -> None:
    """A person accepted an orders-only sweep: its schedule is the connection's, by their word."""
    if match.is_inferred and match.fee_schedule:
        fee_schedule_learn(company=match.company, connection_ref=match.inferred_connection,
                           schedule=match.fee_schedule, source=FeeSource.PERSON, by=by)
