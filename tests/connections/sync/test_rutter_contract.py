"""Rutter as its published contract has it: the endpoints each platform supports, no GET of one
transaction or payout, 404 = "not supported" and 410 = gone, /payouts filtered by creation time,
bounded webhook dedupe. Every exchange is also held to tests/contracts/rutter by live_world."""

import copy
import json
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from connections.models import Connection, SyncRunStatus, WebhookEvent
from connections.services import connection_link_rutter, connection_sync
from connections.services.webhooks import webhook_process, webhook_receive
from connections.webhook_signatures import rutter_signature
from ledger import models as L
from tests.connections.sync.conftest import SHOP, iso, rutter_txn, sync_world

BIG = "cccccccc-0000-4000-8000-0000000000b1"


def _paths(live) -> list[str]:
    seen = []
    live.server.observers.append(lambda provider, req, resp: seen.append((provider, req.path, resp.status)))
    return seen


def test_it_asks_an_orders_only_platform_for_orders_alone(alice, live_world):
    """BigCommerce has /orders but neither /transactions nor /payouts (x-supported-platforms):
    the sync asks only /orders, with expand=transactions so the payments come with them, and the
    sandbox refuses the rest with a 404."""
    world = sync_world()
    world["rutter"].append({
        "connection_id": BIG, "access_token": "tok-big", "public_token": "pub-big",
        "platform": "BIG_COMMERCE", "store_name": "Big Store",
        "orders": copy.deepcopy(world["rutter"][0]["orders"][:3]),
        "transactions": [rutter_txn(i, 2, fee=0.59) for i in range(3)], "payouts": []})
    live = live_world(world)
    seen = []
    live.server.observers.append(lambda provider, req, resp: seen.append((provider, req.path, dict(req.query))))
    connection = connection_link_rutter(company=alice.company, public_token="pub-big")

    run = connection_sync(connection=connection)

    assert run.status == SyncRunStatus.SUCCEEDED
    assert {path for provider, path, _ in seen if provider == "rutter"} == {"/item/public_token/exchange", "/orders"}
    assert all(query.get("expand") == "transactions" for _, path, query in seen if path == "/orders")
    assert L.Invoice.objects.filter(company=alice.company, source=connection.ref).count() == 3
    sales = L.PayoutItem.objects.filter(company=alice.company, source=connection.ref)
    assert sorted(sales.values_list("external_id", "fee")) == [(f"t{i}", Decimal("0.59")) for i in range(3)]
    refused = live.server.dispatch(_get(live, "/rutter/versioned/transactions", "tok-big"))
    assert refused.status == 404 and json.loads(refused.body)["error_code"] == "ENDPOINT_NOT_SUPPORTED"


def _get(live, path: str, token: str):
    import base64

    from sandbox.httpkit import Request

    c = live.server.credentials
    auth = base64.b64encode(f"{c.rutter_client_id}:{c.rutter_client_secret}".encode()).decode()
    return Request("GET", path, {"access_token": token},
                   {"authorization": f"Basic {auth}", "x-rutter-version": "2024-08-31"})


def _deliver(payload: dict) -> WebhookEvent:
    from django.conf import settings

    body = json.dumps(payload).encode()
    received = webhook_receive(provider="rutter", body=body, headers={
        "X-Rutter-Signature": rutter_signature(body, settings.RUTTER_CLIENT_SECRET)})
    assert received.is_new, received.code
    return webhook_process(event=received.event)


def test_a_transaction_webhook_never_deletes_what_it_cannot_fetch_one_by_one(alice, live_world):
    """Rutter has no GET /transactions/<id> (it answers 404, "not supported"): a webhook naming a
    transaction is answered through the lists, and the item stays."""
    world = sync_world()
    live = live_world(world)
    connection = connection_link_rutter(company=alice.company, public_token="pub-shop")
    connection_sync(connection=connection)
    seen = _paths(live)

    event = _deliver({"type": "TRANSACTION", "code": "TRANSACTION_UPDATED", "connection_id": SHOP,
                      "transaction": {"id": "t1"}})

    assert event.status == "processed"
    assert L.PayoutItem.objects.filter(company=alice.company, external_id="t1").exists()
    assert "/transactions/t1" not in {path for _, path, _ in seen}
    assert "/transactions" in {path for _, path, _ in seen}


def test_an_order_gone_with_410_is_voided_and_a_404_voids_nothing(alice, live_world):
    world = sync_world()
    live = live_world(world)
    connection = connection_link_rutter(company=alice.company, public_token="pub-shop")
    connection_sync(connection=connection)
    live.server.state.rutter[SHOP].orders.delete("o1")  # Rutter now answers 410 for it

    _deliver({"type": "ORDER", "code": "ORDER_DELETED", "connection_id": SHOP, "order": {"id": "o1"}})

    assert L.Invoice.objects.get(company=alice.company, external_id="o1").status == L.InvoiceStatus.VOID
    assert L.Invoice.objects.get(company=alice.company, external_id="o2").status != L.InvoiceStatus.VOID


