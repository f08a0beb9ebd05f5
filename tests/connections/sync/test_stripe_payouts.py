"""Stripe payouts as they really come: manual (Instant) payouts that Stripe cannot itemize, failed
payouts whose money comes back in a later payout, and payouts still being reconciled by Stripe.
Real clients against the sandbox over loopback HTTP, then reconciliation and the books."""

import json
import time
from decimal import Decimal

from django.test import Client

from connections.models import Connection, SyncState, WebhookEvent
from connections.services.stripe_sync import OPEN
from connections.webhook_signatures import stripe_signature
from ledger import models as L
from ledger.selectors import books_balanced
from reconciliation.selectors.export import reconciliation_export
from reconciliation.services import reconcile_company
from tests.connections.sync.conftest import link_all, sync_all

ACCT = "acct_1PayoutKinds"
DAY = 86400
T0 = 1741003200  # 2025-03-03 12:00 UTC, a Monday


def _bt(id_, amount, fee=0, *, type_="charge", category="charge", created=T0, payout=None, source=None,
        fee_details=None):
    return {"id": id_, "object": "balance_transaction", "amount": amount, "fee": fee, "net": amount - fee,
            "currency": "usd", "type": type_, "reporting_category": category, "created": created,
            "available_on": created, "status": "available", "source": source or f"ch_{id_}",
            "payout": payout, "fee_details": fee_details or [], "description": None}


def _payout(id_, amount, *, created, arrival, status="paid", automatic=True, method="standard", **extra):
    return {"id": id_, "object": "payout", "amount": amount, "currency": "usd", "status": status,
            "created": created, "arrival_date": arrival, "automatic": automatic, "method": method,
            "balance_transaction": f"txn_{id_}", "description": "STRIPE PAYOUT", **extra}


def _own(payout, *, fee=0, fee_details=None):
    return _bt(f"txn_{payout['id']}", -payout["amount"], fee, type_="payout", category="payout",
               created=payout["created"], source=payout["id"], fee_details=fee_details)


def payouts_world() -> dict:
    bts = []
    # An automatic payout of four charges.
    auto = _payout("po_auto", 4 * 9680, created=T0 + DAY, arrival=T0 + 2 * DAY)
    bts += [_bt(f"txn_c{k}", 10000, 320, payout="po_auto", created=T0 + k) for k in range(4)]
    # An Instant Payout (manual): Stripe cannot say what it paid out; its own balance transaction
    # carries the Instant Payout fee on top of the amount.
    instant = _payout("po_instant", 9505, created=T0 + 2 * DAY + 100, arrival=T0 + 2 * DAY + 100,
                      automatic=False, method="instant")
    bts += [_bt(f"txn_m{k}", 5000, 175, created=T0 + DAY + k) for k in range(2)]  # drawn on, unlinked
    # A payout that failed; its money came back and went out in the next payout.
    failed = _payout("po_failed", 2 * 2883, created=T0 + 3 * DAY, arrival=T0 + 4 * DAY, status="failed",
                     failure_code="account_closed", failure_balance_transaction="txn_failure")
    bts += [_bt(f"txn_f{k}", 3000, 117, payout="po_failed", created=T0 + 2 * DAY + k) for k in range(2)]
    bts.append(_bt("txn_failure", 2 * 2883, type_="payout_failure", category="payout_reversal",
                   created=T0 + 4 * DAY, payout="po_next", source="po_failed"))
    bts.append(_bt("txn_n0", 2000, 88, payout="po_next", created=T0 + 4 * DAY + 10))
    after = _payout("po_next", 2 * 2883 + 1912, created=T0 + 5 * DAY, arrival=T0 + 6 * DAY)
    fee = [{"amount": 145, "currency": "usd", "type": "stripe_fee", "description": "Instant Payout fee",
            "application": None}]
    bts += [_own(auto), _own(instant, fee=145, fee_details=fee), _own(failed), _own(after)]
    account = {"account_id": "acc-pk", "mask": "0007", "name": "Checking", "type": "depository",
               "subtype": "checking", "balances": {"current": 1000.0, "iso_currency_code": "USD"}}

    def deposit(id_, amount, date):
        return {"transaction_id": id_, "account_id": "acc-pk", "amount": -amount, "iso_currency_code": "USD",
                "date": date, "name": "STRIPE PAYOUT", "pending": False, "pending_transaction_id": None}

    bank = [deposit("dep-auto", 387.20, "2025-03-05"), deposit("dep-instant", 95.05, "2025-03-05"),
            # Exactly the failed payout's amount and date: a failed payout must still never match.
            deposit("dep-lookalike", 57.66, "2025-03-07"), deposit("dep-next", 76.78, "2025-03-09")]
    return {
        "format": "tieout.world/1", "company": {"name": "Payout Co", "currency": "USD"},
        "stripe": [{"account_id": ACCT, "oauth_code": "ac_payout_kinds", "balance_transactions": bts,
                    "payouts": [auto, instant, failed, after]}],
        "plaid": [{"item_id": "item-pk", "access_token": "access-sandbox-pk", "public_token": "public-sandbox-pk",
                   "accounts": [account], "transactions": bank}],
        "events": [],
    }


