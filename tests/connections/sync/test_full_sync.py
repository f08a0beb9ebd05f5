"""A whole world syncs into the books with the world's counts and money, and re-syncing is a no-op."""

from decimal import Decimal

import pytest
from django.db.models import Sum

from connections.models import Connection, ConnectionStatus, SyncRun, SyncState
from ledger import models as L
from tests.connections.sync.conftest import (
    UNOFFICIAL,
    d,
    link_all,
    mission_world,
    snapshot,
    sync_all,
    sync_world,
)


def _expected(world: dict) -> dict:
    """Counts and totals read straight from the world file, independent of the mapping code."""
    rutter_items = {c["connection_id"]: {t["id"] for t in c["transactions"]} for c in world["rutter"]}
    # Lines of accounts in unofficial currencies (balances without an ISO code) are not booked.
    official = {a["account_id"] for p in world["plaid"] for a in p["accounts"]
                if a["balances"].get("iso_currency_code") or not a["balances"].get("unofficial_currency_code")}
    plaid = [t for p in world["plaid"] for t in p["transactions"] if t["account_id"] in official]
    replaced = {t["pending_transaction_id"] for t in plaid if t.get("pending_transaction_id")}
    live = [t for t in plaid if t["transaction_id"] not in replaced]
    # Every balance transaction, paid out or not (fees are booked when they settle).
    all_bts = [bt for s in world["stripe"] for bt in s["balance_transactions"]]
    return {
        "invoices": sum(len(c["orders"]) for c in world["rutter"]),
        "invoice_total": sum(d(o["total_price"]) for c in world["rutter"] for o in c["orders"]),
        "payouts": sum(len(c["payouts"]) for c in world["rutter"]) + sum(len(s["payouts"]) for s in world["stripe"]),
        "payout_total": sum(d(p["amount"]) for c in world["rutter"] for p in c["payouts"])
        + sum(Decimal(p["amount"]) / 100 for s in world["stripe"] for p in s["payouts"]),
        "items": sum(len(ids) for ids in rutter_items.values()) + len(all_bts),
        "fees": sum(d(abs(t.get("fee") or 0)) for c in world["rutter"] for t in c["transactions"])
        + sum(Decimal(bt["fee"]) / 100 for bt in all_bts),
        "bank": len(live),
        "bank_total": sum(-d(t["amount"]) for t in live),
    }


def _actual(company) -> dict:
    def total(model, field, **filters):
        return model.objects.filter(company=company, **filters).aggregate(s=Sum(field))["s"] or Decimal(0)

    return {
        "invoices": L.Invoice.objects.filter(company=company).count(),
        "invoice_total": total(L.Invoice, "total"),
        "payouts": L.Payout.objects.filter(company=company).count(),
        "payout_total": total(L.Payout, "amount"),
        "items": L.PayoutItem.objects.filter(company=company).count(),
        "fees": total(L.PayoutItem, "fee"),
        "bank": L.BankTransaction.objects.filter(company=company).count(),
        "bank_total": total(L.BankTransaction, "amount"),
    }


# Pages of 25 take the small-batch upsert path; pages of 500 the COPY path on PostgreSQL.
@pytest.mark.parametrize("page_size", [25, 500], ids=["page25", "page500"])
@pytest.mark.parametrize("make_world", [mission_world, sync_world], ids=["mission", "sync"])
def test_it_syncs_a_world_with_its_counts_and_totals(make_world, page_size, alice, bob, live_world):
    world = make_world()
    live_world(world, sync_settings={"SYNC_PAGE_SIZE": page_size})
    link_all(alice.company, world)
    sync_all(alice.company)

    assert _actual(alice.company) == _expected(world)
    assert set(Connection.objects.filter(company=alice.company).values_list("status", flat=True)) == {
        ConnectionStatus.READY
    }
    # Every settled payout's items add up to it (the payout's own transfer line left out).
    for payout in L.Payout.objects.filter(company=alice.company):
        items = payout.items.exclude(kind=L.ItemKind.PAYOUT).aggregate(s=Sum("net"))["s"]
        assert items == payout.amount, payout
    assert not L.Payout.objects.filter(company=bob.company).exists()
    assert not L.BankTransaction.objects.filter(company=bob.company).exists()


