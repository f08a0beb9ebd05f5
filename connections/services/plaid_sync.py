"""Plaid: the item's accounts, then /transactions/sync from the saved cursor.

Plaid's cursor is a position in a change log, so it is kept forever (never reset between
passes): added and modified lines are upserted, removed ones deleted (unless reconciled), and a
posted line that replaces a pending one removes the pending row in the same transaction. Pages
are committed as they come, but the cursor saved with them is the update's first one until the
update's last page: a crash mid-update restarts the update, as Plaid requires.
"""

from __future__ import annotations

from connections.mapping.plaid import (
    bank_account_row,
    bank_transaction_row,
    removed_row,
    unofficial_currency,
)
from connections.services.context import SyncContext, ahead, page_size
from ledger.services import bank_feed

ENTITY = "transactions"


def plaid_accounts_sync(ctx: SyncContext) -> set[str]:
    """Upsert the item's bank accounts; returns the ids of those left out.

    An account in an unofficial currency (balances with `iso_currency_code` null and
    `unofficial_currency_code` set: BTC, USDT, DOGE, points) is not money the ledger can book (no
    ISO 4217 code, unknown minor unit), so it is skipped with its transactions and the run records
    a warning; every other account syncs as usual.
    """
    payload = ctx.client.accounts_get(ctx.connection.access_token)
    currency = ctx.company.base_currency
    rows, skipped = [], set()
    for account in payload.get("accounts") or []:
        code = unofficial_currency(account.get("balances") or {})
        if code:
            skipped.add(account["account_id"])
            ctx.warn(f"Plaid account {account['account_id']} ({account.get('name') or 'unnamed'}) is in "
                     f"{code}, not an ISO 4217 currency: it and its transactions are not booked")
        else:
            rows.append(bank_account_row(account, source=ctx.source, default_currency=currency))
    bank_feed.bank_account_upsert_many(company=ctx.company, rows=rows)
    return skipped


def plaid_sync(ctx: SyncContext) -> None:
    skipped_accounts = plaid_accounts_sync(ctx)
    state = ctx.state(ENTITY)
    currency = ctx.company.base_currency
    pages = ctx.client.iter_transactions_sync(ctx.connection.access_token, cursor=state.cursor,
                                              count=page_size(500))

    def booked(txn) -> bool:
        return txn.get("account_id") not in skipped_accounts and not unofficial_currency(txn)

    def prepare(page):
        # In the fetching thread: map the page while the previous one is being written.
        lines = [*page.added, *page.modified]
        upserts = [bank_transaction_row(t, source=ctx.source, default_currency=currency)
                   for t in lines if booked(t)]
        removed = [removed_row(t, source=ctx.source)["external_id"] for t in page.removed]
        return page, upserts, removed, len(lines) - len(upserts)

    skipped_lines = 0

    # The saved cursor stays the update's first cursor until its last page (has_more false) is
    # committed. Plaid: "track ... the original cursor from the first call in which has_more was
    # true; if a call fails ... (e.g. TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION), the entire
    # pagination request loop must be restarted beginning with the cursor for the first page of
    # the update" (plaid-openapi 2020-09-14.yml, /transactions/sync). A mid-update cursor saved
    # by a killed sync would be refused after any change and never recover; the first cursor
    # re-sends pages we already hold, which are idempotent upserts and deletes by transaction_id.
    start = state.cursor
    with ctx.pages(ENTITY) as commit:
        for page, upserts, removed, left_out in ahead(pages, prepare=prepare):
            skipped_lines += left_out
            last = not page.has_more
            commit(
                fetched_with=start, since=None, finished=last,
                # An empty next_cursor ("no data yet") keeps ours: Plaid's cursor is never reset.
                next_cursor=(page.next_cursor or start) if last else start,
                write=lambda upserts=upserts: bank_feed.bank_transaction_upsert_many(company=ctx.company, rows=upserts),
                deleted=lambda removed=removed: bank_feed.bank_transaction_delete_many(
                    company=ctx.company, source=ctx.source, external_ids=removed),
            )
    if skipped_lines:
        ctx.warn(f"{skipped_lines} Plaid transactions in unofficial currencies were not booked")
