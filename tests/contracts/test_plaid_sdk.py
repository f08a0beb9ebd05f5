"""Plaid's official SDK (plaid-python) drives the sandbox over loopback HTTP.

The calls are the ones Tieout's sync makes (its own httpx client speaks the same protocol). The
SDK validates every response against its strict models (`_check_return_type`, on by default): a
missing required key raises `TypeError` / `plaid.exceptions.ApiValueError`, so any simulator
response the SDK would reject fails here. Non-2xx answers raise `plaid.ApiException` with the
status and Plaid's JSON error body. The SDK sends credentials as PLAID-CLIENT-ID / PLAID-SECRET
headers, not in the body.
"""

import json
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import plaid
import pytest
from plaid.api import plaid_api
from plaid.model.accounts_get_request import AccountsGetRequest
from plaid.model.country_code import CountryCode
from plaid.model.item_public_token_exchange_request import ItemPublicTokenExchangeRequest
from plaid.model.link_token_create_request import LinkTokenCreateRequest
from plaid.model.link_token_create_request_user import LinkTokenCreateRequestUser
from plaid.model.products import Products
from plaid.model.transactions_sync_request import TransactionsSyncRequest
from plaid.model.webhook_verification_key_get_request import WebhookVerificationKeyGetRequest

from sandbox.server import SandboxServer
from sandbox.world import world_from_dict
from tests.sandbox.conftest import build_world

MISSION = Path(__file__).parents[1] / "data" / "mission-example.world.json"


def sdk_for(server: SandboxServer, *, client_id=None, secret=None) -> plaid_api.PlaidApi:
    c = server.credentials
    cfg = plaid.Configuration(host=server.plaid_base_url,
                              api_key={"clientId": client_id or c.plaid_client_id,
                                       "secret": secret or c.plaid_secret})
    return plaid_api.PlaidApi(plaid.ApiClient(cfg))


@pytest.fixture(params=["hand-built", "generated"])
def served(request):
    """A sandbox over a hand-built world (keys left out) or a generator-made one."""
    raw = build_world() if request.param == "hand-built" else json.loads(MISSION.read_text())
    with SandboxServer(world_from_dict(raw)) as server:
        yield server, raw["plaid"][0]


def _error(exc: plaid.ApiException) -> dict:
    return json.loads(exc.body)


def sync_all(sdk, access_token: str, cursor: str = "", count: int = 7) -> tuple[dict, str]:
    seen: dict = {}
    while True:
        request = TransactionsSyncRequest(access_token=access_token, count=count,
                                          **({"cursor": cursor} if cursor else {}))
        page = sdk.transactions_sync(request)
        for txn in [*page.added, *page.modified]:
            seen[txn.transaction_id] = txn
        for gone in page.removed:
            seen.pop(gone.transaction_id, None)
        cursor = page.next_cursor
        if not page.has_more:
            return seen, cursor


def test_it_creates_a_link_token_whose_link_session_yields_an_exchangeable_public_token(served):
    server, item = served
    sdk = sdk_for(server)
    created = sdk.link_token_create(LinkTokenCreateRequest(
        client_name="Tieout", language="en", country_codes=[CountryCode("US")],
        user=LinkTokenCreateRequestUser(client_user_id="company-1"), products=[Products("transactions")],
        webhook="https://tieout.example/webhooks/plaid"))
    assert created.link_token.startswith("link-sandbox-") and created.expiration > datetime.now(UTC)
    back = httpx.post(server.plaid_base_url + "/link", data={
        "token": created.link_token, "item": item["item_id"], "redirect_uri": "http://app.test/cb"})
    public_token = parse_qs(urlsplit(back.headers["location"]).query)["public_token"][0]
    exchanged = sdk.item_public_token_exchange(ItemPublicTokenExchangeRequest(public_token=public_token))
    assert exchanged.item_id == item["item_id"]
    accounts = sdk.accounts_get(AccountsGetRequest(access_token=exchanged.access_token))
    assert accounts.item.webhook == "https://tieout.example/webhooks/plaid"


def test_it_exchanges_a_public_token_and_reads_accounts(served):
    server, item = served
    sdk = sdk_for(server)
    exchanged = sdk.item_public_token_exchange(ItemPublicTokenExchangeRequest(public_token=item["public_token"]))
    assert exchanged.item_id == item["item_id"] and exchanged.access_token == item["access_token"]
    accounts = sdk.accounts_get(AccountsGetRequest(access_token=exchanged.access_token))
    assert [a.account_id for a in accounts.accounts] == [a["account_id"] for a in item["accounts"]]
    assert accounts.item.item_id == item["item_id"]


def test_it_pages_every_transaction_through_transactions_sync(served):
    server, item = served
    sdk = sdk_for(server)
    seen, cursor = sync_all(sdk, item["access_token"])
    assert set(seen) == {t["transaction_id"] for t in item["transactions"]}
    txn = next(iter(seen.values()))
    assert txn.location.city is None and txn.payment_meta.reference_number is None
    again = sdk.transactions_sync(TransactionsSyncRequest(access_token=item["access_token"], cursor=cursor))
    assert (again.added, again.has_more, again.next_cursor) == ([], False, cursor)


def test_it_serves_the_webhook_verification_key(served):
    server, _ = served
    key = sdk_for(server).webhook_verification_key_get(
        WebhookVerificationKeyGetRequest(key_id=server.plaid_signer.kid)).key
    assert (key.alg, key.crv, key.kty, key.kid) == ("ES256", "P-256", "EC", server.plaid_signer.kid)


def test_it_refuses_invalid_api_keys(served):
    server, item = served
    with pytest.raises(plaid.ApiException) as caught:
        sdk_for(server, secret="not-the-secret").accounts_get(AccountsGetRequest(access_token=item["access_token"]))
    body = _error(caught.value)
    assert caught.value.status == 400
    assert (body["error_type"], body["error_code"]) == ("INVALID_INPUT", "INVALID_API_KEYS")
    assert body["error_message"] == "invalid client_id or secret provided" and body["display_message"] is None


def test_it_refuses_a_mid_update_cursor_after_a_mutation(served):
    server, item = served
    sdk = sdk_for(server)
    first = sdk.transactions_sync(TransactionsSyncRequest(access_token=item["access_token"], count=1))
    assert first.has_more
    with server.state.lock:  # a new line arrives while the client pages through the update
        server.state.plaid[item["item_id"]].upsert({**item["transactions"][0], "transaction_id": "late-1"})
    with pytest.raises(plaid.ApiException) as caught:
        sdk.transactions_sync(TransactionsSyncRequest(access_token=item["access_token"], cursor=first.next_cursor))
    body = _error(caught.value)
    assert caught.value.status == 400
    assert (body["error_type"], body["error_code"]) == ("TRANSACTIONS_ERROR", "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION")
    seen, _ = sync_all(sdk, item["access_token"])  # restarted from the update's first cursor
    assert "late-1" in seen
