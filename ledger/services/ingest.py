"""Bulk upserts of synced orders, customers, payouts and payout items, keyed on
(company, source, external_id) (the bank feed's are in bank_feed.py).

Rows are the plain dicts of connections.mapping (Decimal money signed by meaning). Each function
writes a whole batch in a handful of statements (INSERT … ON CONFLICT DO UPDATE in chunks, then
set-based UPDATEs), never one INSERT per row, so a page of 500 objects is a few round trips.
Fields that reconciliation owns (payout breakdowns, invoice payment state, bank line status) are
never overwritten by a re-sync; re-running any upsert with the same rows changes nothing.
"""

from datetime import datetime

from django.db import connection, transaction
from django.db.models import ProtectedError
from psycopg.types.datetime import TimestamptzLoader

from ledger.bulk import (
    EPOCH,
    analyzed_if_grown,
    chunks,
    clip,
    dedupe,
    ids_by_external,
    insert_many,
    upsert,
    upsert_written,
)
from ledger.models import (
    Customer,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    ItemKind,
    Payout,
    PayoutItem,
    PayoutStatus,
)

_ITEM_KINDS = frozenset(ItemKind.values)
_PAYOUT_STATUSES = frozenset(PayoutStatus.values)


# -- customers and invoices --------------------------------------------------------------------


@transaction.atomic(savepoint=False)
def customer_upsert_many(*, company, rows: list[dict]) -> int:
    rows = dedupe(rows)
    upsert(Customer, [
        {"company_id": company.pk, "source": r["source"], "external_id": r["external_id"],
         "name": clip(r.get("name"), 300), "email": clip(r.get("email"), 300)}
        for r in rows
    ], ["name", "email"])
    return len(rows)


def _invoice_status(row: dict) -> str:
    if row.get("cancelled_at") or (row.get("status") or "").lower() in ("cancelled", "canceled"):
        return InvoiceStatus.VOID
    return {"paid": InvoiceStatus.PAID, "partially_paid": InvoiceStatus.PARTIALLY_PAID,
            "refunded": InvoiceStatus.REFUNDED}.get((row.get("payment_status") or "").lower(),
                                                    InvoiceStatus.OPEN)


@transaction.atomic(savepoint=False)
def invoice_upsert_many(*, company, rows: list[dict]) -> int:
    """Orders (connections.mapping.rutter.order_row) -> customers, invoices and their lines.

    `status` is set from the platform when the invoice is first seen; afterwards it belongs to
    reconciliation (payments move it), so a re-sync updates only `platform_status` and amounts.
    Lines are replaced only for invoices whose lines changed, so a re-sync rewrites nothing.
    """
    rows = dedupe(rows)
    if not rows:
        return 0
    customers = {}
    for r in rows:
        if r.get("customer_external_id"):
            customers[(r["source"], r["customer_external_id"])] = {
                "source": r["source"], "external_id": r["customer_external_id"],
                "name": r.get("customer_name"), "email": r.get("customer_email"),
            }
    customer_upsert_many(company=company, rows=list(customers.values()))
    customer_ids = {}
    for source in {s for s, _ in customers}:
        ids = ids_by_external(Customer, company=company, source=source,
                               external_ids=[e for s, e in customers if s == source])
        customer_ids.update({(source, e): pk for e, pk in ids.items()})

    written = upsert_written(Invoice, [
        {
            "company_id": company.pk, "source": r["source"], "external_id": r["external_id"],
            "number": clip(str(r.get("number") or ""), 100),
            "customer_id": customer_ids.get((r["source"], r.get("customer_external_id"))),
            "currency": r["currency"], "issued_at": r.get("created_at") or EPOCH,
            "status": _invoice_status(r),
            "platform_status": clip(r.get("payment_status") or r.get("status"), 40),
            "subtotal": r["subtotal"], "discount": r["discount"], "shipping": r["shipping"], "tax": r["tax"],
            "total": r["total"], "updated_at": r.get("updated_at"),
        }
        for r in rows
    ], ["number", "customer", "currency", "issued_at", "platform_status", "subtotal", "discount",
        "shipping", "tax", "total", "updated_at"])
    _invoice_lines_replace(company=company, rows=rows, written=written)
    return len(rows)


def _line_key(line: dict) -> tuple:
    return (clip(line.get("external_id"), 255), clip(line.get("title"), 500), clip(line.get("sku"), 100),
            line["quantity"], line["unit_price"], line["amount"])


_STORED_LINE_FIELDS = ("external_id", "description", "sku", "quantity", "unit_price", "amount")  # as _line_key


