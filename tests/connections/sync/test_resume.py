"""A sync killed between pages resumes from the saved cursor without losing or doubling rows."""

import pytest

from connections.models import Connection, SyncState
from connections.services import connection_link_plaid, connection_sync
from ledger import models as L
from tests.connections.sync.conftest import (
    ITEM,
    iso,
    link_all,
    snapshot_by_key,
    sync_all,
    sync_world,
)
from tests.factories import CompanyFactory


class Killed(Exception):
    pass


def kill_after(pages: int):
    def on_page(run):
        if run.pages >= pages:
            raise Killed(f"killed after page {run.pages}")

    return on_page


# Rutter syncs payouts first (one page here), so its sync is killed in the transactions pass.
# commit_rows 0 = one transaction per page; 20 = pages of 10 committed two at a time (killed after
# a commit of two pages).
@pytest.mark.parametrize("provider, page_size, pages, commit_rows", [
    ("rutter", 25, 2, 0), ("stripe", 2, 1, 0), ("plaid", 25, 1, 0), ("rutter", 10, 3, 20), ("plaid", 10, 2, 20),
])
def test_it_resumes_a_killed_sync_without_loss_or_duplicates(provider, page_size, pages, commit_rows, alice, bob,
                                                             live_world):
    world = sync_world()
    live_world(world, sync_settings={"SYNC_PAGE_SIZE": page_size, "SYNC_COMMIT_ROWS": commit_rows})
    link_all(alice.company, world)
    connection = Connection.objects.filter(company=alice.company, provider=provider).order_by("id").first()

    with pytest.raises(Killed):
        connection_sync(connection=connection, on_page=kill_after(pages))
    saved = SyncState.objects.filter(connection=connection).exclude(cursor=None)
    if provider == "plaid":  # mid-update, Plaid's saved cursor is the update's first: none yet
        assert not saved.exists() and SyncState.objects.get(connection=connection).records > 0
    else:
        assert saved.exists(), "the cursor of the interrupted pass was committed with its rows"
    interrupted_rows = L.PayoutItem.objects.filter(company=alice.company).count() + \
        L.BankTransaction.objects.filter(company=alice.company).count()
    assert interrupted_rows > 0

    resumed = connection_sync(connection=connection)
    assert resumed.status == "succeeded"
    sync_all(alice.company)

    # The same world synced in one go into a fresh company gives identical books.
    clean = CompanyFactory()
    link_all(clean, world)
    sync_all(clean)
    assert snapshot_by_key(alice.company) == snapshot_by_key(clean)
    assert not L.PayoutItem.objects.filter(company=bob.company).exists()


def test_a_failure_inside_a_multi_page_commit_rolls_its_pages_back_with_their_cursor(alice, live_world, monkeypatch):
    """Pages of one commit share its fate: a write failing on the 2nd page of the 2nd commit
    leaves exactly the first commit's rows and cursor; the next sync completes the books."""
    from connections.services import plaid_sync
    from ledger.services import bank_feed

    world = sync_world()
    live_world(world, sync_settings={"SYNC_PAGE_SIZE": 10, "SYNC_COMMIT_ROWS": 30})
    link_all(alice.company, world)
    connection = Connection.objects.get(company=alice.company, provider="plaid")
    real, calls = bank_feed.bank_transaction_upsert_many, []

    def failing(**kwargs):
        calls.append(1)
        if len(calls) == 5:
            raise RuntimeError("database went away")
        return real(**kwargs)

    monkeypatch.setattr(plaid_sync.bank_feed, "bank_transaction_upsert_many", failing)
    with pytest.raises(RuntimeError):
        connection_sync(connection=connection)
    assert L.BankTransaction.objects.filter(company=alice.company).count() == 30
    state = SyncState.objects.get(connection=connection, entity="transactions")
    # Mid-update the saved cursor is the update's first (none for the initial update).
    assert state.records == 30 and state.cursor is None and not state.initial_done

    monkeypatch.setattr(plaid_sync.bank_feed, "bank_transaction_upsert_many", real)
    assert connection_sync(connection=connection).status == "succeeded"
    clean = CompanyFactory()
    link_all(clean, world)
    sync_all(clean)
    assert snapshot_by_key(alice.company)["BankTransaction"] == snapshot_by_key(clean)["BankTransaction"]



