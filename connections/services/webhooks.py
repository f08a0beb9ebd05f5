"""The webhook inbox: verify, store raw with a dedupe key, then process by re-fetching.

`webhook_receive` runs inside the HTTP request and does only what must happen before we answer:
verify the signature over the raw bytes and store the event (a redelivery hits the unique
dedupe key and is a no-op). `webhook_process` runs later in a task: it never trusts the payload
beyond naming what changed, and re-reads the current state from the provider.
"""

from __future__ import annotations

import hashlib
import json
import threading
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from connections import webhook_signatures as sig
from connections.models import Connection, ConnectionStatus, WebhookEvent, WebhookStatus
from connections.providers.plaid import PlaidClient
from connections.services.sync import (
    connection_refresh_object,
    connection_set_status,
    connection_sync,
)

KEPT_HEADERS = ("content-type", "x-rutter-signature", "stripe-signature", "plaid-verification",
                "user-agent")
_plaid_caches: dict[tuple[str, str], sig.PlaidKeyCache] = {}
_plaid_lock = threading.Lock()


@dataclass(frozen=True)
class Received:
    status: int  # what to answer the provider
    code: str  # machine-readable: accepted, duplicate, or a SignatureError reason
    event: WebhookEvent | None
    is_new: bool


def _plaid_keys() -> sig.PlaidKeyCache:
    key = (settings.PLAID_BASE_URL, settings.PLAID_CLIENT_ID)
    with _plaid_lock:
        if key not in _plaid_caches:
            _plaid_caches[key] = sig.PlaidKeyCache.for_client(PlaidClient.from_settings())
        return _plaid_caches[key]


def _verify(provider: str, body: bytes, headers: dict[str, str]) -> None:
    if provider == "rutter":
        sig.verify_rutter(body=body, header=headers.get("x-rutter-signature"),
                          secret=settings.RUTTER_CLIENT_SECRET)
    elif provider == "stripe":
        sig.verify_stripe(body=body, header=headers.get("stripe-signature"),
                          secret=settings.STRIPE_WEBHOOK_SECRET)
    else:
        sig.verify_plaid(body=body, header=headers.get("plaid-verification"), keys=_plaid_keys())


def _dedupe_key(provider: str, body: bytes, payload: dict, headers: dict[str, str]) -> str:
    if provider == "stripe" and payload.get("id"):
        return f"stripe:{payload['id']}"
    if provider == "plaid":
        # Plaid bodies repeat verbatim for every new SYNC_UPDATES_AVAILABLE of an item; the signed
        # JWT (fresh iat, randomized signature) is what identifies one delivery — decoded, with its
        # signature's low s, so no re-spelling of one header passes for a new delivery.
        return "plaid:" + sig.plaid_delivery_key(headers.get("plaid-verification", ""))
    # Rutter sends no event id; the body names the object and its state, and processing re-reads
    # it anyway, so an identical body received within the hour is a redelivery. The same body later
    # is a new notification (a second CONNECTION_NEEDS_UPDATE months after the first): the key
    # carries the hour of receipt, so dedupe is bounded. A retry that straddles the hour is
    # processed twice, which re-reads the same state: harmless.
    hour = timezone.now().strftime("%Y%m%d%H")
    return f"{provider}:{hour}:" + hashlib.sha256(body).hexdigest()


SECRET_KEYS = frozenset({"access_token", "public_token", "secret", "client_secret", "refresh_token"})


def _redact(value):
    if isinstance(value, dict):
        return {k: "[redacted]" if k in SECRET_KEYS else _redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact(v) for v in value]
    return value


def redacted(payload: dict) -> bytes:
    """The body as stored: verified already, so kept for what it names, without credentials (a
    Rutter webhook carries the connection's access_token)."""
    return json.dumps(_redact(payload), separators=(",", ":")).encode()


def _event_type(provider: str, payload: dict) -> str:
    if provider == "rutter":
        return f"{payload.get('type', '')}.{payload.get('code', '')}"
    if provider == "stripe":
        return payload.get("type", "")
    return f"{payload.get('webhook_type', '')}.{payload.get('webhook_code', '')}"


def _connection_id(provider: str, payload: dict) -> str | None:
    return {"rutter": payload.get("connection_id"), "stripe": payload.get("account"),
            "plaid": payload.get("item_id")}[provider]


def webhook_receive(*, provider: str, body: bytes, headers: dict[str, str]) -> Received:
    headers = {k.lower(): v for k, v in headers.items()}
    kept = {k: v for k, v in headers.items() if k in KEPT_HEADERS}
    try:
        _verify(provider, body, headers)
    except sig.SignatureError as exc:
        # Evidence, not storage for whoever can POST: the body of a delivery we cannot trust is
        # kept as its size and hash only (a flood of forged megabytes must not grow the table).
        event = WebhookEvent.objects.create(
            provider=provider, dedupe_key=f"rejected:{uuid.uuid4()}", body=b"", headers=kept,
            signature_ok=False, status=WebhookStatus.REJECTED,
            error=f"{exc.reason}: {exc.message}; body {len(body)} bytes, sha256 "
                  f"{hashlib.sha256(body).hexdigest()}"[:2000],
        )
        # Plaid's key service being unreachable is our problem, not a forgery: ask for a retry.
        return Received(503 if exc.reason == "key_unavailable" else 400, exc.reason, event, False)
    try:
        payload = json.loads(body)
        if not isinstance(payload, dict):
            raise ValueError("not an object")
    except ValueError:
        event = WebhookEvent.objects.create(
            provider=provider, dedupe_key=f"rejected:{uuid.uuid4()}", body=b"", headers=kept,
            signature_ok=True, status=WebhookStatus.REJECTED,
            error=f"malformed_body: {len(body)} bytes, sha256 {hashlib.sha256(body).hexdigest()}",
        )
        return Received(400, "malformed_body", event, False)
    dedupe_key = _dedupe_key(provider, body, payload, headers)
    connection = Connection.objects.filter(
        provider=provider, external_id=_connection_id(provider, payload) or ""
    ).order_by("id").first()
    try:
        with transaction.atomic():
            event = WebhookEvent.objects.create(
                provider=provider, dedupe_key=dedupe_key, body=redacted(payload), headers=kept, signature_ok=True,
                event_type=_event_type(provider, payload)[:100], connection=connection,
                company_id=connection.company_id if connection else None,
            )
    except IntegrityError:
        return Received(200, "duplicate", WebhookEvent.objects.filter(dedupe_key=dedupe_key).first(), False)
    return Received(200, "accepted", event, True)


