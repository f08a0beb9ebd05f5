"""The webhook endpoints against an attacker: nothing stored for forgeries but their size and hash,
no flood of rows or megabytes, no credential kept in a stored body or written to a log, and one
genuine Plaid delivery never replays as "new" under another spelling of its header."""

import base64
import json
import logging
import logging.config

from django.core.cache import cache

from connections.models import SyncRun, WebhookEvent
from connections.webhook_signatures import P256_ORDER, rutter_signature
from tests.connections.sync.conftest import ITEM, SHOP, link_all, sync_all, sync_world


def _post(client, provider, body: bytes, **headers):
    return client.post(f"/webhooks/{provider}", data=body, content_type="application/json", **headers)


def _linked(alice, live_world):
    world = sync_world()
    live = live_world(world)
    link_all(alice.company, world)
    sync_all(alice.company)
    return live


def test_a_flood_of_forged_webhooks_stores_no_bodies_and_stops(client, alice, live_world):
    _linked(alice, live_world)
    cache.clear()
    big = b'{"type": "CONNECTION", "pad": "' + b"x" * (2_400_000) + b'"}'
    assert _post(client, "rutter", big, HTTP_X_RUTTER_SIGNATURE="sha256=AAAA").status_code == 413
    assert not WebhookEvent.objects.exists()

    small = json.dumps({"type": "CONNECTION", "code": "CONNECTION_UPDATED", "connection_id": SHOP}).encode()
    answers = [_post(client, "rutter", small, HTTP_X_RUTTER_SIGNATURE="sha256=AAAA").status_code
               for _ in range(40)]

    assert answers[:20] == [400] * 20 and set(answers[20:]) == {429}
    rejected = WebhookEvent.objects.filter(status="rejected")
    assert rejected.count() == 20
    assert all(bytes(e.body) == b"" and f"{len(small)} bytes" in e.error for e in rejected)
    assert not SyncRun.objects.filter(kind="webhook").exists()


def test_a_stored_rutter_webhook_keeps_no_access_token(client, alice, live_world, settings):
    _linked(alice, live_world)
    body = json.dumps({"type": "CONNECTION", "code": "CONNECTION_UPDATED", "connection_id": SHOP,
                       "access_token": "tok-shop"}).encode()
    response = _post(client, "rutter", body,
                     HTTP_X_RUTTER_SIGNATURE=rutter_signature(body, settings.RUTTER_CLIENT_SECRET))
    assert response.status_code == 200
    stored = WebhookEvent.objects.get(provider="rutter", status__in=["processed", "received"])
    assert b"tok-shop" not in bytes(stored.body)
    assert json.loads(bytes(stored.body))["connection_id"] == SHOP


def _high_s(token: str) -> str:
    header, claims, sig = token.split(".")
    raw = base64.urlsafe_b64decode(sig + "=" * (-len(sig) % 4))
    s = int.from_bytes(raw[32:], "big")
    other = raw[:32] + (P256_ORDER - s).to_bytes(32, "big")
    return f"{header}.{claims}.{base64.urlsafe_b64encode(other).rstrip(b'=').decode()}"


def test_a_plaid_delivery_replayed_under_other_spellings_runs_once(client, alice, live_world):
    live = _linked(alice, live_world)
    body = json.dumps({"webhook_type": "TRANSACTIONS", "webhook_code": "SYNC_UPDATES_AVAILABLE",
                       "item_id": ITEM}).encode()
    genuine = live.server.plaid_signer.sign(body)
    first = _post(client, "plaid", body, HTTP_PLAID_VERIFICATION=genuine)
    assert first.json() == {"status": "accepted"}
    for spelling in (_high_s(genuine), genuine + "=", genuine.replace(".", "==.", 1), genuine):
        again = _post(client, "plaid", body, HTTP_PLAID_VERIFICATION=spelling)
        assert again.status_code in (200, 400) and again.json() != {"status": "accepted"}
    assert WebhookEvent.objects.filter(provider="plaid", signature_ok=True).count() == 1


def test_no_request_line_with_an_access_token_reaches_the_logs(alice, live_world, caplog):
    """httpx writes each request's full URL at INFO, and Rutter's access_token is in the query."""
    from config import settings as production

    world = sync_world()
    live_world(world)
    logging.config.dictConfig(production.LOGGING)
    try:
        with caplog.at_level(logging.INFO):
            link_all(alice.company, {"rutter": world["rutter"][:1]})
            sync_all(alice.company)
    finally:
        from django.conf import settings

        logging.config.dictConfig(settings.LOGGING)
    assert "tok-shop" not in caplog.text
    assert SyncRun.objects.filter(status="succeeded").exists()