def test_a_failure_committing_when_the_block_ends_rolls_back_and_leaves_no_open_transaction(
        alice, live_world, monkeypatch):
    """Pages still open when the `with` block ends are committed by its exit; if that commit
    fails, the pages are rolled back and no atomic block is left open."""
    from django.db import connection as db

    from connections.models import SyncRun
    from connections.services.context import SyncContext

    world = sync_world()
    live_world(world)
    link_all(alice.company, world)
    connection = Connection.objects.get(company=alice.company, provider="plaid")
    run = SyncRun.objects.create(company=alice.company, connection=connection, kind="initial")
    ctx = SyncContext(connection=connection, run=run, client=None)
    ctx.state("transactions")
    depth = len(db.atomic_blocks)

    def broken(self, **kwargs):
        raise RuntimeError("progress row is gone")

    monkeypatch.setattr(SyncContext, "progress", broken)
    with pytest.raises(RuntimeError), ctx.pages("transactions", commit_rows=1000) as commit:
        commit(fetched_with=None, next_cursor="c1", since=None, finished=False,
               write=lambda: SyncState.objects.filter(connection=connection).update(records=99) and 1)
    assert len(db.atomic_blocks) == depth, "no atomic block left open"
    state = SyncState.objects.get(connection=connection, entity="transactions")
    assert (state.cursor, state.records) == (None, 0), "the page's writes went with the failed commit"


def test_a_killed_plaid_update_resumes_from_its_first_cursor_after_the_transactions_changed(alice, live_world):
    """A crash mid-update leaves the update's first cursor saved (with the pages already
    written), so the next sync restarts the update; a saved mid-update cursor would be refused
    with TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION forever once anything changed."""
    world = sync_world()
    new_lines = [{"at": iso(28), "provider": "plaid", "connection": ITEM, "op": "upsert", "kind": "bank_transaction",
                  "object": {"transaction_id": f"new-{i}", "account_id": "acc-1", "amount": -10.0 - i,
                             "iso_currency_code": "USD", "date": "2025-03-28", "name": f"NEW {i}",
                             "pending": False, "pending_transaction_id": None}} for i in range(30)]
    world["events"] = new_lines + world["events"]
    live = live_world(world, sync_settings={"SYNC_PAGE_SIZE": 10, "SYNC_COMMIT_ROWS": 0})
    item = world["plaid"][0]
    connection = connection_link_plaid(company=alice.company, public_token=item["public_token"])
    assert connection_sync(connection=connection).status == "succeeded"
    update_start = SyncState.objects.get(connection=connection).cursor

    live.server.apply_events(30)  # an update of three pages
    with pytest.raises(Killed):
        connection_sync(connection=connection, on_page=kill_after(1))
    state = SyncState.objects.get(connection=connection)
    assert state.cursor == update_start, "the update's first cursor stays saved until its last page"
    assert L.BankTransaction.objects.filter(company=alice.company, external_id__startswith="new-").count() == 10

    live.server.apply_events()  # the transactions change before the sync resumes
    assert connection_sync(connection=connection).status == "succeeded"
    assert SyncState.objects.get(connection=connection).cursor != update_start

    clean = CompanyFactory()
    connection_link_plaid(company=clean, public_token=item["public_token"])
    sync_all(clean)
    assert snapshot_by_key(alice.company)["BankTransaction"] == snapshot_by_key(clean)["BankTransaction"]
    assert L.BankTransaction.objects.filter(company=alice.company, external_id="post-1").exists()
