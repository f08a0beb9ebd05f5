"""Webhook signing (each provider's documented scheme) and delivery with injected faults.

- Rutter: ``X-Rutter-Signature: sha256=<base64 HMAC-SHA256(raw body, client secret)>``.
- Stripe: ``Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256("{t}.{raw body}", whsec)>``.
- Plaid: ``Plaid-Verification: <ES256 JWT>`` whose header names the key (``kid``) and whose
  claims are ``iat`` and ``request_body_sha256``; the key is served as a JWK by
  ``/webhook_verification_key/get``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import queue
import random
import threading
import time
import uuid
from dataclasses import dataclass, field

import httpx
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

log = logging.getLogger(__name__)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def rutter_signature(body: bytes, client_secret: str) -> str:
    digest = hmac.new(client_secret.encode(), body, hashlib.sha256).digest()
    return "sha256=" + base64.b64encode(digest).decode()


def stripe_signature(body: bytes, secret: str, timestamp: int) -> str:
    signed = f"{timestamp}.".encode() + body
    return f"t={timestamp},v1=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


class PlaidSigner:
    """One ES256 key pair per server, rotated never (Plaid rotates rarely; clients cache by kid)."""

    def __init__(self):
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        self.kid = str(uuid.uuid4())
        self.created_at = int(time.time())

    def jwk(self) -> dict:
        numbers = self.private_key.public_key().public_numbers()
        return {
            "alg": "ES256", "created_at": self.created_at, "crv": "P-256", "expired_at": None,
            "kid": self.kid, "kty": "EC", "use": "sig",
            "x": _b64url(numbers.x.to_bytes(32, "big")),
            "y": _b64url(numbers.y.to_bytes(32, "big")),
        }

    def sign(self, body: bytes, now: int | None = None) -> str:
        header = {"alg": "ES256", "kid": self.kid, "typ": "JWT"}
        claims = {"iat": int(now or time.time()),
                  "request_body_sha256": hashlib.sha256(body).hexdigest()}
        signing_input = (_b64url(json.dumps(header, separators=(",", ":")).encode()) + "."
                         + _b64url(json.dumps(claims, separators=(",", ":")).encode()))
        der = self.private_key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)  # JWS wants raw r||s, not DER
        return signing_input + "." + _b64url(r.to_bytes(32, "big") + s.to_bytes(32, "big"))


@dataclass
class Delivery:
    provider: str  # rutter | stripe | plaid
    url: str
    body: bytes
    headers: dict[str, str]
    attempts: int = 0
    status: int | None = None  # last HTTP status, None if never reached
    dropped: bool = False


@dataclass
class WebhookFaults:
    drop: float = 0.0
    dup: float = 0.0
    reorder: float = 0.0


@dataclass
class Deliverer:
    """Background sender: one thread, in order, with drop/duplicate/reorder faults and retries."""

    faults: WebhookFaults = field(default_factory=WebhookFaults)
    rng: random.Random = field(default_factory=random.Random)
    retry_delays: tuple[float, ...] = (0.2, 0.5, 1.0)
    timeout: float = 5.0

    def __post_init__(self):
        self.log: list[Delivery] = []
        self._queue: queue.Queue = queue.Queue()
        self._held: Delivery | None = None  # a webhook being reordered behind the next one
        self._lock = threading.Lock()
        self._idle = threading.Event()
        self._idle.set()
        self._thread = threading.Thread(target=self._run, name="sandbox-webhooks", daemon=True)
        self._thread.start()

    def send(self, delivery: Delivery) -> None:
        self._idle.clear()
        self._queue.put(delivery)

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every queued webhook has been attempted (held ones are released)."""
        self._queue.put("flush")
        return self._idle.wait(timeout)

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=5)

    def _run(self) -> None:
        with httpx.Client(timeout=self.timeout) as client:
            while True:
                item = self._queue.get()
                if item is None:
                    return
                if item == "flush":
                    if self._held is not None:
                        held, self._held = self._held, None
                        self._post(client, held)
                    if self._queue.empty():
                        self._idle.set()
                    continue
                self._dispatch(client, item)

    def _dispatch(self, client: httpx.Client, delivery: Delivery) -> None:
        with self._lock:
            self.log.append(delivery)
        if self.rng.random() < self.faults.drop:
            delivery.dropped = True
            return
        if self._held is None and self.rng.random() < self.faults.reorder:
            self._held = delivery  # goes out right after the next webhook (or on flush)
            return
        self._post(client, delivery)
        if self.rng.random() < self.faults.dup:
            self._post(client, delivery)
        if self._held is not None:
            held, self._held = self._held, None
            self._post(client, held)

    def _post(self, client: httpx.Client, delivery: Delivery) -> None:
        for delay in (*self.retry_delays, None):
            delivery.attempts += 1
            try:
                resp = client.post(delivery.url, content=delivery.body, headers=delivery.headers)
                delivery.status = resp.status_code
                if resp.status_code < 300:
                    return
            except httpx.HTTPError as exc:
                log.info("webhook to %s failed: %s", delivery.url, exc)
            if delay is None:
                return
            time.sleep(delay)
