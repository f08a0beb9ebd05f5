"""Stripe: payouts of a connected account and, for each, the balance transactions it settled.

Stripe lists payouts newest first and filters only by `created`, so an incremental pass lists
payouts created since the high-water mark minus the overlap, then re-reads every payout we hold
that was still moving (pending / in transit), whose status can change long after creation.
The payout's own "payout" balance transaction is kept as an item of kind payout (reconciliation
leaves it out of sums).
"""

from __future__ import annotations

from django.db import transaction

from connections.mapping.common import parse_datetime
from connections.mapping.stripe import balance_transaction_row, payout_row
from connections.services.context import SyncContext, latest, page_size
from ledger.models import Payout, PayoutStatus
from ledger.services import ingest

ENTITY = "payouts"
MOVING = (PayoutStatus.PENDING, PayoutStatus.IN_TRANSIT)


def _items_of(ctx: SyncContext, payout_id: str) -> list[dict]:
    rows = []
    for page in ctx.client.iter_balance_transactions(ctx.connection.external_id, payout=payout_id,
                                                        limit=page_size(100)):
        rows.extend(balance_transaction_row(bt, source=ctx.source, payout_external_id=payout_id)
                    for bt in page.objects)
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
