"""Stripe: payouts of a connected account, the balance transactions each settled, and every
other balance transaction of the account.

Two entities, each with its own cursor and high-water mark:
- `payouts`: Stripe lists payouts newest first and filters only by `created`, so an incremental
  pass lists payouts created since the high-water mark minus the overlap, and for each payout
  its balance transactions (`?payout=`: a balance transaction does not name its payout, this
  listing is how we learn it); then it re-reads every payout that may still change (below).
  `?payout=` is "for automatic Stripe payouts only" (stripe-python 16.1.0,
  params/_balance_transaction_list_params.py): for a manual payout (`automatic: false`, every
  Instant Payout) Stripe answers 400 "Balance transaction history can only be filtered on
  automatic transfers, not manual.", and "Stripe can't identify which transactions are included"
  (https://docs.stripe.com/payouts/reconciliation). So a manual payout is synced without items;
  reconciliation matches its deposit by amount, date and descriptor, and the balance
  transactions it drew from stay unlinked items booked on settlement. Its own balance
  transaction (with an Instant Payout's fee) comes from the pass below.
- Payouts that may still change are read again on every pass until they cannot: pending or in
  transit, or automatic and `reconciliation_status` not `completed` (until then the `?payout=`
  list may be incomplete). Their ids are kept in the `payouts_open` SyncState's `cursor` (a JSON
  list); payouts we hold as pending / in transit are re-read too. A failed or canceled payout's
  money comes back as a `payout_failure` / `payout_cancel` balance transaction in a later
  payout; seeing one re-reads the failed payout (its `payout.failed` webhook may be lost).
- `balance_transactions`: every balance transaction (`created[gte]` = high-water − overlap,
  `starting_after` pages), so charges, refunds and fees not paid out yet (after the last payout,
  or in a payout still pending) are in the books too: fees are booked on settlement (accrual),
  not when paid out. These rows carry no payout and never clear a link the payouts pass made.
The payout's own "payout" balance transaction is kept as an item of kind payout (reconciliation
leaves it out of sums).
"""

from __future__ import annotations

import json

from django.db import transaction

from connections.mapping.common import parse_datetime
from connections.mapping.stripe import RETURNED_PAYOUT_TYPES, balance_transaction_rows, payout_row
from connections.models import SyncState
from connections.services.context import SyncContext, ahead, latest, page_size
from ledger.models import Payout, PayoutStatus
from ledger.services import ingest

ENTITY = "payouts"
BALANCE = "balance_transactions"
OPEN = "payouts_open"  # not a pass: its cursor holds the ids of payouts that may still change
# A balance transaction's `status` is whether its funds are available in the Stripe balance yet
# ("pending" / "available"), not whether the movement settled: Stripe creates one only for a
# movement that happened (a captured charge, an issued refund). The ledger's item status means
# settlement (reconciliation leaves "pending…" items unbooked), so funds still on their way to
# the balance are stored as "not_yet_available" (booked on accrual; `available_on` says when).
FUNDS_PENDING = "not_yet_available"


def _bt_rows(ctx: SyncContext, bt: dict, payout_id: str | None = None) -> list[dict]:
    rows = balance_transaction_rows(bt, source=ctx.source, payout_external_id=payout_id)
    for row in rows:
        if (row.get("status") or "").lower() == "pending":
            row["status"] = FUNDS_PENDING
    return rows


MOVING = (PayoutStatus.PENDING, PayoutStatus.IN_TRANSIT)


def may_change(payout: dict) -> bool:
    """Whether Stripe may still change this payout or the list of what it paid out."""
    if payout.get("status") in MOVING:
        return True
    return (payout.get("automatic", True) and payout.get("status") not in ("failed", "canceled")
            and payout.get("reconciliation_status", "completed") != "completed")


def _items_of(ctx: SyncContext, payout: dict, returned: set[str]) -> list[dict]:
    if not payout.get("automatic", True):
        return []  # manual: Stripe refuses ?payout= (400) and cannot itemize it
    rows = []
    for page in ctx.client.iter_balance_transactions(ctx.connection.external_id, payout=payout["id"],
                                                        limit=page_size(100)):
        for bt in page.objects:
            rows.extend(_bt_rows(ctx, bt, payout["id"]))
            source = bt.get("source")
            if bt.get("type") in RETURNED_PAYOUT_TYPES and isinstance(source, str) and source.startswith("po_"):
                returned.add(source)
    return rows


def _rows(ctx: SyncContext, payouts: list[dict], returned: set[str]) -> tuple[list[dict], list[dict]]:
    payout_rows = [payout_row(p, source=ctx.source) for p in payouts]
    items = [item for p in payouts for item in _items_of(ctx, p, returned)]
    return payout_rows, items


def _open_ids(ctx: SyncContext) -> set[str]:
    state = SyncState.objects.filter(connection=ctx.connection, entity=OPEN).first()
    return set(json.loads(state.cursor)) if state and state.cursor else set()


def _open_save(ctx: SyncContext, *, add=(), remove=()) -> None:
    with transaction.atomic():
        state, _ = SyncState.objects.select_for_update().get_or_create(
            connection=ctx.connection, entity=OPEN, defaults={"company": ctx.company})
        ids = (set(json.loads(state.cursor)) if state.cursor else set()) - set(remove) | set(add)
        state.cursor = json.dumps(sorted(ids)) if ids else None
        state.save(update_fields=["cursor"])


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
        return (page, [row for bt in page.objects for row in _bt_rows(ctx, bt)],
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
    returned: set[str] = set()  # failed / canceled payouts whose money a listed payout paid out
    for page in ctx.client.iter_payouts(account, created_gte=since, starting_after=state.cursor,
                                        limit=page_size(100)):
        payout_rows, items = _rows(ctx, page.objects, returned)
        seen.update(p["id"] for p in page.objects)
        _open_save(ctx, add=[p["id"] for p in page.objects if may_change(p)],
                   remove=[p["id"] for p in page.objects if not may_change(p)])
        ctx.commit_page(
            entity=ENTITY, fetched_with=page.cursor, next_cursor=page.next_cursor, since=since,
            write=lambda payout_rows=payout_rows, items=items: write(ctx, payout_rows, items),
            high_water=latest(parse_datetime(p.get("created")) for p in page.objects),
        )
    moving = set(Payout.objects.filter(company=ctx.company, source=ctx.source, status__in=MOVING)
                 .values_list("external_id", flat=True))
    for payout_id in sorted((moving | _open_ids(ctx) | returned) - seen):
        stripe_refresh_payout(ctx, payout_id=payout_id)


def stripe_refresh_payout(ctx: SyncContext, *, payout_id: str) -> int:
    """Re-read one payout and its balance transactions (webhooks name payouts)."""
    payout = ctx.client.retrieve_payout(ctx.connection.external_id, payout_id)
    payout_rows, items = _rows(ctx, [payout], set())
    with transaction.atomic():
        records = write(ctx, payout_rows, items)
        ctx.progress(entity=ENTITY, records=records)
        _open_save(ctx, **({"add": [payout_id]} if may_change(payout) else {"remove": [payout_id]}))
    return records