def _items(company):
    return L.PayoutItem.objects.filter(company=company, source=f"stripe:{ACCT}")


def _synced(company, live_world, world=None):
    world = world or payouts_world()
    live = live_world(world)
    link_all(company, world)
    runs = sync_all(company)
    assert [r.status for r in runs] == ["succeeded", "succeeded"], [r.errors for r in runs]
    live.server.emitted.clear()  # link-time Plaid webhooks are not under test here
    return live


def test_it_syncs_a_manual_instant_payout_without_asking_for_its_items(alice, live_world):
    _synced(alice.company, live_world)  # today's sync asked ?payout=po_instant and failed on the 400

    payout = L.Payout.objects.get(company=alice.company, external_id="po_instant")
    assert (payout.status, payout.amount) == ("paid", Decimal("95.05"))
    assert not _items(alice.company).filter(payout=payout).exists()  # no itemization
    # What it drew on stays unlinked, booked on settlement like any not-yet-paid-out transaction.
    assert not _items(alice.company).filter(external_id__startswith="txn_m", payout__isnull=False).exists()
    # Its fee is an item of its own (the payout row itself is left out of booking).
    own = _items(alice.company).get(external_id="txn_po_instant")
    assert (own.kind, own.amount, own.fee) == ("payout", Decimal("-95.05"), Decimal("1.45"))
    fee = _items(alice.company).get(external_id="txn_po_instant:fee")
    assert (fee.kind, fee.amount, fee.fee, fee.net) == ("fee", Decimal("-1.45"), 0, Decimal("-1.45"))
    assert fee.description == "Instant Payout fee" and fee.payout is None


def test_it_maps_a_failed_payouts_returned_money_into_the_later_payout(alice, live_world):
    _synced(alice.company, live_world)

    items = _items(alice.company)
    failure = items.get(external_id="txn_failure")
    assert (failure.kind, failure.amount, failure.payout.external_id) == ("reserve_release", Decimal("57.66"), "po_next")
    debit = items.get(external_id="txn_failure:payout")
    assert (debit.kind, debit.amount, debit.payout) == ("reserve_hold", Decimal("-57.66"), None)
    assert L.Payout.objects.get(company=alice.company, external_id="po_failed").status == "failed"


def test_it_reconciles_instant_and_failed_payouts_and_books_the_instant_fee(alice, live_world):
    _synced(alice.company, live_world)
    reconcile_company(company=alice.company)

    export = reconciliation_export(company=alice.company)
    deposits = {row["bank"]: row for row in export["deposits"]}
    src = f"stripe:{ACCT}"
    assert deposits["plaid:dep-auto"]["payouts"] == [f"{src}:po_auto"]
    assert deposits["plaid:dep-instant"]["payouts"] == [f"{src}:po_instant"]
    assert deposits["plaid:dep-next"]["payouts"] == [f"{src}:po_next"]
    assert deposits["plaid:dep-lookalike"]["status"] == "unmatched"  # never the failed payout
    payouts = {row["payout"]: row for row in export["payouts"]}
    assert payouts[f"{src}:po_failed"]["deposit"] is None
    assert payouts[f"{src}:po_next"]["balanced"]  # the returned money is part of its sum
    # Every fee is a processing fee, the Instant Payout fee included.
    fees = sum(L.Expense.objects.filter(company=alice.company, source=src).values_list("amount", flat=True))
    assert fees == Decimal("12.80") + Decimal("3.50") + Decimal("2.34") + Decimal("0.88") + Decimal("1.45")
    assert books_balanced(company=alice.company)
    # Everything Stripe held has reached the bank: the clearing account is back to zero (the failed
    # payout's money went in and out of reserves).
    for role in (L.AccountRole.CLEARING, L.AccountRole.PLATFORM_RESERVES):
        lines = L.JournalLine.objects.filter(company=alice.company, account__role=role)
        assert sum(line.debit - line.credit for line in lines) == 0, role


