"""Stripe's API under /stripe/v1 and Connect OAuth under /stripe-connect (https://docs.stripe.com).

The platform's secret key (Bearer, or Basic with the key as user name) plus a `Stripe-Account`
header select a connected account. Lists are newest-first with `limit` (1..100),
`starting_after`/`ending_before` and `has_more`; errors are `{"error": {type, code, message, param}}`.
"""

from __future__ import annotations

import hmac
import secrets
from html import escape
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from .httpkit import (
    Request,
    Response,
    html_response,
    int_param,
    json_response,
    raw_json_response,
    redirect,
)
from .state import StripeState

if TYPE_CHECKING:
    from .server import SandboxServer

MAX_LIMIT = 100
RANGE_OPS = ("gt", "gte", "lt", "lte")
# What Stripe answers to ?payout= naming a manual payout (HTTP 400, invalid_request_error, no
# code or param; "transfers" is a leftover from before payouts and transfers split). The `payout`
# parameter is "for automatic Stripe payouts only" (stripe-python 16.1.0,
# params/_balance_transaction_list_params.py); the wording is as quoted by Stripe users, e.g.
# https://github.com/singer-io/tap-stripe/pull/25 and https://github.com/proudcity/wp-proudcity/issues/993.
MANUAL_PAYOUT_MESSAGE = ("Balance transaction history can only be filtered on automatic transfers, "
                         "not manual.")


def error(status: int, message: str, *, type_="invalid_request_error", code=None, param=None,
          headers=None) -> Response:
    body = {"message": message, "type": type_}
    if code:
        body["code"] = code
        body["doc_url"] = f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}"
    if param:
        body["param"] = param
    return json_response(status, {"error": body}, headers)


def rate_limited(retry_after: float = 1.0) -> Response:
    return error(429, "Too many requests hit the API too quickly. We recommend an exponential "
                 "backoff of your requests.", code="rate_limit",
                 headers={"Retry-After": str(max(1, round(retry_after)))})


def server_error(status: int) -> Response:
    return error(status, "An unknown error occurred", type_="api_error")


def _authenticated(server: SandboxServer, req: Request) -> Response | None:
    key = req.bearer()
    if key is None and (auth := req.basic_auth()):
        key = auth[0]
    if not key:
        return error(401, "You did not provide an API key. You need to provide your API key in the "
                     "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').")
    if not hmac.compare_digest(key, server.credentials.stripe_secret_key):
        return error(401, f"Invalid API Key provided: {key[:8]}{'*' * 12}{key[-4:]}")
    return None


def handle_api(server: SandboxServer, req: Request) -> Response:
    if (denied := _authenticated(server, req)) is not None:
        return denied
    if server.stripe_limiter is not None:
        wait = server.stripe_limiter.allow(server.credentials.stripe_secret_key)
        if wait is not None:
            return rate_limited(wait)
    account_id = req.header("stripe-account")
    parts = [p for p in req.path.split("/") if p]
    if req.method == "GET" and parts[:2] == ["v1", "accounts"] and len(parts) == 3 and not account_id:
        account_id = parts[2]  # GET /v1/accounts/{id}: the platform reads a connected account
    with server.state.lock:
        acct = server.state.stripe.get(account_id) if account_id else None
        if account_id and (acct is None or acct.deauthorized):
            return _no_access(server, account_id)
        if req.method != "GET":
            return error(404, f"Unrecognized request URL ({req.method}: /v1{req.path}).")
        if parts in (["v1", "account"], ["v1", "accounts", account_id]):
            return json_response(200, _account_object(server, acct))
        return _route(acct, req)


def _no_access(server: SandboxServer, account_id: str) -> Response:
    """What Stripe answers a platform about an account not connected to it (or deauthorized):
    403 `account_invalid` (the Stripe-Account header and GET /v1/accounts/{id} alike)."""
    key = server.credentials.stripe_secret_key
    return error(403, f"The provided key '{key[:8]}{'*' * 12}{key[-4:]}' does not have access to "
                 f"account '{account_id}' (or that account does not exist). Application "
                 "access may have been revoked.", code="account_invalid")


