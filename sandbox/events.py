"""Applying world `events` to the live state and describing the webhooks each one triggers.

Webhook payloads follow the providers' documents:
- Rutter: {"type": "ORDER"|"TRANSACTION"|"PAYOUT", "code": "<TYPE>_CREATED|_UPDATED|_DELETED",
  "connection_id", "access_token", "<kind>": object} (deletes carry {"id"} only).
- Stripe: an Event {"id": "evt_…", "object": "event", "type", "account", "data": {"object"}, …}
  for payout.paid / payout.failed / payout.created / payout.updated /
  payout.reconciliation_completed (when an automatic payout's `reconciliation_status` turns
  `completed`: "Occurs whenever balance transactions paid out in an automatic payout can be
  queried"), charge.refunded and charge.dispute.created; account.application.deauthorized (its
  top-level `account` is the connected account, `data.object` the platform's application) is
  sent by `SandboxServer.stripe_deauthorize`.
- Plaid: {"webhook_type": "TRANSACTIONS", "webhook_code": "SYNC_UPDATES_AVAILABLE", "item_id",
  "initial_update_complete": true, "historical_update_complete": true, "environment": "sandbox"}.
"""

from __future__ import annotations

import secrets
import time

from .state import SandboxState

API_VERSION = "2026-10-28.endive"  # what Tieout pins (connections.providers.stripe.API_VERSION)


def rutter_entity_webhook(rs, kind: str, code: str, obj: dict) -> dict:
    return {"type": kind.upper(), "code": f"{kind.upper()}_{code}",
            "connection_id": rs.conn.connection_id, "access_token": rs.conn.access_token,
            kind: obj}


def rutter_connection_webhook(rs, code: str) -> dict:
    return {"type": "CONNECTION", "code": code, "connection_id": rs.conn.connection_id,
            "access_token": rs.conn.access_token}


def plaid_sync_webhook(item_id: str) -> dict:
    return {"webhook_type": "TRANSACTIONS", "webhook_code": "SYNC_UPDATES_AVAILABLE",
            "item_id": item_id, "initial_update_complete": True,
            "historical_update_complete": True, "environment": "sandbox"}


def stripe_event(account_id: str, event_type: str, obj: dict) -> dict:
    return {"id": "evt_" + secrets.token_hex(12), "object": "event", "api_version": API_VERSION,
            "created": int(time.time()), "type": event_type, "account": account_id,
            "livemode": False, "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None}, "data": {"object": obj}}


def _stripe_webhooks(ss, kind: str, obj: dict, created: bool, before: dict | None = None) -> list[dict]:
    acct = ss.acct.account_id
    if kind == "payout":
        status = obj.get("status")
        events = [stripe_event(acct, f"payout.{status}" if status in ("paid", "failed") else
                               "payout.created" if created else "payout.updated", obj)]
        if status == "paid" and obj.get("reconciliation_status") == "completed" \
                and (before or {}).get("reconciliation_status") != "completed":
            events.append(stripe_event(acct, "payout.reconciliation_completed", obj))
        return events
    if kind == "balance_transaction":
        source = obj.get("source") or ""
        charge = ss.charges.get(source) if isinstance(source, str) else None
        if obj.get("type") in ("refund", "payment_refund"):
            charge_id = (charge or {}).get("id") or obj.get("charge") or source
            charge_obj = charge or {"id": charge_id, "object": "charge", "refunded": False,
                                    "amount_refunded": -obj.get("amount", 0),
                                    "currency": obj.get("currency")}
            return [stripe_event(acct, "charge.refunded", charge_obj)]
        if obj.get("reporting_category") == "dispute" and obj.get("amount", 0) < 0:
            dispute = {"id": source if str(source).startswith("dp_") else "dp_" + secrets.token_hex(12),
                       "object": "dispute", "amount": -obj["amount"], "currency": obj.get("currency"),
                       "balance_transactions": [{k: v for k, v in obj.items() if k != "payout"}],
                       "status": "needs_response", "reason": "fraudulent", "created": obj.get("created")}
            return [stripe_event(acct, "charge.dispute.created", dispute)]
    return []


def stripe_deauthorized_event(account_id: str, client_id: str) -> dict:
    application = {"id": client_id, "object": "application", "name": "Tieout sandbox platform"}
    return stripe_event(account_id, "account.application.deauthorized", application)


def apply_event(state: SandboxState, event: dict) -> list[tuple[str, str, dict]]:
    """Apply one event; return the webhooks to send as (provider, connection, payload)."""
    provider, conn_id, kind, op = event["provider"], event["connection"], event["kind"], event["op"]
    obj = event["object"]
    out: list[tuple[str, str, dict]] = []
    if provider == "rutter":
        rs = state.rutter[conn_id]
        coll = rs.collection(kind)
        if op == "delete":
            if coll.delete(obj["id"]) is not None:
                out.append(("rutter", conn_id, rutter_entity_webhook(rs, kind, "DELETED", {"id": obj["id"]})))
        else:
            created = coll.upsert(obj)
            if kind == "transaction":
                rs.payouts.invalidate()  # payouts embed their transactions
            served = coll.served(coll.position[obj["id"]])
            out.append(("rutter", conn_id, rutter_entity_webhook(rs, kind, "CREATED" if created else "UPDATED", served)))
    elif provider == "stripe":
        ss = state.stripe[conn_id]
        if op == "delete":
            return out  # Stripe never deletes money movements; nothing to announce
        before = None
        if kind == "balance_transaction":
            created = ss.upsert_balance_transaction(obj)
            served = {k: v for k, v in obj.items() if k != "payout"}
        elif kind == "payout":
            before = ss.payouts.get(obj["id"])
            before = ss.payouts.served(ss.payouts.position[obj["id"]]) if before is not None else None
            created = ss.payouts.upsert(obj)
            served = ss.payouts.served(ss.payouts.position[obj["id"]])
        else:
            created = ss.charges.upsert(obj)
            served = obj
        out.extend(("stripe", conn_id, payload) for payload in _stripe_webhooks(ss, kind, served, created, before))
    else:
        item = state.plaid[conn_id]
        if op == "delete":
            item.delete(obj["transaction_id"])
        else:
            item.upsert(obj)
        out.append(("plaid", conn_id, plaid_sync_webhook(conn_id)))
    return out


def apply_events(state: SandboxState, n: int | None) -> tuple[int, list[tuple[str, str, dict]]]:
    """Apply the next n events (all when None); Plaid webhooks are coalesced per item."""
    with state.lock:
        todo = state.world.events[state.events_applied:]
        if n is not None:
            todo = todo[:max(0, n)]
        hooks: list[tuple[str, str, dict]] = []
        plaid_items: list[str] = []
        for event in todo:
            for provider, conn, payload in apply_event(state, event):
                if provider == "plaid":
                    if conn not in plaid_items:
                        plaid_items.append(conn)
                else:
                    hooks.append((provider, conn, payload))
            state.events_applied += 1
        hooks.extend(("plaid", item, plaid_sync_webhook(item)) for item in plaid_items)
        return len(todo), hooks