@pytest.mark.parametrize("page_size", [25, 500], ids=["page25", "page500"])
def test_it_changes_nothing_when_synced_again(page_size, alice, bob, live_world):
    world = sync_world()
    bobs = snapshot(bob.company)
    live_world(world, sync_settings={"SYNC_PAGE_SIZE": page_size})
    link_all(alice.company, world)
    sync_all(alice.company)
    before = snapshot(alice.company)
    runs = sync_all(alice.company)

    assert snapshot(alice.company) == before
    assert {run.kind for run in runs} == {"incremental"}
    assert snapshot(bob.company) == bobs


def test_it_keeps_rutters_catch_all_type_visible(alice, live_world):
    """Rutter's Transaction.type is sale | refund | void | payout | fee | other: "other" keeps
    the platform's sign and its raw type."""
    world = sync_world()
    live_world(world)
    link_all(alice.company, world)
    sync_all(alice.company)

    odd = L.PayoutItem.objects.get(company=alice.company, external_id="t502")
    assert (odd.kind, odd.provider_type, odd.amount) == ("other", "other", Decimal("-1.25"))
    assert odd.payout.external_id == "p0"


def test_it_keeps_the_stripe_payout_transfer_as_its_own_kind(alice, live_world):
    world = sync_world()
    live_world(world)
    link_all(alice.company, world)
    sync_all(alice.company)

    transfer = L.PayoutItem.objects.get(company=alice.company, external_id="txn_po_0")
    assert (transfer.kind, transfer.payout.external_id, transfer.amount) == ("payout", "po_0", Decimal("-282.30"))


def test_it_records_runs_and_cursor_state(alice, live_world):
    world = sync_world()
    live_world(world)
    link_all(alice.company, world)
    runs = sync_all(alice.company)

    shop = Connection.objects.get(company=alice.company, external_id=world["rutter"][0]["connection_id"])
    run = SyncRun.objects.get(pk=runs[0].pk)
    assert (run.status, run.kind, run.connection_id) == ("succeeded", "initial", shop.pk)
    assert run.pages >= 4 and run.records > 0 and run.duration_ms is not None
    states = SyncState.objects.filter(connection=shop)
    assert {s.entity for s in states} == {"transactions", "payouts", "orders"}
    assert all(s.initial_done and s.cursor is None for s in states)


def test_it_waits_for_rutter_initial_sync_without_error(alice, live_world):
    world = sync_world()
    live = live_world(world, initial_sync_delay=None)  # never ready until told
    link_all(alice.company, world)
    shop = Connection.objects.get(company=alice.company, external_id=world["rutter"][0]["connection_id"])

    from connections.services import connection_sync

    run = connection_sync(connection=shop)
    shop.refresh_from_db()
    assert (run.status, shop.status, shop.last_error) == ("not_ready", "pending_initial_sync", "")
    assert not L.PayoutItem.objects.filter(company=alice.company, source=shop.ref).exists()

    live.server.mark_initial_sync_done(shop.external_id)
    run = connection_sync(connection=shop)
    shop.refresh_from_db()
    assert (run.status, shop.status) == ("succeeded", "ready")
    assert L.PayoutItem.objects.filter(company=alice.company, source=shop.ref).count() == 83


def test_it_skips_accounts_in_unofficial_currencies_and_syncs_the_rest(alice, live_world):
    """A BTC or DOGE account (Plaid: iso_currency_code null, unofficial_currency_code set) is
    neither booked nor allowed to stop the sync: it and its lines are left out, the run says so."""
    world = sync_world()
    live_world(world)
    link_all(alice.company, world)
    run = sync_all(alice.company)[-1]
    connection = Connection.objects.get(company=alice.company, provider="plaid")

    assert (run.connection_id, run.status, connection.status) == (connection.pk, "succeeded", ConnectionStatus.READY)
    assert list(L.BankAccount.objects.filter(company=alice.company).values_list("external_id", flat=True)) == ["acc-1"]
    assert not L.BankTransaction.objects.filter(company=alice.company, currency__in=UNOFFICIAL).exists()
    assert not L.BankTransaction.objects.filter(company=alice.company, external_id__startswith="btc-").exists()
    assert _actual(alice.company)["bank"] == _expected(world)["bank"] == 61
    assert any("acc-btc" in e and "BTC" in e for e in run.errors)
    assert any("acc-doge" in e and "DOGE" in e for e in run.errors)
    assert "4 Plaid transactions in unofficial currencies were not booked" in run.errors
