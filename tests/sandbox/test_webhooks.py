"""Each webhook kind verified with an independent implementation of the documented algorithm."""

import base64
import hashlib
import hmac
import json
import time

import httpx
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from sandbox.server import SandboxServer

from .conftest import ACCT, ITEM, SHOP


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def verify_rutter(headers, body, secret):
    expected = "sha256=" + base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    return hmac.compare_digest(headers["x-rutter-signature"], expected)


def verify_stripe(headers, body, secret, tolerance=300):
    parts = dict(p.split("=", 1) for p in headers["stripe-signature"].split(","))
    signed = f"{parts['t']}.{body.decode()}".encode()
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return hmac.compare_digest(parts["v1"], expected) and abs(time.time() - int(parts["t"])) < tolerance


def verify_plaid(headers, body, sandbox):
    token = headers["plaid-verification"]
    header_b64, claims_b64, sig_b64 = token.split(".")
    header = json.loads(_b64url_decode(header_b64))
    assert header["alg"] == "ES256"
    c = sandbox.credentials
    jwk = httpx.post(sandbox.plaid_base_url + "/webhook_verification_key/get",
                     json={"client_id": c.plaid_client_id, "secret": c.plaid_secret,
                           "key_id": header["kid"]}).json()["key"]
    public = ec.EllipticCurvePublicNumbers(int.from_bytes(_b64url_decode(jwk["x"]), "big"),
                                           int.from_bytes(_b64url_decode(jwk["y"]), "big"),
                                           ec.SECP256R1()).public_key()
    raw = _b64url_decode(sig_b64)
    signature = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    public.verify(signature, f"{header_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
    claims = json.loads(_b64url_decode(claims_b64))
    assert abs(time.time() - claims["iat"]) < 300
    return hmac.compare_digest(claims["request_body_sha256"], hashlib.sha256(body).hexdigest())


def _by_path(received):
    out = {}
    for path, headers, body in received:
        out.setdefault(path, []).append((headers, body, json.loads(body)))
    return out


def test_it_signs_every_webhook_kind_verifiably(world, receiver):
    with SandboxServer(world, webhook_url=receiver.url) as sb:
        c = sb.credentials
        httpx.post(sb.rutter_base_url + "/item/public_token/exchange",
                   json={"client_id": c.rutter_client_id, "secret": c.rutter_client_secret,
                         "public_token": "pub-shop"}, headers={"X-Rutter-Version": "2024-08-31"})
        assert sb.apply_events() == 6
        got = _by_path(receiver.wait_for(7))
        rutter, stripe, plaid = got["/hooks/rutter"], got["/hooks/stripe"], got["/hooks/plaid"]
        for headers, body, _ in rutter:
            assert verify_rutter(headers, body, c.rutter_client_secret)
            assert not verify_rutter(headers, body + b" ", c.rutter_client_secret)
        for headers, body, _ in stripe:
            assert verify_stripe(headers, body, c.stripe_webhook_secret)
            assert not verify_stripe(headers, body, "whsec_wrong")
        for headers, body, _ in plaid:
            assert verify_plaid(headers, body, sb)
            assert not verify_plaid(headers, body + b"x", sb)
        rutter_codes = [p["code"] for _, _, p in rutter]
        assert rutter_codes == ["INITIAL_UPDATE", "TRANSACTION_CREATED", "ORDER_UPDATED"]
        assert rutter[0][2] == {"type": "CONNECTION", "code": "INITIAL_UPDATE", "connection_id": SHOP,
                                "access_token": "tok-shop"}
        assert rutter[1][2]["transaction"]["id"] == "t900"
        assert [p["type"] for _, _, p in stripe] == ["charge.refunded", "charge.dispute.created", "payout.failed"]
        assert all(p["account"] == ACCT and p["object"] == "event" for _, _, p in stripe)
        assert plaid[0][2]["webhook_code"] == "SYNC_UPDATES_AVAILABLE" and plaid[0][2]["item_id"] == ITEM


def test_it_sends_initial_update_only_once_marked_done(world, receiver):
    with SandboxServer(world, webhook_url=receiver.url, initial_sync_delay=None) as sb:
        c = sb.credentials
        httpx.post(sb.rutter_base_url + "/item/public_token/exchange",
                   json={"client_id": c.rutter_client_id, "secret": c.rutter_client_secret,
                         "public_token": "pub-shop"}, headers={"X-Rutter-Version": "2024-08-31"})
        sb.flush_webhooks()
        assert receiver.received == []
        httpx.post(sb.base_url + f"/_sandbox/rutter/{SHOP}/initial_sync_done")
        (path, headers, body), = receiver.wait_for(1)
        assert json.loads(body)["code"] == "INITIAL_UPDATE"


def test_it_drops_and_duplicates_webhooks_when_told_to(world, receiver):
    with SandboxServer(world, webhook_url=receiver.url, faults="drop=1.0") as sb:
        sb.apply_events()
        sb.flush_webhooks()
        assert receiver.received == [] and all(d.dropped for d in sb.webhook_log)
    with SandboxServer(world, webhook_url=receiver.url, faults="dup=1.0") as sb:
        sb.apply_events(1)
        got = receiver.wait_for(2)
        assert len(got) == 2 and got[0][2] == got[1][2]


def test_it_reorders_webhooks_when_told_to(world, receiver):
    with SandboxServer(world, webhook_url=receiver.url, faults="reorder=1.0") as sb:
        sb.apply_events(2)  # TRANSACTION_CREATED then ORDER_UPDATED
        sb.flush_webhooks()
        codes = [json.loads(b)["code"] for _, _, b in receiver.wait_for(2)]
        assert codes == ["ORDER_UPDATED", "TRANSACTION_CREATED"]