def _invoice_lines_replace(*, company, rows: list[dict], written=None) -> None:
    """`written`: what the upsert said it wrote ((source, external_id) -> (id, inserted)), when
    it could say: invoices inserted now have no lines to read or delete, and only the rest are
    looked up (an initial sync's pages of orders are all new)."""
    written = written or {}
    invoice_ids = {key: pk for key, (pk, _) in written.items()}
    fresh = {pk for pk, inserted in written.values() if inserted}
    for source in {r["source"] for r in rows}:
        ids = ids_by_external(Invoice, company=company, source=source,
                               external_ids=[r["external_id"] for r in rows
                                             if r["source"] == source and (source, r["external_id"]) not in written])
        invoice_ids.update({(source, e): pk for e, pk in ids.items()})
    existing: dict[int, list] = {}
    for chunk in chunks([pk for pk in invoice_ids.values() if pk not in fresh]):
        for invoice_id, *key in (InvoiceLine.objects.filter(company=company, invoice_id__in=chunk).order_by("id")
                                 .values_list("invoice_id", *_STORED_LINE_FIELDS)):
            existing.setdefault(invoice_id, []).append(tuple(key))
    stale, new_lines = [], []
    for r in rows:
        invoice_id = invoice_ids[(r["source"], r["external_id"])]
        lines = r.get("lines") or []
        if [_line_key(line) for line in lines] == existing.get(invoice_id, []):
            continue
        if invoice_id not in fresh:
            stale.append(invoice_id)
        new_lines.extend(
            {"company_id": company.pk, "invoice_id": invoice_id, "external_id": clip(line.get("external_id"), 255),
             "description": clip(line.get("title"), 500), "sku": clip(line.get("sku"), 100),
             "quantity": line["quantity"], "unit_price": line["unit_price"], "amount": line["amount"]}
            for line in lines
        )
    for chunk in chunks(stale):
        InvoiceLine.objects.filter(company=company, invoice_id__in=chunk).delete()
    insert_many(InvoiceLine, new_lines)


@transaction.atomic
def invoice_mark_deleted(*, company, source: str, external_id: str) -> int:
    """The platform deleted an order: void the invoice (it may carry payments, so it stays)."""
    return Invoice.objects.filter(company=company, source=source, external_id=external_id).update(
        status=InvoiceStatus.VOID, platform_status="deleted"
    )


# -- payouts and their items -------------------------------------------------------------------


@transaction.atomic(savepoint=False)
def payout_upsert_many(*, company, rows: list[dict], platform: str) -> int:
    """Payout rows (Rutter or Stripe mapping) -> Payouts. Breakdown fields stay reconciliation's."""
    rows = dedupe(rows)
    objs = []
    for r in rows:
        status = (r.get("status") or "").lower()
        arrived = r.get("arrived_at")
        objs.append({
            "company_id": company.pk, "source": r["source"], "external_id": r["external_id"],
            "platform": platform[:40], "status": status if status in _PAYOUT_STATUSES else PayoutStatus.OTHER,
            "provider_status": clip(r.get("provider_status"), 40), "currency": r["currency"],
            "amount": r["amount"], "created_on": r.get("created_at"),
            "arrival_date": arrived.date() if arrived else None,
            "platform_id": clip(r.get("platform_id") or r["external_id"], 255),
            "trace_id": clip(r.get("trace_id") or r.get("description"), 255),
            "updated_at": r.get("updated_at") or r.get("created_at"),
        })
    upsert(Payout, objs, ["platform", "status", "provider_status", "currency", "amount",
                           "created_on", "arrival_date", "platform_id", "trace_id", "updated_at"])
    return len(rows)


_ITEM_FIELDS = ["kind", "provider_type", "status", "description", "occurred_at", "available_on",
                "currency", "amount", "fee", "net", "order_external_id", "updated_at"]


def _item(company_id: int, r: dict) -> dict:
    kind = r.get("kind")
    available = r.get("available_on")
    return {
        "company_id": company_id, "source": r["source"], "external_id": r["external_id"],
        "kind": kind if kind in _ITEM_KINDS else ItemKind.OTHER,
        "provider_type": clip(r.get("provider_type"), 60), "status": clip(r.get("status"), 40),
        "description": clip(r.get("description"), 500), "occurred_at": r.get("occurred_at") or EPOCH,
        "available_on": available.date() if isinstance(available, datetime) else available,
        "currency": r["currency"], "amount": r["amount"], "fee": r["fee"], "net": r["net"],
        "order_external_id": clip(r.get("order_external_id"), 255),
        "payout_external_id": clip(r.get("payout_external_id"), 255),
        "updated_at": r.get("updated_at") or r.get("occurred_at"),
    }


class ReadBack:
    """Whether the pages of one pass read their stored items back before writing them.

    Reading back pays when many rows of a page are already stored unchanged (the transactions
    pass after payouts, every re-sync): only new or changed rows are then staged and upserted.
    On an initial load every row is new and the read finds nothing, so a page whose read found
    (almost) nothing unchanged turns it off for the next pages, and a page upserted without it
    whose upsert left rows unchanged (the database's row count says how many it wrote) turns it
    back on. The upsert alone is always correct (unchanged rows are never rewritten); this only
    picks the cheaper way to the same rows.
    """

    WORTH = 0.1  # share of a page stored unchanged from which reading back is cheaper

    def __init__(self) -> None:
        self.enabled = True

    def saw(self, *, rows: int, unchanged: int | None) -> None:
        self.enabled = unchanged is None or unchanged > rows * self.WORTH


