"""Webhooks from the sandbox reach a live Django server, are verified, stored once and processed
by re-reading the provider; forged or stale ones are rejected and recorded, never processed."""

import json
import time
from decimal import Decimal

import pytest

from connections.models import Connection, SyncRun, WebhookEvent
from connections.webhook_signatures import rutter_signature, stripe_signature
from ledger import models as L
from tests.connections.sync.conftest import SHOP, link_all, snapshot_by_key, sync_all, sync_world
from tests.factories import CompanyFactory


def _link_and_sync_quietly(live, company, world) -> None:
    # Link-time webhooks (INITIAL_UPDATE, SYNC_UPDATES_AVAILABLE) are not under test here, and on
    # SQLite the live server shares the test thread's in-memory connection: keep them out.
    url, live.server.webhook_url = live.server.webhook_url, None
    link_all(company, world)
    sync_all(company)
    live.server.webhook_url = url


def _apply_and_deliver(live) -> None:
    live.server.apply_events()
    assert live.server.flush_webhooks(timeout=60)


def test_it_updates_the_books_from_delivered_webhooks(alice, bob, live_world, live_server):
    world = sync_world()
    live = live_world(world, webhook_url=f"{live_server.url}/webhooks")
    _link_and_sync_quietly(live, alice.company, world)
    _apply_and_deliver(live)

    c = alice.company
    assert L.PayoutItem.objects.get(company=c, external_id="t900").payout.external_id == "p9"
    assert L.Invoice.objects.get(company=c, external_id="o0").total == Decimal("12.00")
    assert L.Payout.objects.get(company=c, external_id="po_2").status == "failed"
    assert L.BankTransaction.objects.filter(company=c, external_id="post-1").exists()
    assert not L.BankTransaction.objects.filter(company=c, external_id__in=["pend-1", "bt3"]).exists()
    statuses = set(WebhookEvent.objects.filter(company=c).values_list("status", flat=True))
    assert statuses == {"processed"}
    assert not WebhookEvent.objects.filter(company=bob.company).exists()
    assert not L.Payout.objects.filter(company=bob.company).exists()


def test_it_ends_with_the_same_books_despite_faults(alice, bob, live_world, live_server):
    world = sync_world()
    faults = "429=0.05,5xx=0.05,drop=0.3,dup=0.3,reorder=0.3,seed=11"
    live = live_world(world, webhook_url=f"{live_server.url}/webhooks", faults=faults)
    _link_and_sync_quietly(live, alice.company, world)
    _apply_and_deliver(live)
    sync_all(alice.company)  # the scheduled poll that catches what webhooks lost
    faulty = snapshot_by_key(alice.company)
    delivered = live.server.webhook_log
    assert any(d.dropped for d in delivered), "the fault run should have lost some webhooks"
    live.__exit__(None, None, None)

    # Reference: the final world synced without webhooks or faults into a fresh company.
    reference = live_world(world)
    reference.server.apply_events()
    clean = CompanyFactory()
    link_all(clean, world)
    sync_all(clean)
    assert faulty == snapshot_by_key(clean)


def _post(client, provider, body: bytes, **headers):
    return client.post(f"/webhooks/{provider}", data=body, content_type="application/json", **headers)


@pytest.fixture
def linked(alice, live_world):
    world = sync_world()
    live = live_world(world)
    link_all(alice.company, world)
    sync_all(alice.company)
    return live


def _no_webhook_work():
    return not SyncRun.objects.filter(kind="webhook").exists()


def test_it_rejects_forged_webhooks_for_every_provider(client, linked):
    rutter_body = json.dumps({"type": "ORDER", "code": "ORDER_UPDATED", "connection_id": SHOP,
                              "order": {"id": "o1"}}).encode()
    stripe_body = json.dumps({"id": "evt_forged", "type": "payout.paid", "account": "acct_1SyncTest",
                              "data": {"object": {"id": "po_0"}}}).encode()
    plaid_body = json.dumps({"webhook_type": "TRANSACTIONS", "webhook_code": "SYNC_UPDATES_AVAILABLE",
                             "item_id": "item-sync-1"}).encode()
    forged = [
        ("rutter", rutter_body, {"HTTP_X_RUTTER_SIGNATURE": rutter_signature(rutter_body, "not-the-secret")}),
        ("stripe", stripe_body, {"HTTP_STRIPE_SIGNATURE": stripe_signature(stripe_body, "whsec_wrong", timestamp=int(time.time()))}),
        ("plaid", plaid_body, {"HTTP_PLAID_VERIFICATION": linked.server.plaid_signer.sign(b"another body")}),
        ("rutter", rutter_body, {}),
    ]
    runs_before = SyncRun.objects.count()
    for provider, body, headers in forged:
        response = _post(client, provider, body, **headers)
        assert response.status_code == 400, (provider, response.content)
        assert response.json()["error"]["code"] in ("bad_signature", "body_mismatch", "missing_header")
    rejected = WebhookEvent.objects.filter(status="rejected", signature_ok=False)
    assert rejected.count() == 4
    assert SyncRun.objects.count() == runs_before


