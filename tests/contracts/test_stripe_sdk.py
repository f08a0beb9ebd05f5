"""Stripe's own SDK (stripe-python, `stripe.StripeClient`) against the sandbox, through the calls
Tieout's sync and linking make: if the simulator answers something the official client rejects
or reads differently, these fail. And Tieout's own httpx client must ask what the SDK asks
(Stripe-Version, Stripe-Account, `created[gte]`), checked on a recording loopback server.

Notes on the SDK (stripe-python 16.1.0, see /docs/sync.md): `base_addresses` takes plain http
prefixes, `options={"stripe_account": …}` sends `Stripe-Account`, `auto_paging_iter()` follows
`has_more` with `starting_after` and needs the list's `url`, OAuth errors map to
`stripe.oauth_error.*` by their `error` field, `StripeClient` retries nothing by default.
"""

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import stripe

from connections.providers.stripe import API_VERSION, StripeClient
from sandbox.server import SandboxServer
from sandbox.stripe_api import MANUAL_PAYOUT_MESSAGE
from sandbox.world import world_from_dict
from tests.connections.conftest import Reply
from tests.sandbox.conftest import ACCT, build_world

MANUAL = {"id": "po_instant", "object": "payout", "amount": 9505, "currency": "usd", "status": "paid",
          "created": 1741300000, "arrival_date": 1741300000, "automatic": False, "method": "instant",
          "balance_transaction": "txn_po_instant"}


@pytest.fixture
def sandbox(receiver):
    world = build_world()
    world["stripe"][0]["payouts"].append(MANUAL)
    with SandboxServer(world_from_dict(world), webhook_url=receiver.url) as server:
        yield server


@pytest.fixture
def sdk(sandbox):
    return stripe.StripeClient(
        sandbox.credentials.stripe_secret_key,
        base_addresses={"api": sandbox.stripe_api_base, "connect": sandbox.stripe_connect_base},
        stripe_version=API_VERSION, client_id=sandbox.credentials.stripe_client_id,
    )


ON_ACCOUNT = {"stripe_account": ACCT}


def test_it_lists_payouts_and_balance_transactions_page_by_page(sdk, sandbox):
    payouts = [p.id for p in sdk.v1.payouts.list({"limit": 2}, ON_ACCOUNT).auto_paging_iter()]
    assert payouts == ["po_instant", "po_2", "po_1", "po_0"]  # newest first, across pages
    bts = list(sdk.v1.balance_transactions.list({"limit": 30, "created": {"gte": 1740800000 + 86400}},
                                                ON_ACCOUNT).auto_paging_iter())
    stored = sandbox.state.stripe[ACCT].balance_transactions
    expected = [b for b in (stored.items[i] for i in stored.scan(0)) if b["created"] >= 1740800000 + 86400]
    assert sorted(b.id for b in bts) == sorted(b["id"] for b in expected) and len(bts) > 30
    assert all(isinstance(b.amount, int) and b.object == "balance_transaction" for b in bts)


def test_it_lists_what_an_automatic_payout_paid_out(sdk):
    payout = sdk.v1.payouts.retrieve("po_1", options=ON_ACCOUNT)
    assert (payout.automatic, payout.reconciliation_status, payout.status) == (True, "completed", "paid")
    bts = list(sdk.v1.balance_transactions.list({"payout": "po_1", "limit": 100}, ON_ACCOUNT).auto_paging_iter())
    assert sum(b.net for b in bts if b.type != "payout") == payout.amount
    assert [b.source for b in bts if b.type == "payout"] == ["po_1"]


def test_it_refuses_a_manual_payouts_list_as_stripe_does(sdk):
    payout = sdk.v1.payouts.retrieve("po_instant", options=ON_ACCOUNT)
    assert (payout.automatic, payout.method, payout.reconciliation_status) == (False, "instant", "not_applicable")
    with pytest.raises(stripe.InvalidRequestError) as caught:
        sdk.v1.balance_transactions.list({"payout": "po_instant"}, ON_ACCOUNT)
    error = caught.value
    assert error.http_status == 400 and error.user_message == MANUAL_PAYOUT_MESSAGE
    assert MANUAL_PAYOUT_MESSAGE == ("Balance transaction history can only be filtered on automatic "
                                     "transfers, not manual.")
    assert (error.code, error.param) == (None, None)


def test_it_links_an_account_through_oauth(sdk, sandbox):
    registered = sandbox.credentials.stripe_redirect_uri
    url = sdk.oauth.authorize_url({"scope": "read_write", "state": "s1", "redirect_uri": registered})
    assert httpx.get(url).status_code == 200  # the authorize page
    back = httpx.post(url, data={"account": ACCT})
    assert back.status_code == 302 and back.headers["location"].startswith(registered + "?")
    code = parse_qs(urlsplit(back.headers["location"]).query)["code"][0]
    token = sdk.oauth.token({"grant_type": "authorization_code", "code": code})
    assert (token.stripe_user_id, token.token_type, token.livemode) == (ACCT, "bearer", False)
    with pytest.raises(stripe.oauth_error.InvalidGrantError) as caught:
        sdk.oauth.token({"grant_type": "authorization_code", "code": "ac_spent_or_unknown"})
    assert caught.value.code == "invalid_grant"


def test_it_signs_webhooks_stripe_webhook_verifies(sandbox, receiver):
    sandbox.stripe_deauthorize(ACCT)
    assert sandbox.flush_webhooks(timeout=10)
    (path, headers, body), = receiver.wait_for(1)
    event = stripe.Webhook.construct_event(body, headers["stripe-signature"], sandbox.credentials.stripe_webhook_secret)
    assert path.endswith("/stripe") and event.type == "account.application.deauthorized"
    assert event.account == ACCT and event.data.object.object == "application"
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(body, headers["stripe-signature"], "whsec_not_ours")


def test_tieouts_client_asks_what_the_sdk_asks(scripted):
    page = {"object": "list", "data": [{"id": "txn_1", "object": "balance_transaction"}], "has_more": False,
            "url": "/v1/balance_transactions"}
    scripted.script("GET", "/stripe/v1/balance_transactions", Reply(200, page))
    base = scripted.base_url + "/stripe"
    sdk = stripe.StripeClient("sk_test_1", base_addresses={"api": base, "connect": base}, stripe_version=API_VERSION)
    list(sdk.v1.balance_transactions.list({"limit": 100, "created": {"gte": 1700000000}}, ON_ACCOUNT).auto_paging_iter())
    with StripeClient(api_base=base, connect_base=base, secret_key="sk_test_1") as ours:
        list(ours.iter_balance_transactions(ACCT, created_gte=1700000000))
    theirs, mine = scripted.seen("/stripe/v1/balance_transactions")
    assert mine.query == theirs.query == {"limit": "100", "created[gte]": "1700000000"}
    for header in ("authorization", "stripe-account", "stripe-version"):
        assert mine.headers[header] == theirs.headers[header], header
    assert mine.headers["stripe-version"] == "2026-10-28.endive"
