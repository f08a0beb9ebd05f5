"""Rutter: transactions -> payout items, payouts (+ embedded transactions) -> payouts and linked
items, orders -> invoices with lines and customers. Incremental passes ask for objects updated
since the entity's high-water mark minus the overlap window."""

from __future__ import annotations

from connections.mapping.common import parse_datetime
from connections.mapping.rutter import order_row, payout_row, transaction_row
from connections.providers.errors import ProviderError
from connections.services.context import SyncContext, ahead, latest, page_size
from ledger.services import ingest

# Rutter answers this for platforms that have no payout objects (WooCommerce, Etsy, …).
NOT_SUPPORTED = "ENDPOINT_NOT_SUPPORTED"
GONE = {"RESOURCE_NOT_FOUND", "NOT_FOUND"}


def _updated(obj: dict):
    return parse_datetime(obj.get("updated_at") or obj.get("created_at"))


def write_transactions(ctx: SyncContext, objects: list[dict]) -> int:
    currency = ctx.company.base_currency
    rows = [transaction_row(o, source=ctx.source, default_currency=currency) for o in objects]
    return ingest.payout_item_upsert_many(company=ctx.company, rows=rows)


def write_payouts(ctx: SyncContext, objects: list[dict]) -> int:
    currency = ctx.company.base_currency
    rows = [payout_row(o, source=ctx.source, default_currency=currency) for o in objects]
    ingest.payout_upsert_many(company=ctx.company, rows=rows, platform=ctx.connection.platform or "RUTTER")
    items = [item for row in rows for item in row["items"]]
    ingest.payout_item_upsert_many(company=ctx.company, rows=items)
    return len(rows) + len(items)


def write_orders(ctx: SyncContext, objects: list[dict]) -> int:
    currency = ctx.company.base_currency
    rows = [order_row(o, source=ctx.source, default_currency=currency) for o in objects]
    return ingest.invoice_upsert_many(company=ctx.company, rows=rows)


ENTITIES = (
    # entity, client iterator, writer. Payouts first: they write their embedded transactions
    # already linked, so the transactions pass then finds most items unchanged and rewrites
    # nothing (each item is written once, not inserted and then updated to set its payout).
    ("payouts", "iter_payouts", write_payouts),
    ("transactions", "iter_transactions", write_transactions),
    ("orders", "iter_orders", write_orders),
)
WRITERS = {"transaction": write_transactions, "payout": write_payouts, "order": write_orders}


def rutter_sync(ctx: SyncContext) -> None:
    token = ctx.connection.access_token
    for entity, method, write in ENTITIES:
        state = ctx.state(entity)
        since = ctx.pass_since(entity)
        pages = getattr(ctx.client, method)(token, cursor=state.cursor, updated_at_min=since,
                                            page_size=page_size(500))
        try:
            for page in ahead(pages):
                objects = page.objects
                ctx.commit_page(
                    entity=entity, fetched_with=page.cursor, next_cursor=page.next_cursor, since=since,
                    write=lambda objects=objects, write=write: write(ctx, objects),
                    high_water=latest(_updated(o) for o in objects),
                )
        except ProviderError as exc:
            if entity == "payouts" and exc.code == NOT_SUPPORTED:
                continue  # reconciliation infers this platform's payouts from its transactions
            raise


def rutter_refresh_object(ctx: SyncContext, *, kind: str, object_id: str) -> int:
    """Re-fetch one object a webhook named and write its current state (or its deletion)."""
    try:
        obj = ctx.client.get_object(kind, object_id, ctx.connection.access_token)
    except ProviderError as exc:
        if exc.code not in GONE and exc.status not in (404, 410):
            raise
        if kind == "order":
            return ingest.invoice_mark_deleted(company=ctx.company, source=ctx.source, external_id=object_id)
        if kind == "transaction":
            return ingest.payout_item_delete_many(company=ctx.company, source=ctx.source, external_ids=[object_id])
        return 0
    write = WRITERS.get(kind)
    if write is None:
        return 0
    records = write(ctx, [obj])
    ctx.progress(entity=f"{kind}s", records=records)
    return records