def _process_rutter(connection: Connection, payload: dict) -> None:
    kind, code = (payload.get("type") or "").upper(), (payload.get("code") or "").upper()
    if kind == "CONNECTION":
        if code in ("CONNECTION_NEEDS_UPDATE", "NEEDS_UPDATE"):
            connection_set_status(connection=connection, status=ConnectionStatus.NEEDS_REAUTH, error=code)
        elif code in ("CONNECTION_DISABLED", "DISABLED"):
            connection_set_status(connection=connection, status=ConnectionStatus.DISABLED, error=code)
        else:  # INITIAL_UPDATE, HISTORICAL_UPDATE, …: the data is ready (or changed) — sync it
            connection_sync(connection=connection)
        return
    entity = kind.lower()
    obj = payload.get(entity) or {}
    if connection.status == ConnectionStatus.READY and entity == "order" and obj.get("id"):
        connection_refresh_object(connection=connection, kind=entity, object_id=obj["id"])
    else:  # transactions and payouts are re-read through their lists (Rutter has no GET of one)
        connection_sync(connection=connection)


def _process_stripe(connection: Connection, payload: dict) -> None:
    obj = (payload.get("data") or {}).get("object") or {}
    event_type = payload.get("type") or ""
    if event_type == "account.application.deauthorized":
        # The account disconnected our platform in its Stripe dashboard. The event's top-level
        # `account` named the connection; `data.object` is our own application (ca_…), not the
        # account (stripe-python 16.1.0 `_event.py`, `_application.py`).
        from connections.services.linking import connection_disconnect

        connection_disconnect(connection=connection, reason="the account disconnected Tieout in Stripe "
                              "(account.application.deauthorized)")
        return
    # payout.paid / .failed / .updated / .canceled / .reconciliation_completed: re-read the payout
    # (status, reconciliation_status) and, for an automatic one, what it paid out.
    if event_type.startswith("payout.") and obj.get("id"):
        connection_refresh_object(connection=connection, kind="payout", object_id=obj["id"])
    else:  # refunds and disputes land in a later payout: pick up whatever is new
        connection_sync(connection=connection)


# ITEM webhooks that only the user can resolve, in Link's update mode (plaid-openapi 2020-09-14.yml):
# ERROR (e.g. ITEM_LOGIN_REQUIRED), PENDING_EXPIRATION (EU/UK consent expires in 7 days),
# PENDING_DISCONNECT (its US/CA counterpart), USER_PERMISSION_REVOKED.
PLAID_REAUTH_CODES = ("ERROR", "PENDING_EXPIRATION", "PENDING_DISCONNECT", "USER_PERMISSION_REVOKED")


def _process_plaid(connection: Connection, payload: dict) -> None:
    if payload.get("webhook_type") == "ITEM" and payload.get("webhook_code") in PLAID_REAUTH_CODES:
        connection_set_status(connection=connection, status=ConnectionStatus.NEEDS_REAUTH,
                              error=json.dumps(payload.get("error") or payload.get("webhook_code")))
        return
    # TRANSACTIONS SYNC_UPDATES_AVAILABLE (and ITEM LOGIN_REPAIRED, …): re-read with /transactions/sync.
    connection_sync(connection=connection)


PROCESSORS = {"rutter": _process_rutter, "stripe": _process_stripe, "plaid": _process_plaid}


def webhook_process(*, event: WebhookEvent) -> WebhookEvent:
    """Act on a stored event by re-reading the provider. Safe to run again (admin replay)."""
    event = WebhookEvent.objects.get(pk=event.pk)
    if not event.signature_ok:
        return event  # rejected events are evidence, never work
    event.attempts += 1
    payload = json.loads(bytes(event.body))
    connections = list(Connection.objects.select_related("company").filter(
        provider=event.provider, external_id=_connection_id(event.provider, payload) or ""
    ))
    try:
        for connection in connections:
            if connection.status != ConnectionStatus.DISABLED:
                PROCESSORS[event.provider](connection, payload)
    except Exception as exc:
        event.status, event.error = WebhookStatus.FAILED, f"{type(exc).__name__}: {exc}"[:2000]
        event.save(update_fields=["status", "error", "attempts"])
        raise
    event.status = WebhookStatus.PROCESSED if connections else WebhookStatus.IGNORED
    event.error, event.processed_at = "", timezone.now()
    event.save(update_fields=["status", "error", "attempts", "processed_at"])
    return event
