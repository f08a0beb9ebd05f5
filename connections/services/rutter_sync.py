"""Rutter: transactions -> payout items, payouts (+ embedded transactions) -> payouts and linked
items, orders -> invoices with lines and customers.

Which lists a connection has is the platform catalogue's word (ledger.platforms: Rutter's
`x-supported-platforms`), never an error's: BigCommerce and Squarespace have orders only (their
payments are read from the orders, with expand=transactions), WooCommerce and Etsy no payouts. Orders and transactions passes ask for objects updated since the entity's
high-water mark minus the overlap window; /payouts can only be filtered by creation (or arrival)
time, so its pass asks from the older of its creation high-water mark and the oldest payout we
hold that may still change (pending, in transit)."""

from __future__ import annotations

from connections.mapping.common import parse_datetime
from connections.mapping.rutter import order_row, payout_row, transaction_row
from connections.providers.errors import ProviderError
from connections.services.context import SyncContext, ahead, latest, page_size
from ledger.platforms import supports
from ledger.selectors import payout_unsettled_since
from ledger.services import ingest

GONE = 410  # Rutter: "the requested resource is not found"; a 404 is "not supported", never gone


def _updated(obj: dict):
    return parse_datetime(obj.get("updated_at") or obj.get("created_at"))


def _created(obj: dict):
    return parse_datetime(obj.get("created_at"))


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
    """Invoices, each with the payout items of the transactions embedded in its order (asked
    with expand=transactions where the platform has no /transactions of its own)."""
    currency = ctx.company.base_currency
    rows = []
    for o in objects:
        row = order_row(o, source=ctx.source, default_currency=currency)
        row["items"] = [transaction_row(t, source=ctx.source, default_currency=row["currency"])
                        for t in o.get("transactions") or ()]
        rows.append(row)
    return rows


def store_orders(ctx: SyncContext, rows: list[dict], read_back: ingest.ReadBack | None = None) -> int:
    written = ingest.invoice_upsert_many(company=ctx.company, rows=rows)
    items = [item for row in rows for item in row["items"]]
    if items:
        written += ingest.payout_item_upsert_many(company=ctx.company, rows=items)
    return written


ENTITIES = (
    # entity, client iterator, mapper, writer, the time its filter and high-water mark read.
    # Payouts first: they write their embedded transactions already linked, so the transactions
    # pass then finds most items unchanged and rewrites nothing (each item is written once, not
    # inserted and then updated to set its payout).
    ("payouts", "iter_payouts", payout_rows, store_payouts, _created),
    ("transactions", "iter_transactions", transaction_rows, store_transactions, _updated),
    ("orders", "iter_orders", order_rows, store_orders, _updated),
)


def _since(ctx: SyncContext, entity: str):
    since = ctx.pass_since(entity)
    if entity != "payouts" or ctx.state(entity).cursor is not None:
        return since
    unsettled = payout_unsettled_since(company=ctx.company, source=ctx.source)
    return min(since, unsettled) if since and unsettled else since


def _filters(ctx: SyncContext, entity: str, since) -> dict:
    filters = {}
    if entity == "orders" and not supports(ctx.connection.platform, "transactions"):
        filters["expand_transactions"] = True  # the orders carry the platform's payments
    if since is not None:
        filters["created_at_min" if entity == "payouts" else "updated_at_min"] = since
    return filters


def rutter_sync(ctx: SyncContext) -> None:
    token, platform = ctx.connection.access_token, ctx.connection.platform
    for entity, method, rows_of, store, stamp in ENTITIES:
        if not supports(platform, entity):
            continue  # the platform has no such list (its deposits are inferred)
        state = ctx.state(entity)
        since = _since(ctx, entity)
        pages = getattr(ctx.client, method)(token, cursor=state.cursor, page_size=page_size(500),
                                            **_filters(ctx, entity, since))

        def prepare(page, rows_of=rows_of, stamp=stamp):
            # In the fetching thread: map the page while the previous one is being written.
            return page, rows_of(ctx, page.objects), latest(stamp(o) for o in page.objects)

        read_back = ingest.ReadBack()
        with ctx.pages(entity) as commit:
            for page, rows, high_water in ahead(pages, prepare=prepare):
                commit(
                    fetched_with=page.cursor, next_cursor=page.next_cursor, since=since,
                    write=lambda rows=rows, store=store, read_back=read_back: store(ctx, rows, read_back),
                    high_water=high_water,
                )


def rutter_refresh_order(ctx: SyncContext, *, order_id: str) -> int:
    """Re-fetch one order a webhook named (GET /orders/<id>) and write its current state, or its
    deletion when Rutter answers 410. Transactions and payouts have no such endpoint: a webhook
    naming one is answered with an incremental sync of the lists."""
    try:
        obj = ctx.client.get_order(order_id, ctx.connection.access_token)
    except ProviderError as exc:
        if exc.status != GONE:
            raise
        return ingest.invoice_mark_deleted(company=ctx.company, source=ctx.source, external_id=order_id)
    records = store_orders(ctx, order_rows(ctx, [obj]))
    ctx.progress(entity="orders", records=records)
    return records