def test_it_reads_payouts_by_creation_time_and_catches_a_late_status_change(alice, live_world):
    """/payouts has created_at_* and arrival_at_* filters, no updated_at_*: an incremental pass
    asks from the oldest payout that may still change, so a pending payout created long before
    the high-water mark is read again when it is paid."""
    world = sync_world()
    payouts = world["rutter"][0]["payouts"]
    payouts[0]["status"] = "pending"
    live = live_world(world)
    seen = []
    live.server.observers.append(lambda provider, req, resp: seen.append((req.path, dict(req.query))))
    connection = connection_link_rutter(company=alice.company, public_token="pub-shop")
    connection_sync(connection=connection)
    assert L.Payout.objects.get(company=alice.company, external_id="p0").status == "pending"
    live.server.state.rutter[SHOP].payouts.upsert({**payouts[0], "status": "paid", "updated_at": iso(29)})
    seen.clear()

    connection_sync(connection=connection)

    asked = [query for path, query in seen if path == "/payouts"]
    assert asked and all("updated_at_min" not in q and "created_at_min" in q for q in asked)
    assert L.Payout.objects.get(company=alice.company, external_id="p0").status == "paid"


def test_a_connection_webhook_months_later_is_a_new_notification(alice, live_world, monkeypatch):
    """Rutter webhooks carry no id: an identical body is a redelivery only within the hour."""
    world = sync_world()
    live_world(world)
    connection = connection_link_rutter(company=alice.company, public_token="pub-shop")
    connection_sync(connection=connection)
    payload = {"type": "CONNECTION", "code": "CONNECTION_NEEDS_UPDATE", "connection_id": SHOP}
    from django.conf import settings

    body = json.dumps(payload).encode()
    headers = {"X-Rutter-Signature": rutter_signature(body, settings.RUTTER_CLIENT_SECRET)}
    first = webhook_receive(provider="rutter", body=body, headers=headers)
    again = webhook_receive(provider="rutter", body=body, headers=headers)
    assert first.is_new and not again.is_new

    later = timezone.now() + timedelta(days=90)
    monkeypatch.setattr("connections.services.webhooks.timezone.now", lambda: later)
    months_later = webhook_receive(provider="rutter", body=body, headers=headers)

    assert months_later.is_new and months_later.code == "accepted"
    webhook_process(event=months_later.event)
    assert Connection.objects.get(pk=connection.pk).status == "needs_reauth"


def test_line_items_are_line_totals_with_unit_costs(alice, live_world):
    """Rutter's LineItem.price is the line's total, unit_cost the price of one unit."""
    world = sync_world()
    order = world["rutter"][0]["orders"][0]
    order["line_items"] = [{"id": "o0-l1", "sku": "MUG", "title": "Mug", "price": 30.0, "quantity": 3,
                            "unit_cost": 10.0}]
    order["total_price"] = 30.0
    live_world(world)
    connection = connection_link_rutter(company=alice.company, public_token="pub-shop")
    connection_sync(connection=connection)

    line = L.InvoiceLine.objects.get(company=alice.company, invoice__external_id="o0")
    assert (line.quantity, line.unit_price, line.amount) == (Decimal("3"), Decimal("10.00"), Decimal("30.00"))


def test_the_contract_check_sees_what_rutter_refuses():
    """The checker live_world runs flags an undocumented filter and a response missing a field."""
    from tests.contracts.rutter_contract import check

    bad_query = check("GET", "/payouts", {"access_token": "t", "updated_at_min": "1"}, b"", 200,
                      b'{"connection": {"id": "x", "orgId": "y", "platform": "SHOPIFY"}, "payouts": [], "next_cursor": null}')
    assert any("updated_at_min" in problem for problem in bad_query)
    no_fee_type = rutter_txn(1, 1)  # no payment_method_type, no gateway: Rutter always sends both
    missing = check("GET", "/transactions", {"access_token": "t"}, b"", 200, json.dumps(
        {"connection": {"id": "00000000-0000-4000-8000-000000000000",
                        "orgId": "00000000-0000-4000-8000-000000000000", "platform": "SHOPIFY"},
         "transactions": [no_fee_type], "next_cursor": None}).encode())
    assert any("payment_method_type" in problem for problem in missing)
    exchange = check("POST", "/item/public_token/exchange", {}, b'{"public_token": "p"}', 400,
                     b'{"error_type": "INVALID_REQUEST", "error_code": "X", "error_message": "m"}')
    assert any("client_id" in problem for problem in exchange)