def _forged_plaid(live, body: bytes, kid: str) -> str:
    """A Plaid-Verification header signed with a key of the attacker's, naming a fresh kid."""
    import hashlib
    import time

    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    def b64(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    header = b64(json.dumps({"alg": "ES256", "kid": kid, "typ": "JWT"}).encode())
    claims = b64(json.dumps({"iat": int(time.time()),
                             "request_body_sha256": hashlib.sha256(body).hexdigest()}).encode())
    key = ec.generate_private_key(ec.SECP256R1())
    r, s = decode_dss_signature(key.sign(f"{header}.{claims}".encode(), ec.ECDSA(hashes.SHA256())))
    return f"{header}.{claims}.{b64(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


def test_forged_plaid_webhooks_with_fresh_kids_cost_a_bounded_number_of_key_fetches(client, alice, live_world):
    """60 forged deliveries, each naming a new key id: at most a handful of calls to Plaid's
    /webhook_verification_key/get, nothing processed, no body stored."""
    from connections.services import webhooks as inbox

    live = _linked(alice, live_world)
    inbox._plaid_caches.clear()
    fetches = []
    live.server.observers.append(lambda provider, req, resp: fetches.append(req.path)
                                 if req.path == "/webhook_verification_key/get" else None)
    body = json.dumps({"webhook_type": "TRANSACTIONS", "webhook_code": "SYNC_UPDATES_AVAILABLE",
                       "item_id": ITEM}).encode()
    answers = []
    for n in range(60):
        cache.delete("webhook-rejections:plaid:127.0.0.1")  # many sources: the per-source limit aside
        header = _forged_plaid(live, body, f"00000000-0000-4000-8000-{n:012d}")
        answers.append(_post(client, "plaid", body, HTTP_PLAID_VERIFICATION=header).status_code)

    assert len(fetches) <= 5
    assert set(answers) <= {400, 503}
    assert not SyncRun.objects.filter(kind="webhook").exists()
    assert all(bytes(e.body) == b"" for e in WebhookEvent.objects.filter(provider="plaid"))


def test_forged_and_stale_webhooks_of_every_provider_are_stored_as_evidence_only(client, alice, live_world, settings):
    import time

    from connections.webhook_signatures import stripe_signature

    live = _linked(alice, live_world)
    body = json.dumps({"id": "evt_x", "type": "payout.paid", "account": "acct_1SyncTest",
                       "data": {"object": {"id": "po_0"}}}).encode()
    stale = stripe_signature(body, settings.STRIPE_WEBHOOK_SECRET, timestamp=int(time.time()) - 3600)
    forged = stripe_signature(body, "whsec_not_ours", timestamp=int(time.time()))
    plaid_body = json.dumps({"webhook_type": "TRANSACTIONS", "item_id": ITEM}).encode()
    old_plaid = live.server.plaid_signer.sign(plaid_body, now=int(time.time()) - 3600)
    answers = [
        _post(client, "stripe", body, HTTP_STRIPE_SIGNATURE=stale).status_code,
        _post(client, "stripe", body, HTTP_STRIPE_SIGNATURE=forged).status_code,
        _post(client, "plaid", plaid_body, HTTP_PLAID_VERIFICATION=old_plaid).status_code,
        _post(client, "rutter", body, HTTP_X_RUTTER_SIGNATURE=rutter_signature(body, "not-ours")).status_code,
    ]
    assert answers == [400, 400, 400, 400]
    stored = WebhookEvent.objects.all()
    assert stored.count() == 4 and {e.status for e in stored} == {"rejected"}
    assert all(bytes(e.body) == b"" and "sha256" in e.error for e in stored)
    assert not SyncRun.objects.filter(kind="webhook").exists()


def test_the_log_filter_redacts_credentials_whatever_logger_writes_them():
    from config.logfilters import RedactSecrets, redact

    line = ('GET /versioned/orders?access_token=tok-shop&limit=500 "HTTP/1.1 200" '
            '{"client_secret": "es_abc", "name": "x"} Authorization: Bearer sk_live_123 /embed/x.csv?token=abc.def')
    cleaned = redact(line)
    for secret in ("tok-shop", "es_abc", "sk_live_123", "abc.def"):
        assert secret not in cleaned
    assert "limit=500" in cleaned and '"name": "x"' in cleaned
    record = logging.LogRecord("httpx", logging.INFO, __file__, 1, "HTTP Request: %s %s", ("GET", line), None)
    RedactSecrets().filter(record)
    assert "tok-shop" not in record.getMessage()
