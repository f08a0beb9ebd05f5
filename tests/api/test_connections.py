"""Connections over the API: link by public token, Stripe OAuth, sync, disconnect, errors."""

from urllib.parse import parse_qs, urlsplit

from django.test import Client, override_settings

from connections.models import Connection, ConnectionStatus, SyncRun
from connections.services import token_decrypt
from ledger.models import BankAccount, BankTransaction, Payout
from tests.api.conftest import v1


def _link(api, company, provider, token, headers=None):
    return api.post(v1(company, f"connections/{provider}/"), {"public_token": token}, headers)


def test_it_links_rutter_and_plaid_then_syncs(alice, alice_api):
    shop = _link(alice_api, alice.company, "rutter", "pub-api-shop")
    assert shop.status_code == 201, shop.content
    assert shop.json()["provider"] == "rutter" and shop.json()["platform"] == "SHOPIFY"
    assert shop.json()["status"] == "pending_initial_sync" and shop.json()["latest_sync"] is None
    bank = _link(alice_api, alice.company, "plaid", "public-sandbox-api")
    assert bank.status_code == 201, bank.content
    assert BankAccount.objects.filter(company=alice.company).count() == 1  # at once, before a sync

    for connection in (shop.json(), bank.json()):
        synced = alice_api.post(v1(alice.company, f"connections/{connection['id']}/sync/"))
        assert synced.status_code == 202, synced.content
        assert synced.json()["task_id"]
        assert synced.json()["sync_run"]["status"] == "succeeded"
    assert Payout.objects.filter(company=alice.company).count() == 1
    assert BankTransaction.objects.filter(company=alice.company).count() == 1

    listed = alice_api.get(v1(alice.company, "connections/")).json()["results"]
    assert [c["status"] for c in listed] == ["ready", "ready"]
    assert listed[0]["last_synced_at"] and listed[0]["latest_sync"]["records"] > 0
    detail = alice_api.get(v1(alice.company, f"connections/{shop.json()['id']}/")).json()
    assert detail["latest_sync"]["counts"]
    assert alice_api.get(v1(alice.company, "connections/"), provider="plaid").json()["results"][0]["id"] == bank.json()["id"]


def test_it_links_again_without_duplicating(alice, alice_api):
    first = _link(alice_api, alice.company, "rutter", "pub-api-shop")
    again = _link(alice_api, alice.company, "rutter", "pub-api-shop")
    assert again.status_code == 201 and again.json()["id"] == first.json()["id"]
    assert Connection.objects.filter(company=alice.company).count() == 1


def test_it_replays_a_link_with_the_same_idempotency_key(alice, alice_api):
    headers = {"Idempotency-Key": "link-shop-1"}
    first = _link(alice_api, alice.company, "rutter", "pub-api-shop", headers)
    again = _link(alice_api, alice.company, "rutter", "pub-api-shop", headers)
    assert again["Idempotent-Replayed"] == "true" and again.json() == first.json()
    assert Connection.objects.filter(company=alice.company).count() == 1


def test_it_answers_400_to_a_bad_public_token(alice, alice_api):
    for provider in ("rutter", "plaid"):
        response = _link(alice_api, alice.company, provider, "not-a-token")
        assert response.status_code == 400, response.content
        error = response.json()["error"]
        assert error["code"] == "invalid_public_token"
        assert error["details"]["provider"] == provider and error["details"]["provider_code"]
    assert not Connection.objects.filter(company=alice.company).exists()


def test_it_answers_400_to_a_missing_public_token(alice, alice_api):
    response = alice_api.post(v1(alice.company, "connections/rutter/"), {})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert "public_token" in response.json()["error"]["details"]


def test_it_answers_502_when_the_provider_is_down(alice, alice_api):
    with override_settings(RUTTER_CLIENT_SECRET="wrong"):  # the provider refuses our credentials
        response = _link(alice_api, alice.company, "rutter", "pub-api-shop")
    assert response.status_code == 502
    assert response.json()["error"]["code"] == "provider_unavailable"


def _registered() -> str:
    from django.conf import settings

    return settings.STRIPE_REDIRECT_URI


def _to_stripe(api, company) -> str:
    """The API's URL as a browser follows it: a one-time link of ours, then Stripe's page."""
    response = api.post(v1(company, "connections/stripe/oauth-url/"), {})
    assert response.status_code == 200, response.content
    url = urlsplit(response.json()["url"])
    if url.path != "/embed/connect/stripe/go/":
        return response.json()["url"]
    return Client().get(url.path, {"t": parse_qs(url.query)["t"][0]})["Location"]


def test_it_starts_stripe_oauth_to_the_registered_redirect_uri_and_finishes_the_link(alice, alice_api):
    query = parse_qs(urlsplit(_to_stripe(alice_api, alice.company)).query)
    assert query["redirect_uri"] == [_registered()] and query["scope"] == ["read_write"]
    linked = alice_api.post(v1(alice.company, "connections/stripe/"),
                            {"code": "ac_api_code", "state": query["state"][0]})
    assert linked.status_code == 201, linked.content
    assert linked.json()["provider"] == "stripe" and linked.json()["status"] == "ready"


def test_it_refuses_a_stripe_state_of_another_company(alice, bob, alice_api, bob_api):
    state = parse_qs(urlsplit(_to_stripe(bob_api, bob.company)).query)["state"][0]
    response = alice_api.post(v1(alice.company, "connections/stripe/"), {"code": "ac_api_code", "state": state})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "state_company_mismatch"
    assert not Connection.objects.exists()


