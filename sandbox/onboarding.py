"""Onboard a company onto a running sandbox the way a person would: through each provider's
hosted connect page (Rutter Link, Stripe OAuth, Plaid Link stand-ins), then the same linking
and sync services production uses. Used by `run_world` and `make demo`."""

import html
import json
import re
import time
from contextlib import contextmanager
from urllib.parse import parse_qs, urlparse

import httpx
from django.test.utils import override_settings

from connections.models import Connection, ConnectionStatus
from connections.services.linking import (
    connection_link_plaid,
    connection_link_rutter,
    connection_link_stripe,
    plaid_link_token_create,
    stripe_oauth_start_url,
)
from connections.services.sync import connection_sync

CALLBACK = "http://127.0.0.1/connect/callback"


def sandbox_provider_settings(server) -> dict[str, str]:
    """Settings that point Tieout's real clients at a sandbox (production differs only here)."""
    c = server.credentials
    return {
        "RUTTER_BASE_URL": server.rutter_base_url, "RUTTER_CLIENT_ID": c.rutter_client_id,
        "RUTTER_CLIENT_SECRET": c.rutter_client_secret, "STRIPE_API_BASE": server.stripe_api_base,
        "STRIPE_CONNECT_BASE": server.stripe_connect_base, "STRIPE_SECRET_KEY": c.stripe_secret_key,
        "STRIPE_CLIENT_ID": c.stripe_client_id, "STRIPE_WEBHOOK_SECRET": c.stripe_webhook_secret,
        "STRIPE_REDIRECT_URI": c.stripe_redirect_uri,
        "PLAID_BASE_URL": server.plaid_base_url, "PLAID_CLIENT_ID": c.plaid_client_id,
        "PLAID_SECRET": c.plaid_secret, "PLAID_LINK_JS_URL": server.plaid_link_js_url,
        "RUTTER_PUBLIC_KEY": c.rutter_public_key,
        "RUTTER_LINK_JS_URL": f"{server.base_url}/rutter/link/rutter-link.js",
    }


@contextmanager
def using_sandbox(server):
    with override_settings(**sandbox_provider_settings(server)):
        yield


def _hosted_page(url: str, form: dict) -> dict[str, str]:
    """Submit a hosted connect page and read what it hands back on the redirect."""
    response = httpx.post(url, data=form, follow_redirects=False, timeout=10)
    if response.status_code not in (302, 303):
        raise RuntimeError(f"{url} did not redirect back (HTTP {response.status_code})")
    query = parse_qs(urlparse(response.headers["location"]).query)
    if "error" in query:
        raise RuntimeError(f"{url}: {query['error'][0]}")
    return {key: values[0] for key, values in query.items()}


def _rutter_link(server, connection_id: str) -> str:
    """What Rutter Link's window hands its opener (postMessage), read from the window's page."""
    key = server.credentials.rutter_public_key
    page = httpx.post(f"{server.base_url}/rutter/linkstart/{key}", timeout=10,
                      data={"connection": connection_id, "origin": "http://127.0.0.1", "nonce": "00000"})
    page.raise_for_status()
    found = re.search(r'<script type="application/json" id="link-result">(.*?)</script>', page.text)
    return json.loads(html.unescape(found.group(1)))["publicToken"]


def world_connections_link(*, company, server) -> list[Connection]:
    """Link every Rutter store, Stripe account and bank item of the sandbox's world."""
    linked = []
    for connection_id in list(server.state.rutter):
        public_token = _rutter_link(server, connection_id)
        linked.append(connection_link_rutter(company=company, public_token=public_token))
    for account_id in list(server.state.stripe):
        start = stripe_oauth_start_url(company=company)  # back to the registered redirect URI
        back = _hosted_page(start, {"account": account_id})
        linked.append(connection_link_stripe(company=company, state=back["state"], code=back["code"]))
    for item_id in list(server.state.plaid):
        # Link opens only with a link token made server-side, as with Plaid.
        form = {"item": item_id, "token": plaid_link_token_create(company=company), "redirect_uri": CALLBACK}
        back = _hosted_page(f"{server.base_url}/plaid/link", form)
        linked.append(connection_link_plaid(company=company, public_token=back["public_token"]))
    return linked


def connections_sync_all(*, company, timeout: float = 300, on_page=None) -> list[Connection]:
    """Sync every connection until each is ready (initial syncs wait for the provider)."""
    deadline = time.monotonic() + timeout
    pending = list(Connection.objects.filter(company=company).exclude(status=ConnectionStatus.DISABLED))
    while pending:
        waiting = []
        for connection in pending:
            connection_sync(connection=connection, on_page=on_page)
            connection.refresh_from_db()
            if connection.status == ConnectionStatus.PENDING_INITIAL_SYNC:
                waiting.append(connection)
            elif connection.status != ConnectionStatus.READY:
                raise RuntimeError(f"{connection.ref} sync failed: {connection.last_error}")
        if waiting and time.monotonic() > deadline:
            raise RuntimeError(f"still waiting for the initial sync of {[c.ref for c in waiting]}")
        if waiting:
            time.sleep(0.5)
        pending = waiting
    return list(Connection.objects.filter(company=company))