def test_it_reads_a_payout_again_until_stripe_has_reconciled_it(alice, live_world):
    world = payouts_world()
    stripe = world["stripe"][0]
    stripe["payouts"][3] |= {"reconciliation_status": "in_progress"}  # po_next: paid, list incomplete
    late = next(bt for bt in stripe["balance_transactions"] if bt["id"] == "txn_n0")
    late["payout"] = None
    live = _synced(alice.company, live_world, world)
    assert _items(alice.company).get(external_id="txn_n0").payout is None
    open_ids = json.loads(SyncState.objects.get(entity=OPEN, company=alice.company).cursor)
    assert open_ids == ["po_next"]

    state = live.server.state.stripe[ACCT]
    with live.server.state.lock:  # Stripe finishes reconciling: the list is complete
        state.payouts.upsert({**state.payouts.get("po_next"), "reconciliation_status": "completed"})
        state.upsert_balance_transaction({**state.balance_transactions.get("txn_n0"), "payout": "po_next"})
    sync_all(alice.company)  # po_next was created long before the incremental window

    assert _items(alice.company).get(external_id="txn_n0").payout.external_id == "po_next"
    assert SyncState.objects.get(entity=OPEN, company=alice.company).cursor is None


def _deliver(live, client) -> list:
    """Post what the sandbox emitted to Tieout's webhook endpoint, signed as Stripe signs."""
    secret = live.server.credentials.stripe_webhook_secret
    responses = []
    for provider, payload in live.server.emitted:
        body = json.dumps(payload).encode()
        signature = stripe_signature(body, secret, timestamp=int(time.time()))
        responses.append(client.post(f"/webhooks/{provider}", data=body, content_type="application/json",
                                     HTTP_STRIPE_SIGNATURE=signature))
    live.server.emitted.clear()
    return responses


def test_it_refreshes_a_payout_on_its_reconciliation_completed_and_failed_events(alice, live_world):
    world = payouts_world()
    stripe = world["stripe"][0]
    stripe["payouts"][0] |= {"status": "in_transit"}  # po_auto
    world["events"] = [
        {"at": "2025-03-05T12:00:00Z", "provider": "stripe", "connection": ACCT, "op": "upsert", "kind": "payout",
         "object": {**stripe["payouts"][0], "status": "paid"}},
        {"at": "2025-03-05T13:00:00Z", "provider": "stripe", "connection": ACCT, "op": "upsert", "kind": "payout",
         "object": {**stripe["payouts"][3], "status": "failed", "failure_code": "no_account"}},
    ]
    live = _synced(alice.company, live_world, world)
    assert L.Payout.objects.get(company=alice.company, external_id="po_auto").status == "in_transit"

    live.server.apply_events()
    types = [payload["type"] for _, payload in live.server.emitted]
    assert types == ["payout.paid", "payout.reconciliation_completed", "payout.failed"]
    assert all(r.status_code == 200 for r in _deliver(live, Client()))

    payouts = dict(L.Payout.objects.filter(company=alice.company).values_list("external_id", "status"))
    assert (payouts["po_auto"], payouts["po_next"]) == ("paid", "failed")
    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {"processed"}


def test_it_disconnects_an_account_that_deauthorized_the_platform(alice, bob, live_world):
    live = _synced(alice.company, live_world)
    live.server.stripe_deauthorize(ACCT)
    (response,) = _deliver(live, Client())
    assert response.status_code == 200

    connection = Connection.objects.get(company=alice.company, provider="stripe")
    assert connection.status == "disabled" and connection.access_token_encrypted == ""
    assert "deauthorized" in connection.last_error
    assert WebhookEvent.objects.get().status == "processed"
    # The books stay; the connection is no longer synced.
    assert L.Payout.objects.filter(company=alice.company, source=connection.ref).count() == 4
    assert Connection.objects.get(company=alice.company, provider="plaid").status == "ready"
