"""Stripe balance transactions not paid out yet are synced: an account's fees are all its fees."""

from decimal import Decimal

from connections.models import Connection, SyncState
from ledger import models as L
from tests.connections.sync.conftest import ACCT, link_all, sync_all, sync_world


def _stripe_items(company):
    return L.PayoutItem.objects.filter(company=company, source=f"stripe:{ACCT}")


def test_it_books_the_fees_of_balance_transactions_not_yet_paid_out(alice, bob, live_world):
    world = sync_world()
    bts = world["stripe"][0]["balance_transactions"]
    unpaid = [bt for bt in bts if not bt.get("payout") and not str(bt.get("source") or "").startswith("po_")]
    assert len(unpaid) == 6  # the world has some: five charges and a stripe_fee after the last payout
    live_world(world)
    link_all(alice.company, world)
    sync_all(alice.company)

    items = _stripe_items(alice.company)
    assert items.count() == len(bts)
    # Summed in Python: SQLite's SUM over decimals is a float.
    assert sum(items.values_list("fee", flat=True)) == sum(Decimal(bt["fee"]) for bt in bts) / 100
    # The unpaid ones are there, and belong to no payout yet.
    loose = items.filter(external_id__in=[bt["id"] for bt in unpaid])
    assert loose.count() == len(unpaid) and not loose.filter(payout__isnull=False).exists()
    assert loose.get(external_id="txn_unpaid_fee").amount == Decimal("-15.00")
    # Stripe's "pending" is funds availability, not settlement: booked on accrual, not left waiting.
    assert loose.get(external_id="txn_unpaid_0").status == "not_yet_available"
    # Paid-out ones are still linked to their payout.
    assert items.filter(external_id="txn_ch1_3").get().payout.external_id == "po_1"
    account = Connection.objects.get(company=alice.company, provider="stripe")
    assert SyncState.objects.get(connection=account, entity="balance_transactions").high_water_mark is not None
    assert not _stripe_items(bob.company).exists()


def test_it_links_a_balance_transaction_when_its_payout_arrives_later(alice, live_world):
    world = sync_world()
    live = live_world(world)
    link_all(alice.company, world)
    sync_all(alice.company)
    assert _stripe_items(alice.company).get(external_id="txn_unpaid_0").payout is None

    # Stripe pays the unpaid charges out: a new payout lists them under ?payout=.
    state = live.server.state.stripe[ACCT]
    with live.server.state.lock:
        state.payouts.upsert({"id": "po_9", "object": "payout", "amount": 9560, "currency": "usd",
                              "status": "in_transit", "created": 1741300000, "arrival_date": 1741400000,
                              "automatic": True})
        for k in range(5):
            bt = dict(state.balance_transactions.get(f"txn_unpaid_{k}"), payout="po_9")
            state.upsert_balance_transaction(bt)
    sync_all(alice.company)

    items = _stripe_items(alice.company)
    assert set(items.filter(payout__external_id="po_9").values_list("external_id", flat=True)) == {
        f"txn_unpaid_{k}" for k in range(5)
    }
    assert items.count() == len(world["stripe"][0]["balance_transactions"])