def test_it_refuses_a_redirect_uri_stripe_would_refuse(alice, alice_api):
    # Stripe accepts only the registered redirect URI, exactly (no query of ours appended).
    for uri in ("https://evil.example/cb", "http://127.0.0.1:8001/stripe/back", _registered() + "?s=1"):
        response = alice_api.post(v1(alice.company, "connections/stripe/oauth-url/"), {"redirect_uri": uri})
        assert response.status_code == 400, uri
        assert "redirect_uri" in response.json()["error"]["details"]
    same = alice_api.post(v1(alice.company, "connections/stripe/oauth-url/"), {"redirect_uri": _registered()})
    assert same.status_code == 200


def test_it_links_the_account_at_the_deployments_own_callback(alice, alice_api):
    callback = "http://testserver/embed/connect/stripe/callback/"
    with override_settings(STRIPE_REDIRECT_URI="", TIEOUT_PUBLIC_URL="http://testserver"):
        response = alice_api.post(v1(alice.company, "connections/stripe/oauth-url/"), {})
    assert response.status_code == 200, response.content
    # One URL wraps the flow: a one-time link that pins the user's browser, then Stripe.
    go = urlsplit(response.json()["url"])
    assert go.path == "/embed/connect/stripe/go/"
    browser = Client()
    to_stripe = browser.get(go.path, parse_qs(go.query) and {"t": parse_qs(go.query)["t"][0]})
    query = parse_qs(urlsplit(to_stripe["Location"]).query)
    assert query["redirect_uri"] == [callback]
    # Stripe sends the user back there with its code and our state: the dashboard links it, in
    # that browser only.
    elsewhere = Client().get(callback, {"code": "ac_api_code", "state": query["state"][0]})
    assert elsewhere.status_code == 400 and not Connection.objects.exists()
    landed = browser.get(callback, {"code": "ac_api_code", "state": query["state"][0]})
    assert landed.status_code == 200, landed.content[:500]
    assert Connection.objects.get(company=alice.company).provider == "stripe"


def test_the_dashboards_callback_refuses_a_state_that_is_not_ours(alice, alice_api):
    callback = "http://testserver/embed/connect/stripe/callback/"
    landed = Client().get(callback, {"code": "ac_api_code", "state": "forged"})
    assert landed.status_code == 400
    # A state for the partner API's own page (no "p") is not the dashboard's to finish either.
    from connections.services import stripe_oauth_start_url

    url = stripe_oauth_start_url(company=alice.company)
    landed = Client().get(callback, {"code": "ac_api_code", "state": parse_qs(urlsplit(url).query)["state"][0]})
    assert landed.status_code == 400
    assert not Connection.objects.exists()


def test_it_disconnects_without_deleting_books(alice, alice_api):
    connection = _link(alice_api, alice.company, "rutter", "pub-api-shop").json()
    alice_api.post(v1(alice.company, f"connections/{connection['id']}/sync/"))
    payouts = Payout.objects.filter(company=alice.company).count()
    response = alice_api.post(v1(alice.company, f"connections/{connection['id']}/disconnect/"))
    assert response.status_code == 200
    assert response.json()["status"] == "disabled"
    row = Connection.objects.get(pk=connection["id"])
    assert row.access_token_encrypted == "" and token_decrypt(row.access_token_encrypted) == ""
    assert Payout.objects.filter(company=alice.company).count() == payouts > 0
    # Syncing a disconnected connection is a conflict; linking again repairs it.
    refused = alice_api.post(v1(alice.company, f"connections/{connection['id']}/sync/"))
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "connection_disabled"
    relinked = _link(alice_api, alice.company, "rutter", "pub-api-shop")
    assert relinked.json()["status"] == ConnectionStatus.PENDING_INITIAL_SYNC
    assert token_decrypt(Connection.objects.get(pk=connection["id"]).access_token_encrypted) == "tok-api-shop"


def test_it_reports_a_failed_sync_as_a_failed_run(alice, alice_api, alice_books):
    connection = alice_books.connection  # a factory row the sandbox does not know
    response = alice_api.post(v1(alice.company, f"connections/{connection.pk}/sync/"))
    assert response.status_code == 202
    assert response.json()["sync_run"]["status"] == "failed"
    assert SyncRun.objects.filter(connection=connection, status="failed").exists()


def test_it_lists_connections_with_their_newest_run_in_fixed_queries(alice, alice_api, django_assert_max_num_queries):
    from datetime import timedelta

    from django.utils.timezone import now

    from tests import factories as f

    def add_connection(n):
        conn = f.ConnectionFactory(company=alice.company, external_id=f"conn-{n}")
        f.SyncRunFactory(company=alice.company, connection=conn, started_at=now() - timedelta(hours=2), records=1)
        f.SyncRunFactory(company=alice.company, connection=conn, started_at=now(), records=n + 10)
        return conn

    add_connection(0)
    with django_assert_max_num_queries(8) as one:
        listed = alice_api.get(v1(alice.company, "connections/")).json()["results"]
    for n in range(1, 6):
        add_connection(n)
    with django_assert_max_num_queries(len(one.captured_queries)):
        listed = alice_api.get(v1(alice.company, "connections/")).json()["results"]
    assert len(listed) == 6
    assert sorted(c["latest_sync"]["records"] for c in listed) == [10, 11, 12, 13, 14, 15]