def _account_object(server: SandboxServer, acct: StripeState | None) -> dict:
    """An Account object (the fields Tieout reads): a connected account, or the platform itself."""
    account_id = acct.acct.account_id if acct else server.credentials.stripe_platform_account
    return {"id": account_id, "object": "account", "type": "standard" if acct else None,
            "business_profile": {"name": f"Sandbox {account_id}"}, "email": None,
            "charges_enabled": True, "payouts_enabled": True, "country": "US", "default_currency": "usd"}


def _route(acct: StripeState | None, req: Request) -> Response:
    parts = [p for p in req.path.split("/") if p]
    if parts[:1] != ["v1"] or len(parts) not in (2, 3):
        return error(404, f"Unrecognized request URL (GET: {req.path}).")
    resource = parts[1]
    if resource not in ("payouts", "balance_transactions", "charges"):
        return error(404, f"Unrecognized request URL (GET: {req.path}).")
    if acct is None:  # the platform's own account: it holds no money in the sandbox
        if len(parts) == 3:
            return error(404, f"No such {resource[:-1]}: '{parts[2]}'", code="resource_missing", param="id")
        return json_response(200, {"object": "list", "data": [], "has_more": False, "url": f"/v1/{resource}"})
    coll = getattr(acct, resource)
    if len(parts) == 3:
        i = coll.position.get(parts[2])
        if i is None:
            return error(404, f"No such {resource[:-1].replace('_', ' ')}: '{parts[2]}'",
                         code="resource_missing", param="id")
        return raw_json_response(200, coll.encoded(i))
    return _list(acct, coll, req, resource)


def _range(query: dict, name: str) -> dict[str, int]:
    bounds = {}
    if name in query:
        bounds["eq"] = int_param(query[name], name)
    for op in RANGE_OPS:
        if f"{name}[{op}]" in query:
            bounds[op] = int_param(query[f"{name}[{op}]"], f"{name}[{op}]")
    return bounds


def _in_range(value, bounds: dict) -> bool:
    if not bounds:
        return True
    if value is None:
        return False
    checks = {"eq": value.__eq__, "gt": value.__gt__, "gte": value.__ge__, "lt": value.__lt__, "lte": value.__le__}
    return all(checks[op](bound) for op, bound in bounds.items())


def _list(acct: StripeState, coll, req: Request, resource: str) -> Response:
    q = req.query
    try:
        limit = int_param(q.get("limit"), "limit")
        created = _range(q, "created")
        arrival = _range(q, "arrival_date") if resource == "payouts" else {}
    except ValueError as exc:
        return error(400, f"Invalid integer: {exc}", code="parameter_invalid_integer")
    limit = 10 if limit is None else limit
    if not 1 <= limit <= MAX_LIMIT:
        return error(400, f"This value must be less than or equal to {MAX_LIMIT} (it currently is {limit}).",
                     code="parameter_invalid_integer", param="limit")
    if resource == "balance_transactions" and q.get("payout"):
        payout_id = q["payout"]
        payout = acct.payouts.get(payout_id)
        if payout is None:
            return error(404, f"No such payout: '{payout_id}'", code="resource_missing", param="payout")
        if not payout.get("automatic", True):
            return error(400, MANUAL_PAYOUT_MESSAGE)
        positions = acct.by_payout.get(payout_id, [])
    else:
        positions = None  # every object: walk the stored order directly, no list building
    after, before = q.get("starting_after"), q.get("ending_before")
    anchor = None
    if after or before:
        anchor = coll.position.get(after or before)
        if anchor is None or (positions is not None and anchor not in positions):
            param = "starting_after" if after else "ending_before"
            return error(400, f"No such object: '{after or before}'", code="resource_missing", param=param)
    # Stored oldest-first, listed newest-first: starting_after walks down, ending_before walks up.
    if positions is not None:
        if before:
            walk = [i for i in positions if i > anchor]
        else:
            walk = [i for i in reversed(positions) if anchor is None or i < anchor]
    elif before:
        walk = range(anchor + 1, len(coll.items))
    else:
        walk = range((len(coll.items) if anchor is None else anchor) - 1, -1, -1)
    type_filter, status_filter = q.get("type"), q.get("status")
    picked, has_more = [], False
    for i in walk:
        obj = coll.items[i]
        if obj is None or (type_filter and obj.get("type") != type_filter) \
                or (status_filter and obj.get("status") != status_filter) \
                or not _in_range(obj.get("created"), created) \
                or not _in_range(obj.get("arrival_date"), arrival):
            continue
        if len(picked) == limit:
            has_more = True
            break
        picked.append(i)
    if before:
        picked.reverse()
    url = f"/v1/{resource}".encode()
    body = (b'{"object":"list","data":[' + b",".join(coll.encoded(i) for i in picked)
            + b'],"has_more":' + (b"true" if has_more else b"false") + b',"url":"' + url + b'"}')
    return raw_json_response(200, body)


