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


def transaction_rows(ctx: SyncContext, objects: list[dict]) -> list[dict]:
    currency = ctx.company.base_currency
    return [transaction_row(o, source=ctx.source, default_currency=currency) for o in objects]


def store_transactions(ctx: SyncContext, rows: list[dict], read_back: ingest.ReadBack | None = None) -> int:
    return ingest.payout_item_upsert_many(company=ctx.company, rows=rows, read_back=read_back)


def payout_rows(ctx: SyncContext, objects: list[dict]) -> list[dict]:
    currency = ctx.company.base_currency
    return [payout_row(o, source=ctx.source, default_currency=currency) for o in objects]


def store_payouts(ctx: SyncContext, rows: list[dict], read_back: ingest.ReadBack | None = None) -> int:
    ingest.payout_upsert_many(company=ctx.company, rows=rows, platform=ctx.connection.platform or "RUTTER")
    items = [item for row in rows for item in row["items"]]
    ingest.payout_item_upsert_many(company=ctx.company, rows=items, read_back=read_back)
    return len(rows) + len(items)


def order_rows(ctx: SyncContext, objects: list[dict]) -> list[dict]:
    currency = ctx.company.base_currency
    return [order_row(o, source=ctx.source, default_currency=currency) for o in objects]


def store_orders(ctx: SyncContext, rows: list[dict], read_back: ingest.ReadBack | None = None) -> int:
    return ingest.invoice_upsert_many(company=ctx.company, rows=rows)


ENTITIES = (
    # entity, client iterator, mapper, writer. Payouts first: they write their embedded
    # transactions already linked, so the transactions pass then finds most items unchanged and
    # rewrites nothing (each item is written once, not inserted and then updated to set its payout).
    ("payouts", "iter_payouts", payout_rows, store_payouts),
    ("transactions", "iter_transactions", transaction_rows, store_transactions),
    ("orders", "iter_orders", order_rows, store_orders),
)
WRITERS = {"transaction": (transaction_rows, store_transactions), "payout": (payout_rows, store_payouts),
           "order": (order_rows, store_orders)}


def rutter_sync(ctx: SyncContext) -> None:
    token = ctx.connection.access_token
    for entity, method, rows_of, store in ENTITIES:
        state = ctx.state(entity)
        since = ctx.pass_since(entity)
        pages = getattr(ctx.client, method)(token, cursor=state.cursor, updated_at_min=since,
                                            page_size=page_size(500))

        def prepare(page, rows_of=rows_of):
            # In the fetching thread: map the page while the previous one is being written.
            return page, rows_of(ctx, page.objects), latest(_updated(o) for o in page.objects)

        read_back = ingest.ReadBack()
        try:
            with ctx.pages(entity) as commit:
                for page, rows, high_water in ahead(pages, prepare=prepare):
                    commit(
                        fetched_with=page.cursor, next_cursor=page.next_cursor, since=since,
                        write=lambda rows=rows, store=store, read_back=read_back: store(ctx, rows, read_back),
                        high_water=high_water,
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
    writer = WRITERS.get(kind)
    if writer is None:
        return 0
    rows_of, store = writer
    records = store(ctx, rows_of(ctx, [obj]))
    ctx.progress(entity=f"{kind}s", records=records)
    return records
