"""A sync killed between pages resumes from the saved cursor without losing or doubling rows."""

import pytest

from connections.models import Connection, SyncState
from connections.services import connection_sync
from ledger import models as L
from tests.connections.sync.conftest import link_all, snapshot_by_key, sync_all, sync_world
from tests.factories import CompanyFactory


class Killed(Exception):
    pass


def kill_after(pages: int):
    def on_page(run):
        if run.pages >= pages:
            raise Killed(f"killed after page {run.pages}")

    return on_page


# Rutter syncs payouts first (one page here), so its sync is killed in the transactions pass.
@pytest.mark.parametrize("provider, page_size, pages", [("rutter", 25, 2), ("stripe", 2, 1), ("plaid", 25, 1)])
def test_it_resumes_a_killed_sync_without_loss_or_duplicates(provider, page_size, pages, alice, bob, live_world):
    world = sync_world()
    live_world(world, sync_settings={"SYNC_PAGE_SIZE": page_size})
    link_all(alice.company, world)
    connection = Connection.objects.filter(company=alice.company, provider=provider).order_by("id").first()

    with pytest.raises(Killed):
        connection_sync(connection=connection, on_page=kill_after(pages))
    saved = SyncState.objects.filter(connection=connection).exclude(cursor=None)
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
