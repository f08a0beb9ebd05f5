"""Rutter's unified commerce API under /rutter/versioned (https://docs.rutter.com).

HTTP Basic client_id:client_secret, a required X-Rutter-Version, `access_token` per connection,
cursor pagination (`cursor` -> `next_cursor`), millisecond time filters, PRODUCT_NOT_READY (409)
until the connection's initial sync is done, and 500 requests / 10 s per organization (429).
"""

from __future__ import annotations

import hmac
import json
from typing import TYPE_CHECKING

from ledger.platforms import supports

from . import rutter_shapes as shapes
from .httpkit import (
    Request,
    Response,
    decode_cursor,
    encode_cursor,
    int_param,
    json_response,
    raw_json_response,
)
from .state import RutterState

if TYPE_CHECKING:
    from .server import SandboxServer

VERSIONS = ("2023-02-07", "2023-03-14", "2024-04-30", "2024-08-31")
DEFAULT_LIMIT = 50
MAX_LIMIT = 500

# list endpoint -> (object kind, response key)
LISTS = {"/orders": ("order", "orders"), "/transactions": ("transaction", "transactions"),
         "/payouts": ("payout", "payouts"), "/customers": ("customer", "customers")}
SINGLES = ("/orders", "/customers")  # the only GET-one endpoints in Rutter's OpenAPI
SINGLE_KEYS = {"order": "order", "customer": "customer"}
# The catalogue's endpoint names, by object kind (customers come with orders).
ENDPOINTS = {"order": "orders", "customer": "orders", "transaction": "transactions", "payout": "payouts"}
ORG_ID = "7a1e3b52-5d0c-4a7e-9a53-3f0c2b9d8e61"  # the sandbox's Rutter organization
FORCE_FETCH_KINDS = {"order", "transaction"}  # the docs: force_fetch works for these two only
TIME_FILTERS = ("created_at", "updated_at", "arrival_at")


def error(status: int, error_type: str, code: str, message: str, headers=None) -> Response:
    return json_response(status, {"error_type": error_type, "error_code": code,
                                  "error_message": message}, headers)


def bad_request(code: str, message: str) -> Response:
    return error(400, "INVALID_REQUEST", code, message)


def invalid_credentials() -> Response:
    return error(401, "CONNECTION_ERROR", "INVALID_CREDENTIALS",
                 "Invalid credentials to access this connection.")


def rate_limited(retry_after: float) -> Response:
    return error(429, "RATE_LIMIT_ERROR", "RATE_LIMIT_EXCEEDED",
                 "Too many requests: Rutter allows 500 requests per 10 seconds per organization.",
                 {"Retry-After": str(max(1, round(retry_after + 0.5)))})


def server_error(status: int) -> Response:
    return error(status, "RUTTER_ERROR", "INTERNAL_SERVER_ERROR",
                 "An internal error occurred. Please retry the request.")


def handle(server: SandboxServer, req: Request) -> Response:
    creds = server.credentials
    auth = req.basic_auth()
    if req.method == "POST" and req.path.rstrip("/") == "/item/public_token/exchange":
        # The exchange is authenticated by its body (ExchangeTokenBody: client_id, secret,
        # public_token, all required), not by the Basic header of the other calls.
        body = req.json() or {}
        missing = [f for f in ("client_id", "secret", "public_token") if not body.get(f)]
        if missing:
            return bad_request("MISSING_REQUIRED_FIELDS",
                               f"The request body is missing {', '.join(missing)}.")
        auth = (str(body["client_id"]), str(body["secret"]))
    if server.rutter_limiter is not None:
        wait = server.rutter_limiter.allow(auth[0] if auth else "anonymous")
        if wait is not None:
            return rate_limited(wait)
    if auth is None or not (hmac.compare_digest(auth[0], creds.rutter_client_id)
                            and hmac.compare_digest(auth[1], creds.rutter_client_secret)):
        return invalid_credentials()
    version = req.header("x-rutter-version")
    if version not in VERSIONS:
        what = "is missing" if not version else f"{version!r} is not a valid version"
        return bad_request("INVALID_VERSION", f"The X-Rutter-Version header {what}; "
                           f"use one of {', '.join(VERSIONS)}.")
    with server.state.lock:
        return _route(server, req)


def _route(server: SandboxServer, req: Request) -> Response:
    path = req.path.rstrip("/") or "/"
    if path == "/item/public_token/exchange":
        return _exchange(server, req) if req.method == "POST" else _not_found(path)
    if req.method != "GET":
        return _not_found(path)
    if path == "/connections":
        # ListConnectionsResponse items carry no store name (tests/contracts/rutter/connections.list…).
        listed = [{k: v for k, v in _connection(s).items() if k != "store_unique_name"}
                  for s in server.state.rutter.values()]
        return json_response(200, {"connections": listed})
    if path in ("/connections/access_token", "/connections/status"):
        rs = _connection_for(server, req)
        if isinstance(rs, Response):
            return rs
        if path == "/connections/access_token":
            return json_response(200, {"connection": _connection(rs)})
        return json_response(200, _status(rs))
    if path in LISTS:
        return _list(server, req, *LISTS[path])
    head, _, object_id = path.rpartition("/")
    if head in SINGLES and object_id:  # Rutter has no GET of one transaction or payout
        return _single(server, req, LISTS[head][0], object_id)
    return _not_found(path)


def _not_found(path: str) -> Response:
    return error(404, "INVALID_REQUEST", "ENDPOINT_NOT_FOUND", f"No endpoint at {path}.")


