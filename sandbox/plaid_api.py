"""Plaid's API under /plaid (https://plaid.com/docs/api/): JSON POSTs carrying client_id + secret
(or PLAID-CLIENT-ID / PLAID-SECRET headers), errors as
{error_type, error_code, error_message, display_message, request_id, ...}."""

from __future__ import annotations

import base64
import hmac
import secrets
from typing import TYPE_CHECKING

from . import plaid_link, plaid_shapes
from .httpkit import Request, Response, decode_cursor, encode_cursor, json_response

if TYPE_CHECKING:
    from .server import SandboxServer

MAX_SYNC_COUNT = 500
DEFAULT_SYNC_COUNT = 100


def _request_id() -> str:
    return secrets.token_urlsafe(6)


def error(status: int, error_type: str, code: str, message: str, headers=None) -> Response:
    return json_response(status, {
        "error_type": error_type, "error_code": code, "error_code_reason": None,
        "error_message": message, "display_message": None, "request_id": _request_id(),
        "causes": [], "status": status,
        "documentation_url": f"https://plaid.com/docs/errors/{error_type.lower().replace('_', '-')}/",
        "suggested_action": None}, headers)


def rate_limited(retry_after: float = 1.0) -> Response:
    return error(429, "RATE_LIMIT_EXCEEDED", "RATE_LIMIT",
                 "rate limit exceeded for attempts to access this item. please try again later",
                 {"Retry-After": str(max(1, round(retry_after)))})


def server_error(status: int) -> Response:
    return error(status, "API_ERROR", "INTERNAL_SERVER_ERROR",
                 "an unexpected error occurred", {})


def handle(server: SandboxServer, req: Request) -> Response:
    path = req.path.rstrip("/")
    if path == "/link" and req.method in ("GET", "POST"):
        return plaid_link.link_page(server, req)
    if path == plaid_link.JS_PATH and req.method in ("GET", "HEAD"):
        return plaid_link.link_js()
    if req.method != "POST":
        return error(404, "INVALID_REQUEST", "NOT_FOUND", f"unknown endpoint {req.path}")
    body = req.json()
    if body is None:
        return error(400, "INVALID_REQUEST", "INVALID_BODY",
                     "body could not be parsed as JSON")
    client_id = body.get("client_id") or req.header("plaid-client-id")
    secret = body.get("secret") or req.header("plaid-secret")
    if not client_id or not secret:
        return error(400, "INVALID_REQUEST", "MISSING_FIELDS",
                     "the following required fields are missing: client_id, secret")
    creds = server.credentials
    if not (hmac.compare_digest(str(client_id), creds.plaid_client_id)
            and hmac.compare_digest(str(secret), creds.plaid_secret)):
        return error(400, "INVALID_INPUT", "INVALID_API_KEYS",
                     "invalid client_id or secret provided")
    handler = ROUTES.get(path)
    if handler is None:
        return error(404, "INVALID_REQUEST", "NOT_FOUND", f"unknown endpoint {req.path}")
    with server.state.lock:
        return handler(server, body)


def _exchange(server: SandboxServer, body: dict) -> Response:
    item = server.state.plaid_by_public.get(str(body.get("public_token", "")))
    if item is None:
        return error(400, "INVALID_INPUT", "INVALID_PUBLIC_TOKEN",
                     "provided public token is in an invalid format. expected format: "
                     "public-<environment>-<identifier>")
    link = server.state.plaid_public_links.get(str(body.get("public_token", "")))
    if link is not None and link.webhook:  # Plaid sets the item's webhook from the link token
        item.webhook = link.webhook
    server.on_plaid_exchange(item)
    return json_response(200, {"access_token": item.item.access_token, "item_id": item.item.item_id,
                               "request_id": _request_id()})


def _item(server: SandboxServer, body: dict):
    item = server.state.plaid_by_token.get(str(body.get("access_token", "")))
    if item is None:
        return error(400, "INVALID_INPUT", "INVALID_ACCESS_TOKEN",
                     "provided access token is in an invalid format. expected format: "
                     "access-<environment>-<identifier>")
    return item


def _item_json(item) -> dict:
    return {"item_id": item.item.item_id, "institution_id": "ins_sandbox", "webhook": item.webhook,
            "error": None, "available_products": [], "billed_products": ["transactions"],
            "products": ["transactions"], "consent_expiration_time": None,
            "update_type": "background"}


def _accounts(server: SandboxServer, body: dict) -> Response:
    item = _item(server, body)
    if isinstance(item, Response):
        return item
    return json_response(200, {"accounts": item.accounts, "item": _item_json(item),
                               "request_id": _request_id()})


