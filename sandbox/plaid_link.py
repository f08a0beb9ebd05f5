"""Plaid Link in the sandbox: `/link/token/create`, the Link page, and a stand-in of Link's JS.

Real Link needs a `link_token` created server-side (plaid-openapi `LinkTokenCreateRequest`:
client_name, language, country_codes required; `user.client_user_id` required unless `user_id`;
`webhook`, `products`, `redirect_uri`, `access_token` for update mode). The response is
{link_token, expiration (ISO 8601: 4 h, 30 min in update mode), request_id}. Link refuses a
missing, unknown or expired token with INVALID_LINK_TOKEN (https://plaid.com/docs/link/handle-invalid-link-token/).

    GET  /plaid/link?token=…[&redirect_uri=…&state=…]   choose a bank item (only the token's own
                                                       item in update mode)
    POST /plaid/link                                   mint a public_token for (link token, item):
                                                       302 to redirect_uri?public_token=…&state=…,
                                                       or, opened by the JS, postMessage it back
    GET  /plaid/link/v2/stable/link-initialize.js      window.Plaid.create(...) (plaid_link_js.py)
"""

from __future__ import annotations

import json
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from .httpkit import Request, Response, html_response, json_response, redirect
from .plaid_link_js import LINK_JS

if TYPE_CHECKING:
    from .server import SandboxServer

JS_PATH = "/link/v2/stable/link-initialize.js"
TOKEN_TTL = 4 * 3600  # seconds; Plaid: 4 hours for a new Item
UPDATE_TOKEN_TTL = 30 * 60  # update mode
MESSAGE_SOURCE = "tieout-plaid-link"  # tags the page's postMessage for the JS stand-in
INVALID_LINK_TOKEN = {"error_type": "INVALID_INPUT", "error_code": "INVALID_LINK_TOKEN",
                      "error_message": "invalid link_token provided", "display_message": None}
_JS = LINK_JS.encode()


@dataclass
class LinkToken:
    token: str
    expires_at: float  # Unix seconds
    client_user_id: str
    webhook: str | None = None
    item_id: str | None = None  # update mode: the only item this token may link
    products: tuple[str, ...] = ()

    def valid(self) -> bool:
        return time.time() < self.expires_at


def _str(body: dict, key: str) -> str | None:
    value = body.get(key)
    return value if isinstance(value, str) and value.strip() else None