def _exchange(server: SandboxServer, req: Request) -> Response:
    body = req.json()
    if body is None or not body.get("public_token"):
        return bad_request("MISSING_REQUIRED_FIELDS", "public_token is required.")
    rs = server.state.rutter_by_public.get(body["public_token"])
    if rs is None:
        return bad_request("INVALID_PUBLIC_TOKEN", "The public_token is invalid or expired.")
    server.on_rutter_exchange(rs)
    return json_response(200, {"connection_id": rs.conn.connection_id,
                               "access_token": rs.conn.access_token, "is_ready": rs.ready,
                               "platform": rs.conn.platform,
                               "store_unique_name": rs.conn.store_name})


def _connection(rs: RutterState) -> dict:
    return {"id": rs.conn.connection_id, "access_token": rs.conn.access_token,
            "platform": rs.conn.platform, "store_unique_name": rs.conn.store_name,
            "link_url": f"https://link.rutterapi.com/connection/{rs.conn.connection_id}",
            "created_at": rs.created_at, "updated_at": rs.created_at}


def _status(rs: RutterState) -> dict:
    return {"connection": {**_connection(rs), "status": "active" if rs.ready else "not_ready"},
            "is_ready": rs.ready,
            "initial_sync": {"status": "completed" if rs.ready else "in_progress"}}


def _connection_for(server: SandboxServer, req: Request) -> RutterState | Response:
    token = req.query.get("access_token")
    if not token:
        return bad_request("MISSING_REQUIRED_FIELDS", "The access_token query parameter is required.")
    rs = server.state.rutter_by_token.get(token)
    return rs if rs is not None else invalid_credentials()


def _gate(server: SandboxServer, req: Request, kind: str) -> RutterState | Response:
    rs = _connection_for(server, req)
    if isinstance(rs, Response):
        return rs
    force = req.query.get("force_fetch", "").lower() == "true" and kind in FORCE_FETCH_KINDS
    if not rs.ready and not force:
        return error(409, "CONNECTION_ERROR", "PRODUCT_NOT_READY",
                     "the requested product is not yet ready. please try the request again later")
    if not supports(rs.conn.platform, ENDPOINTS[kind]):
        # Rutter: 404 = "an endpoint is not implemented or is not supported for a given platform"
        # (docs.rutter.com/rest/2023-03-14/errors); support per platform is the OpenAPI's
        # x-supported-platforms, which the platform catalogue holds.
        return error(404, "INVALID_REQUEST", "ENDPOINT_NOT_SUPPORTED",
                     f"/{ENDPOINTS[kind]} is not supported for {rs.conn.platform}.")
    return rs


def _single(server: SandboxServer, req: Request, kind: str, object_id: str) -> Response:
    rs = _gate(server, req, kind)
    if isinstance(rs, Response):
        return rs
    coll = rs.collection(kind)
    i = coll.position.get(object_id)
    if i is None:
        return error(410, "INVALID_REQUEST", "RESOURCE_NOT_FOUND", f"No {kind} with id {object_id}.")
    envelope = json.dumps({"id": rs.conn.connection_id, "orgId": ORG_ID, "platform": rs.conn.platform})
    return raw_json_response(200, b'{"connection":' + envelope.encode() + b',"' + SINGLE_KEYS[kind].encode()
                             + b'":' + coll.encoded(i) + b"}")


def _list(server: SandboxServer, req: Request, kind: str, key: str) -> Response:
    rs = _gate(server, req, kind)
    if isinstance(rs, Response):
        return rs
    q = req.query
    try:
        limit = int_param(q.get("limit"), "limit") or DEFAULT_LIMIT
        start = decode_cursor(q["cursor"]) if q.get("cursor") else 0
        bounds = {}
        for name in TIME_FILTERS:
            low, high = int_param(q.get(f"{name}_min"), f"{name}_min"), int_param(q.get(f"{name}_max"), f"{name}_max")
            if low is not None or high is not None:
                bounds[name] = (low, high)
    except ValueError as exc:
        return bad_request("INVALID_PARAMETER", str(exc))
    if not 1 <= limit <= MAX_LIMIT:
        return bad_request("INVALID_PARAMETER", f"limit must be between 1 and {MAX_LIMIT}.")
    expand = None
    if q.get("expand"):
        # ListOrdersQuery.expand: "transactions" is its only value, and only /orders has it.
        if kind != "order" or q["expand"] != "transactions":
            return bad_request("INVALID_PARAMETER", f"expand={q['expand']} is not supported on /{key}.")
        expand = rs.transactions_by_order()
    coll = rs.collection(kind)
    picked: list[bytes] = []
    next_cursor = None
    for i in coll.scan(start):
        if len(picked) == limit:
            next_cursor = encode_cursor(i)
            break
        if bounds and not _within(coll, i, bounds):
            continue
        picked.append(coll.encoded(i) if not expand else _with_transactions(coll.items[i], expand))
    cursor_json = b"null" if next_cursor is None else b'"' + next_cursor.encode() + b'"'
    envelope = json.dumps({"id": rs.conn.connection_id, "orgId": ORG_ID, "platform": rs.conn.platform})
    body = (b'{"connection":' + envelope.encode() + b',"' + key.encode() + b'":[' + b",".join(picked)
            + b'],"next_cursor":' + cursor_json + b"}")
    return raw_json_response(200, body)


def _within(coll, i: int, bounds: dict) -> bool:
    for name, (low, high) in bounds.items():
        value = coll.ms(i, name)
        if value is None or (low is not None and value < low) or (high is not None and value > high):
            return False
    return True


def _with_transactions(order: dict, by_order: dict[str, list[dict]]) -> bytes:
    """An order with its `transactions` (Order.transactions, "included if you pass the
    expand=transactions query parameter")."""
    served = {**shapes.order(order), "transactions": [shapes.transaction(t) for t in by_order.get(order["id"], ())]}
    return json.dumps(served, separators=(",", ":")).encode()
