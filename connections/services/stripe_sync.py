"""Stripe: payouts of a connected account, the balance transactions each settled, and every
other balance transaction of the account.

Two entities, each with its own cursor and high-water mark:
- `payouts`: Stripe lists payouts newest first and filters only by `created`, so an incremental
  pass lists payouts created since the high-water mark minus the overlap, and for each payout
  its balance transactions (`?payout=`: a balance transaction does not name its payout, this
  listing is how we learn it); then it re-reads every payout we hold that was still moving
  (pending / in transit), whose status can change long after creation.
- `balance_transactions`: every balance transaction (`created[gte]` = high-water − overlap,
  `starting_after` pages), so charges, refunds and fees not paid out yet (after the last payout,
  or in a payout still pending) are in the books too: fees are booked on settlement (accrual),
  not when paid out. These rows carry no payout and never clear a link the payouts pass made.
The payout's own "payout" balance transaction is kept as an item of kind payout (reconciliation
leaves it out of sums).
"""

from __future__ import annotations

from django.db import transaction

from connections.mapping.common import parse_datetime
from connections.mapping.stripe import balance_transaction_row, payout_row
from connections.services.context import SyncContext, ahead, latest, page_size
from ledger.models import Payout, PayoutStatus
from ledger.services import ingest

ENTITY = "payouts"
BALANCE = "balance_transactions"
# A balance transaction's `status` is whether its funds are available in the Stripe balance yet
# ("pending" / "available"), not whether the movement settled: Stripe creates one only for a
# movement that happened (a captured charge, an issued refund). The ledger's item status means
# settlement (reconciliation leaves "pending…" items unbooked), so funds still on their way to
# the balance are stored as "not_yet_available" (booked on accrual; `available_on` says when).
FUNDS_PENDING = "not_yet_available"


def _bt_row(ctx: SyncContext, bt: dict, payout_id: str | None = None) -> dict:
    row = balance_transaction_row(bt, source=ctx.source, payout_external_id=payout_id)
    if (row.get("status") or "").lower() == "pending":
        row["status"] = FUNDS_PENDING
    return row
MOVING = (PayoutStatus.PENDING, PayoutStatus.IN_TRANSIT)


def _items_of(ctx: SyncContext, payout_id: str) -> list[dict]:
    rows = []
    for page in ctx.client.iter_balance_transactions(ctx.connection.external_id, payout=payout_id,
                                                        limit=page_size(100)):
        rows.extend(_bt_row(ctx, bt, payout_id) for bt in page.objects)
    return rows


def _rows(ctx: SyncContext, payouts: list[dict]) -> tuple[list[dict], list[dict]]:
    payout_rows = [payout_row(p, source=ctx.source) for p in payouts]
    items = [item for p in payouts for item in _items_of(ctx, p["id"])]
    return payout_rows, items


def write(ctx: SyncContext, payout_rows: list[dict], items: list[dict]) -> int:
    ingest.payout_upsert_many(company=ctx.company, rows=payout_rows, platform="STRIPE")
    ingest.payout_item_upsert_many(company=ctx.company, rows=items)
    return len(payout_rows) + len(items)


def stripe_sync(ctx: SyncContext) -> None:
    stripe_payouts_sync(ctx)
    stripe_balance_transactions_sync(ctx)


def stripe_balance_transactions_sync(ctx: SyncContext) -> None:
    """Every balance transaction of the account, newest first, paid out or not."""
    state = ctx.state(BALANCE)
    since = ctx.pass_since(BALANCE)
    pages = ctx.client.iter_balance_transactions(ctx.connection.external_id, created_gte=since,
                                                 starting_after=state.cursor, limit=page_size(100))
    read_back = ingest.ReadBack()

    def prepare(page):
        # In the fetching thread: map the page while the previous one is being written.
        return (page, [_bt_row(ctx, bt) for bt in page.objects],
                latest(parse_datetime(bt.get("created")) for bt in page.objects))

    with ctx.pages(BALANCE) as commit:
        for page, rows, high_water in ahead(pages, prepare=prepare):
            commit(
                fetched_with=page.cursor, next_cursor=page.next_cursor, since=since, high_water=high_water,
                write=lambda rows=rows: ingest.payout_item_upsert_many(company=ctx.company, rows=rows,
                                                                       read_back=read_back),
            )


def stripe_payouts_sync(ctx: SyncContext) -> None:
    """Payouts created since the high-water mark (− overlap), each with its balance transactions."""
    account = ctx.connection.external_id
    state = ctx.state(ENTITY)
    since = ctx.pass_since(ENTITY)
    seen: set[str] = set()
    for page in ctx.client.iter_payouts(account, created_gte=since, starting_after=state.cursor,
                                        limit=page_size(100)):
        payout_rows, items = _rows(ctx, page.objects)
        seen.update(p["id"] for p in page.objects)
        ctx.commit_page(
            entity=ENTITY, fetched_with=page.cursor, next_cursor=page.next_cursor, since=since,
            write=lambda payout_rows=payout_rows, items=items: write(ctx, payout_rows, items),
            high_water=latest(parse_datetime(p.get("created")) for p in page.objects),
        )
    moving = Payout.objects.filter(company=ctx.company, source=ctx.source, status__in=MOVING).exclude(
        external_id__in=seen
    ).values_list("external_id", flat=True)
    for payout_id in list(moving):
        stripe_refresh_payout(ctx, payout_id=payout_id)


def stripe_refresh_payout(ctx: SyncContext, *, payout_id: str) -> int:
    """Re-read one payout and its balance transactions (webhooks name payouts)."""
    payout = ctx.client.retrieve_payout(ctx.connection.external_id, payout_id)
    payout_rows, items = _rows(ctx, [payout])
    with transaction.atomic():
        records = write(ctx, payout_rows, items)
        ctx.progress(entity=ENTITY, records=records)
    return records