# --- Connect OAuth --------------------------------------------------------------------------


def handle_connect(server: SandboxServer, req: Request) -> Response:
    if req.path.rstrip("/") == "/oauth/authorize" and req.method in ("GET", "POST"):
        return _authorize(server, req)
    if req.path.rstrip("/") == "/oauth/token" and req.method == "POST":
        return _token(server, req)
    return json_response(404, {"error": "invalid_request", "error_description": f"Unknown path {req.path}"})


def _token(server: SandboxServer, req: Request) -> Response:
    form = req.form()
    secret = form.get("client_secret") or req.bearer() or (req.basic_auth() or ("",))[0]
    if not secret or not hmac.compare_digest(secret, server.credentials.stripe_secret_key):
        return json_response(401, {"error": "invalid_client",
                                   "error_description": "No valid API key provided."})
    if form.get("grant_type") != "authorization_code":
        return json_response(400, {"error": "unsupported_grant_type",
                                   "error_description": "Only authorization_code is supported."})
    with server.state.lock:
        acct = server.state.stripe_by_code.get(form.get("code", ""))
        if acct is not None:
            acct.deauthorized = False  # authorizing again restores the platform's access
            server.oauth_codes_spent.append(form.get("code", ""))
    if acct is None:
        return json_response(400, {"error": "invalid_grant",
                                   "error_description": f"Authorization code does not exist: {form.get('code', '')}"})
    return json_response(200, {
        "access_token": "sk_test_" + secrets.token_hex(12), "livemode": False,
        "refresh_token": "rt_" + secrets.token_hex(12), "token_type": "bearer",
        "stripe_publishable_key": "pk_test_" + secrets.token_hex(12),
        "stripe_user_id": acct.acct.account_id, "scope": form.get("scope") or "read_write"})


def _authorize(server: SandboxServer, req: Request) -> Response:
    params = {**req.query, **(req.form() if req.method == "POST" else {})}
    if params.get("client_id") != server.credentials.stripe_client_id:
        return html_response(400, "<h1>Invalid client_id</h1>")
    # Stripe requires redirect_uri to equal a registered one exactly and defaults to the one
    # registered (stripe-python 16.1.0 `_oauth.py`); it cannot redirect anywhere else, so an
    # unregistered one gets an error page, not a redirect.
    registered = server.credentials.stripe_redirect_uri
    redirect_uri = params.get("redirect_uri") or registered
    if not redirect_uri or redirect_uri != registered:
        return html_response(400, "<h1>invalid_redirect_uri</h1><p>Invalid redirect URI "
                             f"'{escape(redirect_uri)}': it must match one registered in the "
                             "platform's Connect settings exactly.</p>")
    back = {"state": params.get("state", "")}
    if params.get("response_type", "code") != "code":
        back.update(error="unsupported_response_type", error_description="The only response_type is code.")
        return redirect(_with_query(redirect_uri, back))
    # "Only Extensions can use read_only" (https://stripe.com/docs/connect/oauth-changes-for-standard-platforms).
    if params.get("scope") == "read_only" and not server.credentials.stripe_is_extension:
        back.update(error="invalid_scope", error_description="Only Stripe Extensions may request the "
                    "read_only scope; a platform requests read_write.")
        return redirect(_with_query(redirect_uri, back))
    if req.method == "POST" and params.get("account"):
        acct = server.state.stripe.get(params["account"])
        if acct is None or not acct.acct.oauth_code:
            back.update(error="access_denied", error_description="The user denied your request")
        else:
            back.update(code=acct.acct.oauth_code, scope=params.get("scope") or "read_write")
        return redirect(_with_query(redirect_uri, back))
    from .link_pages import choose_page
    choices = [(a.acct.account_id, a.acct.account_id) for a in server.state.stripe.values()]
    return html_response(200, choose_page("Connect your Stripe account", choices, "account", params))


def _with_query(uri: str, query: dict) -> str:
    return uri + ("&" if "?" in uri else "?") + urlencode(query)
