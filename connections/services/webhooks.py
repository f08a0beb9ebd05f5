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

from django.db import IntegrityError, transaction
from django.utils import timezone

from connections import webhook_signatures as sig
from connections.credentials import ProviderCredentials, credentials_for, partners_with_own
from connections.models import Connection, ConnectionStatus, WebhookEvent, WebhookStatus
from connections.services.clients import client_with
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


def _plaid_keys(creds: ProviderCredentials) -> sig.PlaidKeyCache:
    key = (creds.base_url, creds.client_id)  # one key cache per Plaid team
    with _plaid_lock:
        if key not in _plaid_caches:
            _plaid_caches[key] = sig.PlaidKeyCache.for_client(client_with(creds))
        return _plaid_caches[key]


def _verify(provider: str, body: bytes, headers: dict[str, str], creds: ProviderCredentials) -> None:
    """Check the signature with the secret of the account the delivery's URL names: the partner's
    own (Rutter: its client secret; Stripe: its endpoint's signing secret; Plaid: its team's keys),
    or the deployment's on the deployment's URL."""
    if provider == "rutter":
        sig.verify_rutter(body=body, header=headers.get("x-rutter-signature"), secret=creds.webhook_secret)
    elif provider == "stripe":
        sig.verify_stripe(body=body, header=headers.get("stripe-signature"), secret=creds.webhook_secret)
    else:
        sig.verify_plaid(body=body, header=headers.get("plaid-verification"), keys=_plaid_keys(creds))


def _scoped_connections(provider: str, external_id: str, partner_id: int | None):
    """The connections a delivery verified for `partner_id` (None: the deployment's URL) may touch:
    that partner's own; on the deployment's URL, only those of partners without their own account
    at `provider` (whose deliveries are signed with the deployment's secret)."""
    rows = Connection.objects.filter(provider=provider, external_id=external_id or "")
    if partner_id is not None:
        return rows.filter(company__partner_id=partner_id)
    return rows.exclude(company__partner_id__in=partners_with_own(provider))


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


def webhook_receive(*, provider: str, body: bytes, headers: dict[str, str],
                    partner_id: int | None = None) -> Received:
    """Verify and store one delivery. `partner_id`: the partner whose URL it came to (None: the
    deployment's URL); it is verified with that partner's secret and can only reach its connections.
    A verified delivery on a partner's URL naming none of its connections is answered and dropped:
    nothing of it is stored."""
    headers = {k.lower(): v for k, v in headers.items()}
    kept = {k: v for k, v in headers.items() if k in KEPT_HEADERS}
    try:
        _verify(provider, body, headers, credentials_for(partner_id=partner_id, provider=provider))
    except sig.SignatureError as exc:
        # Evidence, not storage for whoever can POST: the body of a delivery we cannot trust is
        # kept as its size and hash only (a flood of forged megabytes must not grow the table).
        event = WebhookEvent.objects.create(
            provider=provider, dedupe_key=f"rejected:{uuid.uuid4()}", body=b"", headers=kept,
            signature_ok=False, status=WebhookStatus.REJECTED, partner_id=partner_id,
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
            signature_ok=True, status=WebhookStatus.REJECTED, partner_id=partner_id,
            error=f"malformed_body: {len(body)} bytes, sha256 {hashlib.sha256(body).hexdigest()}",
        )
        return Received(400, "malformed_body", event, False)
    dedupe_key = _dedupe_key(provider, body, payload, headers)
    if partner_id is not None:
        dedupe_key = f"{dedupe_key}:p{partner_id}"[:200]  # one event may go to two partners' URLs
    connection = _scoped_connections(provider, _connection_id(provider, payload), partner_id).order_by("id").first()
    if connection is None and partner_id is not None:
        return Received(200, "ignored", None, False)
    try:
        with transaction.atomic():
            event = WebhookEvent.objects.create(
                provider=provider, dedupe_key=dedupe_key, body=redacted(payload), headers=kept,
                signature_ok=True, partner_id=partner_id,
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
    connections = list(_scoped_connections(event.provider, _connection_id(event.provider, payload),
                                           event.partner_id).select_related("company"))
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