def link_token_create(server: SandboxServer, body: dict, error) -> Response:
    """POST /link/token/create (credentials already checked by plaid_api.handle)."""
    user = body.get("user") if isinstance(body.get("user"), dict) else {}
    missing = [k for k in ("client_name", "language") if not _str(body, k)]
    codes = body.get("country_codes")
    if not isinstance(codes, list) or not codes:
        missing.append("country_codes")
    if not _str(user, "client_user_id") and not _str(body, "user_id"):
        missing.append("user.client_user_id")
    if missing:
        return error(400, "INVALID_REQUEST", "MISSING_FIELDS",
                     "the following required fields are missing: " + ", ".join(missing))
    products = body.get("products") or []
    webhook = body.get("webhook")
    if not isinstance(products, list) or not all(isinstance(p, str) for p in products):
        return error(400, "INVALID_REQUEST", "INVALID_FIELD", "products must be a list of strings")
    if webhook is not None and not (isinstance(webhook, str) and webhook.startswith(("http://", "https://"))):
        return error(400, "INVALID_REQUEST", "INVALID_FIELD", "webhook must be a valid URL")
    item_id = None
    if body.get("access_token") is not None:  # update mode
        item = server.state.plaid_by_token.get(str(body["access_token"]))
        if item is None:
            return error(400, "INVALID_INPUT", "INVALID_ACCESS_TOKEN",
                         "provided access token is in an invalid format. expected format: "
                         "access-<environment>-<identifier>")
        item_id = item.item.item_id
    elif not products:
        return error(400, "INVALID_REQUEST", "MISSING_FIELDS",
                     "the following required fields are missing: products")
    ttl = UPDATE_TOKEN_TTL if item_id else TOKEN_TTL
    token = LinkToken(token=f"link-sandbox-{uuid.uuid4()}", expires_at=time.time() + ttl,
                      client_user_id=_str(user, "client_user_id") or str(body.get("user_id")),
                      webhook=webhook, item_id=item_id, products=tuple(products))
    server.state.plaid_link_tokens[token.token] = token
    expiration = datetime.fromtimestamp(token.expires_at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return json_response(200, {"link_token": token.token, "expiration": expiration,
                               "request_id": secrets.token_urlsafe(6)})


def _valid_token(server: SandboxServer, value: str | None) -> LinkToken | None:
    token = server.state.plaid_link_tokens.get(value or "")
    return token if token is not None and token.valid() else None


def _page(title: str, body: str, message: dict | None = None, status: int = 200) -> Response:
    # Opened by the JS stand-in, the page reports to its opener (the JS checks event.source and
    # origin); opened any other way it is a plain page.
    payload = json.dumps(message).replace("</", "<\\/")  # no "</script>" inside the script
    script = (f"<script>if (window.opener) window.opener.postMessage({payload}, '*');</script>"
              if message else "")
    return html_response(status, f"<!doctype html><html><head><title>{escape(title)}</title></head>"
                                 f"<body><h1>{escape(title)}</h1>{body}{script}</body></html>")


def _invalid_token() -> Response:
    return _page("Plaid Link: invalid link token",
                 f"<p class=\"error\">{INVALID_LINK_TOKEN['error_code']}: "
                 f"{INVALID_LINK_TOKEN['error_message']}</p>",
                 {"source": MESSAGE_SOURCE, "type": "EXIT", "error": INVALID_LINK_TOKEN,
                  "metadata": {"institution": None, "status": None}}, status=400)


def _metadata(item) -> dict:
    """onSuccess metadata as Link gives it (https://plaid.com/docs/link/web/#onsuccess)."""
    accounts = [{"id": a["account_id"], "name": a.get("name"), "mask": a.get("mask"), "type": a.get("type"),
                 "subtype": a.get("subtype"), "verification_status": None, "class_type": None}
                for a in item.accounts]
    return {"institution": {"name": _label(item), "institution_id": "ins_sandbox"}, "accounts": accounts,
            "transfer_status": None}


def _label(item) -> str:
    first = item.accounts[0] if item.accounts else {}
    return first.get("official_name") or first.get("name") or item.item.item_id


def link_page(server: SandboxServer, req: Request) -> Response:
    """The Link stand-in: needs a valid link token, hands back a public_token for its item."""
    params = {**req.query, **(req.form() if req.method == "POST" else {})}
    with server.state.lock:
        token = _valid_token(server, params.get("token"))
        if token is None:
            return _invalid_token()
        items = [i for i in server.state.plaid.values() if token.item_id in (None, i.item.item_id)]
        if req.method == "POST" and params.get("item"):
            item = next((i for i in items if i.item.item_id == params["item"]), None)
            if item is None:
                return html_response(400, "<h1>Unknown item</h1>")
            public_token = f"public-sandbox-{uuid.uuid4()}"
            server.state.plaid_by_public[public_token] = item
            server.state.plaid_public_links[public_token] = token
            metadata = {**_metadata(item), "public_token": public_token,
                        "link_session_id": params.get("link_session_id")}
    if req.method == "POST" and params.get("item"):
        redirect_uri = params.get("redirect_uri")
        if redirect_uri:
            sep = "&" if "?" in redirect_uri else "?"
            return redirect(redirect_uri + sep + urlencode({"public_token": public_token,
                                                            "state": params.get("state", "")}))
        return _page("Connected", f"<p>public_token: <code>{escape(public_token)}</code></p>",
                     {"source": MESSAGE_SOURCE, "type": "SUCCESS", "public_token": public_token,
                      "metadata": metadata})
    from .link_pages import choose_page

    choices = [(i.item.item_id, _label(i)) for i in items]
    return html_response(200, choose_page("Connect your bank (Plaid Link sandbox)", choices, "item", params))


def link_js() -> Response:
    return Response(200, _JS, {"Cache-Control": "no-cache"}, "text/javascript; charset=utf-8")