def _sync(server: SandboxServer, body: dict) -> Response:
    item = _item(server, body)
    if isinstance(item, Response):
        return item
    count = body.get("count", DEFAULT_SYNC_COUNT)
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MAX_SYNC_COUNT:
        return error(400, "INVALID_REQUEST", "INVALID_FIELD",
                     f"count must be an integer between 1 and {MAX_SYNC_COUNT}")
    cursor = body.get("cursor") or ""
    try:
        start, upto = _read_cursor(cursor) if cursor else (0, None)
    except ValueError:
        return error(400, "INVALID_REQUEST", "INVALID_FIELD", "cursor is not a valid cursor")
    if start > len(item.log) or (upto is not None and start > upto):
        return error(400, "INVALID_REQUEST", "INVALID_FIELD", "cursor is not a valid cursor")
    if upto is not None and upto != len(item.log):
        # A mid-update cursor names the update it belongs to; once the log has moved on, Plaid
        # refuses it and the client must restart from the update's first cursor
        # (https://plaid.com/docs/errors/transactions/, plaid-openapi /transactions/sync).
        return error(400, "TRANSACTIONS_ERROR", "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION",
                     "Underlying transaction data changed since last page was fetched. "
                     "Please restart pagination from last update.")
    upto = len(item.log) if upto is None else upto  # an update covers the log as it was at its start
    page = item.log[start:min(start + count, upto)]
    # Completed per page, not at load: a world of minimal lines stays small in memory.
    added = [plaid_shapes.transaction(t) for kind, t in page if kind == "added"]
    modified = [plaid_shapes.transaction(t) for kind, t in page if kind == "modified"]
    removed = [{"transaction_id": t["transaction_id"], "account_id": t["account_id"]}
               for kind, t in page if kind == "removed"]
    end = start + len(page)
    has_more = end < upto
    return json_response(200, {
        "accounts": item.accounts, "added": added, "modified": modified, "removed": removed,
        "next_cursor": _mid_cursor(end, upto) if has_more else encode_cursor(end), "has_more": has_more,
        "transactions_update_status": "HISTORICAL_UPDATE_COMPLETE", "request_id": _request_id()})


def _mid_cursor(position: int, upto: int) -> str:
    """A cursor inside an update (has_more was true): valid only while the log is unchanged."""
    return base64.urlsafe_b64encode(f"upd:{position}:{upto}".encode()).decode().rstrip("=")


def _read_cursor(cursor: str) -> tuple[int, int | None]:
    """(position, end of the update it is inside, or None for a cursor that ended an update)."""
    try:
        return decode_cursor(cursor), None
    except ValueError:
        pass
    try:
        text = base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode()).decode()
    except (ValueError, UnicodeDecodeError):
        raise ValueError("invalid cursor") from None
    prefix, _, rest = text.partition(":")
    position, _, upto = rest.partition(":")
    if prefix != "upd" or not position.isdigit() or not upto.isdigit():
        raise ValueError("invalid cursor")
    return int(position), int(upto)


def _verification_key(server: SandboxServer, body: dict) -> Response:
    if body.get("key_id") != server.plaid_signer.kid:
        return error(400, "INVALID_INPUT", "INVALID_WEBHOOK_VERIFICATION_KEY_ID",
                     "invalid key_id provided")
    return json_response(200, {"key": server.plaid_signer.jwk(), "request_id": _request_id()})


def _link_token_create(server: SandboxServer, body: dict) -> Response:
    return plaid_link.link_token_create(server, body, error)


def _institutions(server: SandboxServer, body: dict) -> Response:
    """POST /institutions/get: one sandbox institution (what Tieout's key check asks)."""
    count = body.get("count")
    if not isinstance(count, int) or not 1 <= count <= 500 or not body.get("country_codes"):
        return error(400, "INVALID_REQUEST", "INVALID_FIELD", "count must be 1..500 and country_codes is required")
    institution = {"institution_id": "ins_109508", "name": "First Platypus Bank", "products": ["transactions"],
                   "country_codes": ["US"], "routing_numbers": [], "oauth": False}
    return json_response(200, {"institutions": [institution], "total": 1, "request_id": _request_id()})


ROUTES = {
    "/institutions/get": _institutions,
    "/link/token/create": _link_token_create,
    "/item/public_token/exchange": _exchange,
    "/transactions/sync": _sync,
    "/accounts/get": _accounts,
    "/webhook_verification_key/get": _verification_key,
}