def test_it_rejects_stale_webhooks(client, linked):
    stripe_body = json.dumps({"id": "evt_old", "type": "payout.paid", "account": "acct_1SyncTest",
                              "data": {"object": {"id": "po_0"}}}).encode()
    secret = linked.server.credentials.stripe_webhook_secret
    old = int(time.time()) - 3600
    plaid_body = json.dumps({"webhook_type": "TRANSACTIONS", "webhook_code": "SYNC_UPDATES_AVAILABLE",
                             "item_id": "item-sync-1"}).encode()
    responses = [
        _post(client, "stripe", stripe_body, HTTP_STRIPE_SIGNATURE=stripe_signature(stripe_body, secret, timestamp=old)),
        _post(client, "plaid", plaid_body, HTTP_PLAID_VERIFICATION=linked.server.plaid_signer.sign(plaid_body, now=old)),
    ]
    assert [r.json()["error"]["code"] for r in responses] == ["stale_timestamp", "stale_iat"]
    assert [r.status_code for r in responses] == [400, 400]
    assert WebhookEvent.objects.filter(status="rejected").count() == 2
    assert _no_webhook_work()


def test_it_processes_a_redelivered_webhook_once(client, linked, alice):
    body = json.dumps({"type": "ORDER", "code": "ORDER_UPDATED", "connection_id": SHOP,
                       "order": {"id": "o1"}}).encode()
    headers = {"HTTP_X_RUTTER_SIGNATURE": rutter_signature(body, linked.server.credentials.rutter_client_secret)}
    first, second = _post(client, "rutter", body, **headers), _post(client, "rutter", body, **headers)

    assert (first.status_code, first.json()["status"]) == (200, "accepted")
    assert (second.status_code, second.json()["status"]) == (200, "duplicate")
    event = WebhookEvent.objects.get()
    assert (event.status, event.attempts, event.company_id) == ("processed", 1, alice.company.pk)
    assert SyncRun.objects.filter(kind="webhook").count() == 1


def test_it_answers_only_post(client, db):
    assert client.get("/webhooks/stripe").status_code == 405
    assert not WebhookEvent.objects.exists()


def test_it_ignores_webhooks_for_unknown_connections(client, linked):
    body = json.dumps({"webhook_type": "TRANSACTIONS", "webhook_code": "SYNC_UPDATES_AVAILABLE",
                       "item_id": "item-nobody"}).encode()
    response = _post(client, "plaid", body, HTTP_PLAID_VERIFICATION=linked.server.plaid_signer.sign(body))
    assert response.status_code == 200
    assert WebhookEvent.objects.get().status == "ignored"
    assert Connection.objects.filter(external_id="item-nobody").count() == 0


def _plaid_hook(client, linked, **payload):
    body = json.dumps({"item_id": "item-sync-1", "environment": "sandbox", **payload}).encode()
    response = _post(client, "plaid", body, HTTP_PLAID_VERIFICATION=linked.server.plaid_signer.sign(body))
    assert response.status_code == 200, response.content
    return Connection.objects.get(provider="plaid", external_id="item-sync-1")


def test_a_plaid_sync_updates_available_webhook_syncs_the_item(client, linked, alice):
    linked.server.apply_events()  # not delivered: this fixture's sandbox has no webhook URL
    runs = SyncRun.objects.filter(connection__provider="plaid").count()
    connection = _plaid_hook(client, linked, webhook_type="TRANSACTIONS", webhook_code="SYNC_UPDATES_AVAILABLE",
                             initial_update_complete=True, historical_update_complete=True)
    assert SyncRun.objects.filter(connection=connection).count() == runs + 1
    assert L.BankTransaction.objects.filter(company=alice.company, external_id="post-1").exists()
    assert connection.status == "ready" and WebhookEvent.objects.get().status == "processed"


ITEM_ERROR = {"error_type": "ITEM_ERROR", "error_code": "ITEM_LOGIN_REQUIRED", "error_code_reason": None,
              "error_message": "the login details of this item have changed (credentials, MFA, or required "
                               "user action) and a user login is required to update this information. use "
                               "Link's update mode to restore the item to a good state",
              "display_message": None, "status": 400}


# ITEM webhooks that need the user back in Link (update mode): ERROR (e.g. ITEM_LOGIN_REQUIRED),
# PENDING_EXPIRATION (EU/UK consent expiring), PENDING_DISCONNECT (its US/CA counterpart) and
# USER_PERMISSION_REVOKED (plaid-openapi 2020-09-14.yml webhook schemas).
@pytest.mark.parametrize("payload", [
    {"webhook_code": "ERROR", "error": ITEM_ERROR},
    {"webhook_code": "PENDING_EXPIRATION", "consent_expiration_time": "2025-04-05T00:00:00Z"},
    {"webhook_code": "PENDING_DISCONNECT", "reason": "INSTITUTION_TOKEN_EXPIRATION"},
    {"webhook_code": "USER_PERMISSION_REVOKED", "error": {**ITEM_ERROR, "error_code": "ACCESS_NOT_GRANTED"}},
], ids=lambda p: p["webhook_code"])
def test_a_plaid_item_webhook_that_needs_the_user_marks_the_connection_needs_reauth(payload, client, linked, bob):
    runs = SyncRun.objects.count()
    connection = _plaid_hook(client, linked, webhook_type="ITEM", **payload)
    assert connection.status == "needs_reauth"
    assert (payload.get("error") or {}).get("error_code", payload["webhook_code"]) in connection.last_error
    assert SyncRun.objects.count() == runs, "nothing to sync until the user repairs the item"
    assert not Connection.objects.filter(company=bob.company).exists()


def test_a_plaid_login_repaired_webhook_syncs_the_item_back_to_ready(client, linked):
    _plaid_hook(client, linked, webhook_type="ITEM", webhook_code="ERROR", error=ITEM_ERROR)
    connection = _plaid_hook(client, linked, webhook_type="ITEM", webhook_code="LOGIN_REPAIRED")
    assert connection.status == "ready" and connection.last_error == ""
