"""StripeClient against a scripted loopback server."""

from urllib.parse import parse_qs, urlsplit

import pytest

from connections.providers.errors import AuthError, NeedsReauth, TransientError
from connections.providers.stripe import API_VERSION, StripeClient
from tests.connections.conftest import Reply


@pytest.fixture
def client(scripted, timing):
    return StripeClient(
        api_base=scripted.base_url + "/stripe",
        connect_base=scripted.base_url + "/stripe-connect",
        secret_key="sk_test_1",
        client_id="ca_1",
        **timing,
    )


def test_it_builds_the_connect_authorize_url(client, scripted):
    url = client.oauth_authorize_url(state="signed-state", redirect_uri="https://app/cb")

    parts = urlsplit(url)
    assert url.startswith(scripted.base_url + "/stripe-connect/oauth/authorize?")
    assert {k: v[0] for k, v in parse_qs(parts.query).items()} == {
        "response_type": "code",
        "client_id": "ca_1",
        "scope": "read_write",  # read_only is for Extensions only
        "state": "signed-state",
        "redirect_uri": "https://app/cb",
    }


def test_it_leaves_redirect_uri_to_stripes_settings_when_none_is_given(client):
    query = parse_qs(urlsplit(client.oauth_authorize_url(state="s", redirect_uri=None)).query)
    assert "redirect_uri" not in query and query["scope"] == ["read_write"]


def test_it_exchanges_an_oauth_code_with_a_form_post(client, scripted):
    scripted.script(
        "POST",
        "/stripe-connect/oauth/token",
        Reply(200, {"stripe_user_id": "acct_9", "livemode": False}),
    )

    assert client.oauth_exchange_code("ac_123")["stripe_user_id"] == "acct_9"
    seen = scripted.seen("/stripe-connect/oauth/token")[0]
    assert seen.headers["content-type"] == "application/x-www-form-urlencoded"
    # As stripe-python sends it: the platform key as Bearer, no client_secret in the body.
    assert seen.form == {"grant_type": "authorization_code", "code": "ac_123"}
    assert seen.headers["authorization"] == "Bearer sk_test_1"


def test_it_raises_auth_error_for_a_used_code_without_retrying(client, scripted):
    scripted.script(
        "POST",
        "/stripe-connect/oauth/token",
        Reply(400, {"error": "invalid_grant", "error_description": "code already used"}),
    )

    with pytest.raises(AuthError) as caught:
        client.oauth_exchange_code("ac_used")
    assert caught.value.code == "invalid_grant" and "already used" in caught.value.message
    assert len(scripted.seen("/stripe-connect/oauth/token")) == 1


def test_it_pages_payouts_with_starting_after_on_the_connected_account(client, scripted):
    scripted.script(
        "GET",
        "/stripe/v1/payouts",
        Reply(200, {"object": "list", "data": [{"id": "po_1"}, {"id": "po_2"}], "has_more": True}),
        Reply(200, {"object": "list", "data": [{"id": "po_3"}], "has_more": False}),
    )

    pages = list(client.iter_payouts("acct_1", created_gte=1_700_000_000, limit=2))

    assert [[o["id"] for o in p.objects] for p in pages] == [["po_1", "po_2"], ["po_3"]]
    assert pages[0].next_cursor == "po_2" and pages[1].next_cursor is None
    first, second = scripted.seen("/stripe/v1/payouts")
    assert first.headers["authorization"] == "Bearer sk_test_1"
    assert first.headers["stripe-account"] == "acct_1"
    assert first.headers["stripe-version"] == API_VERSION == "2026-10-28.endive"
    assert first.query == {"created[gte]": "1700000000", "limit": "2"}
    assert second.query["starting_after"] == "po_2"


def test_it_lists_the_balance_transactions_of_one_payout(client, scripted):
    scripted.script(
        "GET",
        "/stripe/v1/balance_transactions",
        Reply(200, {"data": [{"id": "txn_1"}], "has_more": False}),
    )

    pages = list(client.iter_balance_transactions("acct_1", payout="po_1", starting_after="txn_0"))

    assert pages[0].objects == [{"id": "txn_1"}] and pages[0].cursor == "txn_0"
    assert scripted.seen("/stripe/v1/balance_transactions")[0].query == {
        "payout": "po_1",
        "limit": "100",
        "starting_after": "txn_0",
    }


def test_it_types_a_deauthorized_account_as_needing_reauth(client, scripted):
    scripted.script(
        "GET",
        "/stripe/v1/payouts/po_1",
        Reply(
            403,
            {
                "error": {
                    "type": "invalid_request_error",
                    "code": "account_invalid",
                    "message": "no access",
                }
            },
            {"Request-Id": "req_abc"},
        ),
    )

    with pytest.raises(NeedsReauth) as caught:
        client.retrieve_payout("acct_gone", "po_1")
    assert caught.value.code == "account_invalid" and caught.value.type == "invalid_request_error"
    assert caught.value.request_id == "req_abc" and caught.value.status == 403


def test_it_obeys_stripe_should_retry_false(client, scripted):
    scripted.script(
        "GET",
        "/stripe/v1/account",
        Reply(500, {"error": {"type": "api_error"}}, {"Stripe-Should-Retry": "false"}),
    )

    with pytest.raises(TransientError):
        client.account("acct_1")
    assert len(scripted.seen("/stripe/v1/account")) == 1


def test_it_obeys_stripe_should_retry_true_on_a_conflict(client, scripted):
    scripted.script(
        "GET",
        "/stripe/v1/account",
        Reply(
            409,
            {"error": {"type": "invalid_request_error", "code": "lock_timeout"}},
            {"Stripe-Should-Retry": "true"},
        ),
        Reply(200, {"id": "acct_1"}),
    )

    assert client.account("acct_1") == {"id": "acct_1"}


def test_the_deployments_client_is_built_from_settings(settings):
    settings.STRIPE_API_BASE = "http://127.0.0.1:1/stripe"
    settings.STRIPE_CONNECT_BASE = "http://127.0.0.1:1/stripe-connect"
    settings.STRIPE_CLIENT_ID = "ca_settings"
    from connections.services.clients import client_for

    client = client_for("stripe")  # no partner: the deployment's own platform
    assert client.api_base.endswith("/stripe") and client.connect_base.endswith("/stripe-connect")
    assert "client_id=ca_settings" in client.oauth_authorize_url(state="s", redirect_uri="r")