@transaction.atomic(savepoint=False)
def payout_item_upsert_many(*, company, rows: list[dict], read_back: ReadBack | None = None) -> int:
    """Balance movements -> PayoutItems, then linked to their payouts by payout_external_id.

    A row that does not know its payout (Rutter's /transactions list, Stripe's full balance
    transaction list) never clears the payout an earlier payout sync gave the item, so the order
    in which entities sync does not matter. The link is set by the upsert itself. `read_back`
    (one per pass) lets a pass of new rows skip reading them back first (see ReadBack).
    """
    rows = dedupe(rows)
    settled = [_item(company.pk, r) for r in rows if r.get("payout_external_id")]
    loose = [_item(company.pk, r) for r in rows if not r.get("payout_external_id")]
    # Linked by the upsert itself: payout ids looked up once per page (their payouts were written
    # just before, in the same transaction); a payout we do not hold yet leaves the link empty.
    payout_ids: dict[tuple[str, str], int] = {}
    for source in {item["source"] for item in settled}:
        found = ids_by_external(Payout, company=company, source=source,
                                 external_ids=[i["payout_external_id"] for i in settled if i["source"] == source])
        payout_ids.update({(source, ext): pk for ext, pk in found.items()})
    for item in settled:
        item["payout_id"] = payout_ids.get((item["source"], item["payout_external_id"]))
    settled_fields = [*_ITEM_FIELDS, "payout_external_id", "payout_id"]
    # On SQLite the upsert itself skips unchanged rows for less than reading them back through the
    # ORM costs (bench realistic: the read-back was a third of a realistic world's sync there).
    reading = connection.vendor == "postgresql" and (read_back is None or read_back.enabled)
    if reading:
        stored = _stored_items(company, [*settled, *loose], settled_fields)
        settled = _changed(settled, stored, settled_fields)
        loose = _changed(loose, stored, _ITEM_FIELDS)
        unchanged = len(rows) - len(settled) - len(loose)
    written = (upsert(PayoutItem, settled, [*_ITEM_FIELDS, "payout_external_id", "payout"]),
               upsert(PayoutItem, loose, _ITEM_FIELDS))
    if read_back is not None:
        if not reading:
            unchanged = None if None in written else len(rows) - sum(written)
        read_back.saw(rows=len(rows), unchanged=unchanged)
    return len(rows)


def _stored_items(company, items: list[dict], fields: list[str]) -> dict[tuple[str, str], tuple]:
    """The stored values of these items' `fields`, by (source, external_id): one indexed read
    per source.

    Most items of a pass are already stored unchanged (the transactions pass after payouts, every
    re-sync); reading them back is far cheaper than staging, locking and comparing them in an
    upsert, so only new or changed rows are written. On PostgreSQL the read skips the ORM: one
    `external_id = ANY(%s)` statement, and psycopg's C timestamp loader instead of Django's
    Python one (together ~2/3 of the read's client time).
    """
    found: dict[tuple[str, str], tuple] = {}
    wanted: dict[str, set] = {}
    for item in items:
        wanted.setdefault(item["source"], set()).add(item["external_id"])
    if connection.vendor != "postgresql":
        for source, ids in wanted.items():
            for chunk in chunks(sorted(ids)):
                for values in PayoutItem.objects.filter(
                    company=company, source=source, external_id__in=chunk
                ).values_list("external_id", *fields):
                    found[(source, values[0])] = values[1:]
        return found
    analyzed_if_grown(PayoutItem)
    opts = PayoutItem._meta
    columns = ", ".join(f'"{opts.get_field(name).column}"' for name in fields)
    sql = (f'SELECT "external_id", {columns} FROM "{opts.db_table}" '
           'WHERE "company_id" = %s AND "source" = %s AND "external_id" = ANY(%s)')
    with connection.cursor() as cursor:
        pg = cursor.cursor
        pg.adapters.register_loader("timestamptz", TimestamptzLoader)  # this cursor only
        for source, ids in wanted.items():
            for chunk in chunks(sorted(ids)):
                pg.execute(sql, [company.pk, source, chunk])
                for values in pg.fetchall():
                    found[(source, values[0])] = values[1:]
    return found


def _changed(items: list[dict], stored: dict, fields: list[str]) -> list[dict]:
    """Items that are new, or differ from what is stored in one of `fields` (Decimal 1.0 == 1.00).

    `stored` holds values in the order of the read-back's fields, of which `fields` is a prefix.
    """
    changed = []
    width = len(fields)
    for item in items:
        old = stored.get((item["source"], item["external_id"]))
        if old is None or old[:width] != tuple([item.get(f) for f in fields]):
            changed.append(item)
    return changed


def payout_item_delete_many(*, company, source: str, external_ids) -> int:
    """The platform deleted movements: delete them, or mark them deleted if already booked."""
    analyzed_if_grown(PayoutItem)
    rows = PayoutItem.objects.filter(company=company, source=source, external_id__in=list(external_ids))
    try:
        with transaction.atomic():
            return rows.delete()[0]
    except ProtectedError:
        return rows.update(status="deleted")
