"""A partner's own provider accounts over the API: configured, validated with the provider (the
sandbox), shown masked, rotated, cleared; secrets never in responses, logs or the database."""

import dataclasses
import io
import logging
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.core.management import call_command
from django.db import connection as db
from django.test import Client, override_settings

from connections.models import Connection, ProviderAccount
from sandbox.state import Credentials
from sandbox.world import world_from_dict
from tests.api.conftest import api_world, v1

URL = "/api/v1/provider-settings/{}/"
OWN = Credentials(
    rutter_client_id="rutter_org_alice", rutter_client_secret="rutter-secret-alice-" + "x" * 24,
    rutter_public_key="rutter_pk_alice", stripe_secret_key="sk_test_alice_platform_" + "y" * 24,
    stripe_client_id="ca_alice_platform", stripe_webhook_secret="whsec_alice_" + "z" * 24,
    stripe_platform_account="acct_1AlicePlatform",
    stripe_redirect_uri="http://testserver/embed/connect/stripe/callback/",
    plaid_client_id="plaid_team_alice", plaid_secret="plaid-secret-alice-" + "q" * 24)
SECRETS = (OWN.rutter_client_secret, OWN.stripe_secret_key, OWN.stripe_webhook_secret, OWN.plaid_secret)


def own_world() -> dict:
    """Alice's platform: the API world's objects under ids of her own."""
    world = api_world()
    world["rutter"][0].update(connection_id="aaaaaaaa-0000-4000-8000-00000000a0a1", access_token="tok-own-shop",
                              public_token="pub-own-shop")
    world["stripe"][0].update(account_id="acct_1AliceOwn", oauth_code="ac_own_code")
    world["plaid"][0].update(item_id="item-own-1", access_token="access-own", public_token="public-own")
    return world


@pytest.fixture
def own(sandbox):
    """Alice's own Rutter organization, Stripe platform and Plaid team, in the running sandbox."""
    return sandbox.server.add_platform(world_from_dict(own_world()), credentials=dataclasses.replace(OWN))


BODIES = {
    "rutter": {"client_id": OWN.rutter_client_id, "secret": OWN.rutter_client_secret,
               "public_key": OWN.rutter_public_key, "environment": "production"},
    "stripe": {"client_id": OWN.stripe_client_id, "secret_key": OWN.stripe_secret_key,
               "webhook_secret": OWN.stripe_webhook_secret, "environment": "test"},
    "plaid": {"client_id": OWN.plaid_client_id, "secret": OWN.plaid_secret, "environment": "sandbox"},
}


def configure(api, *providers):
    for provider in providers or BODIES:
        response = api.request("put", URL.format(provider), BODIES[provider])
        assert response.status_code == 200, response.content


def test_it_configures_each_provider_and_shows_it_masked(alice, alice_api, bob_api, own):
    answers = [alice_api.request("put", URL.format(p), body) for p, body in BODIES.items()]
    assert [a.status_code for a in answers] == [200, 200, 200], [a.content for a in answers]
    stripe = alice_api.get(URL.format("stripe")).json()
    assert stripe | {"validated_at": None} == {
        "provider": "stripe", "source": "partner", "client_id": "ca_alice_platform", "environment": "test",
        "secret_hint": "sk_test_…yyyy", "webhook_secret_hint": "whsec_…zzzz",
        "platform_account": "acct_1AlicePlatform", "validated_at": None,
        "webhook_url": f"http://testserver/webhooks/stripe/{alice.partner.public_id}",
        "redirect_uri": stripe["redirect_uri"]}
    rutter = alice_api.get(URL.format("rutter")).json()
    assert rutter["secret_hint"] == "…xxxx" and rutter["public_key"] == "rutter_pk_alice"
    listed = alice_api.get("/api/v1/provider-settings/").json()
    assert [row["source"] for row in listed] == ["partner", "partner", "partner"]
    # Bob brought nothing: he uses the deployment's accounts, and sees none of alice's settings.
    bob_listed = bob_api.get("/api/v1/provider-settings/")
    assert [row["source"] for row in bob_listed.json()] == ["deployment"] * 3
    assert "alice" not in bob_listed.content.decode()
    for response in [*answers, alice_api.get("/api/v1/provider-settings/")]:
        assert not any(secret in response.content.decode() for secret in SECRETS)
        # Not even a fifth of a secret is shown.
        assert not any(secret[-8:] in response.content.decode() for secret in SECRETS)


@pytest.mark.parametrize("provider,field,code", [
    ("rutter", "secret", "INVALID_CREDENTIALS"),
    ("stripe", "secret_key", "invalid_request_error"),
    ("plaid", "secret", "INVALID_API_KEYS"),
])
def test_it_refuses_keys_the_provider_refuses_with_nothing_saved(alice_api, own, provider, field, code):
    wrong = BODIES[provider][field][:-6] + "WRONG1"
    response = alice_api.request("put", URL.format(provider), {**BODIES[provider], field: wrong})
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "provider_keys_refused"
    assert error["details"] == {"provider": provider, "provider_code": code}
    assert wrong not in response.content.decode()
    assert not ProviderAccount.objects.exists()


def test_it_refuses_a_key_of_the_wrong_mode_or_shape_before_asking_stripe(alice_api, own):
    live = alice_api.request("put", URL.format("stripe"), {**BODIES["stripe"], "environment": "live"})
    assert live.status_code == 400 and live.json()["error"]["details"] == {
        "secret_key": ["A live-mode Stripe secret key starts with sk_live_ or rk_live_."]}
    hook = alice_api.request("put", URL.format("stripe"), {**BODIES["stripe"], "webhook_secret": "nope"})
    assert hook.status_code == 400 and "webhook_secret" in hook.json()["error"]["details"]
    missing = alice_api.request("put", URL.format("rutter"), {"client_id": "x", "environment": "sandbox"})
    assert missing.status_code == 400 and "secret" in missing.json()["error"]["details"]
    assert not ProviderAccount.objects.exists()


def test_it_rotates_a_secret_and_uses_the_new_one(alice, alice_api, own):
    configure(alice_api, "stripe")
    new_key = "sk_test_alice_rotated_" + "r" * 24
    own.credentials.stripe_secret_key = new_key  # rolled in Stripe's dashboard: the old one dies
    assert alice_api.post(v1(alice.company, "connections/stripe/accounts/"),
                          {"account_id": "acct_1AliceOwn"}).status_code == 502
    rotated = alice_api.patch(URL.format("stripe"), {"secret_key": new_key})
    assert rotated.status_code == 200, rotated.content
    assert rotated.json()["secret_hint"] == "sk_test_…rrrr"
    assert rotated.json()["webhook_secret_hint"] == "whsec_…zzzz"  # untouched
    linked = alice_api.post(v1(alice.company, "connections/stripe/accounts/"), {"account_id": "acct_1AliceOwn"})
    assert linked.status_code == 201, linked.content


def test_it_refuses_switching_accounts_or_clearing_while_connections_live_there(alice, alice_api, own):
    configure(alice_api, "stripe")
    assert alice_api.post(v1(alice.company, "connections/stripe/accounts/"),
                          {"account_id": "acct_1AliceOwn"}).status_code == 201
    deployment = Credentials()  # the deployment's platform: valid keys, another platform
    other = {"client_id": deployment.stripe_client_id, "secret_key": deployment.stripe_secret_key,
             "environment": "test"}
    switched = alice_api.request("put", URL.format("stripe"), other)
    assert switched.status_code == 409 and switched.json()["error"]["code"] == "provider_account_in_use"
    cleared = alice_api.delete(URL.format("stripe"))
    assert cleared.status_code == 409
    assert ProviderAccount.objects.get().client_id == OWN.stripe_client_id
    connection = Connection.objects.get(company=alice.company)
    assert alice_api.post(v1(alice.company, f"connections/{connection.pk}/disconnect/")).status_code == 200
    back = alice_api.delete(URL.format("stripe"))
    assert back.status_code == 200 and back.json()["source"] == "deployment"
    assert not ProviderAccount.objects.exists()


# --- Stripe: link an account already connected to the partner's platform ---------------------


def test_it_links_an_existing_connected_account_by_id_and_syncs_it(alice, alice_api, own):
    configure(alice_api, "stripe")
    linked = alice_api.post(v1(alice.company, "connections/stripe/accounts/"), {"account_id": "acct_1AliceOwn"})
    assert linked.status_code == 201, linked.content
    assert linked.json()["provider"] == "stripe" and linked.json()["status"] == "ready"
    connection = Connection.objects.get(company=alice.company)
    assert connection.external_id == "acct_1AliceOwn"
    synced = alice_api.post(v1(alice.company, f"connections/{connection.pk}/sync/"))
    assert synced.status_code == 202 and synced.json()["sync_run"]["status"] == "succeeded"


@pytest.mark.parametrize("account_id", [
    "acct_1ApiTest",  # connected to the deployment's platform, not alice's
    "acct_1NobodysAccount",  # connected to no platform at all
])
def test_it_refuses_an_account_the_partners_platform_cannot_read(alice, alice_api, own, account_id):
    configure(alice_api, "stripe")
    response = alice_api.post(v1(alice.company, "connections/stripe/accounts/"), {"account_id": account_id})
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "stripe_account_not_accessible"
    assert not Connection.objects.exists()


def test_it_refuses_a_malformed_account_id(alice, alice_api):
    response = alice_api.post(v1(alice.company, "connections/stripe/accounts/"), {"account_id": "acct_1 x"})
    assert response.status_code == 400 and "account_id" in response.json()["error"]["details"]


def test_a_partner_without_its_own_platform_links_by_id_through_the_deployments(alice, alice_api):
    response = alice_api.post(v1(alice.company, "connections/stripe/accounts/"), {"account_id": "acct_1ApiTest"})
    assert response.status_code == 201, response.content


def test_the_one_stripe_url_goes_through_oauth_on_the_partners_own_platform(alice, alice_api, own):
    configure(alice_api, "stripe")
    with override_settings(STRIPE_REDIRECT_URI="", TIEOUT_PUBLIC_URL="http://testserver"):
        response = alice_api.post(v1(alice.company, "connections/stripe/oauth-url/"), {})
        go = urlsplit(response.json()["url"])
        browser = Client()
        to_stripe = browser.get(go.path, {"t": parse_qs(go.query)["t"][0]})["Location"]
        query = parse_qs(urlsplit(to_stripe).query)
        assert query["client_id"] == [OWN.stripe_client_id]
        # The user approves on alice's platform (the sandbox serves it by its client id) ...
        form = {k: v[0] for k, v in query.items()} | {"account": "acct_1AliceOwn"}
        back = httpx.post(to_stripe.split("?")[0], data=form, follow_redirects=False)
        assert back.status_code == 302, back.text
        # ... and is sent back to the deployment's callback, which links with alice's key.
        callback = urlsplit(back.headers["Location"])
        landed = browser.get(callback.path, {k: v[0] for k, v in parse_qs(callback.query).items()})
    assert landed.status_code == 200, landed.content[:300]
    assert Connection.objects.get(company=alice.company).external_id == "acct_1AliceOwn"


# --- secrets at rest and in logs --------------------------------------------------------------


def test_secrets_never_reach_the_database_in_clear_nor_the_logs(alice, alice_api, own, caplog):
    caplog.set_level(logging.DEBUG)  # every logger, httpx and httpcore included
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        configure(alice_api)
        wrong = alice_api.request("put", URL.format("stripe"), {**BODIES["stripe"], "secret_key": "sk_test_" + "w" * 30})
        assert wrong.status_code == 400
        rutter = alice_api.post(v1(alice.company, "connections/rutter/"), {"public_token": "pub-own-shop"})
        assert rutter.status_code == 201, rutter.content
        stripe = alice_api.post(v1(alice.company, "connections/stripe/accounts/"), {"account_id": "acct_1AliceOwn"})
        assert stripe.status_code == 201
        for connection in Connection.objects.filter(company=alice.company):
            alice_api.post(v1(alice.company, f"connections/{connection.pk}/sync/"))
    finally:
        for name in ("httpx", "httpcore"):
            logging.getLogger(name).setLevel(logging.WARNING)
    assert caplog.records, "the logs were captured"
    logged = caplog.text + "".join(str(r.args) for r in caplog.records)
    assert not [s for s in SECRETS + ("sk_test_" + "w" * 30,) if s in logged]

    dump = io.StringIO()
    call_command("dumpdata", stdout=dump)  # every table the ORM knows
    with db.cursor() as cursor:  # and the raw row, as the database holds it
        cursor.execute("SELECT * FROM connections_provideraccount")
        raw = repr(cursor.fetchall())
    assert ProviderAccount.objects.count() == 3
    for secret in SECRETS:
        assert secret not in dump.getvalue() and secret not in raw
    stored = ProviderAccount.objects.get(provider="stripe")
    assert stored.secret_encrypted.startswith("gAAAAA")  # a Fernet token
    assert OWN.stripe_secret_key not in repr(stored) and OWN.stripe_secret_key not in str(stored)


# --- the embedded dashboard and Plaid Link use the partner's own accounts ---------------------


def test_the_dashboard_opens_rutter_link_with_the_partners_public_key(client, alice, bob, alice_api, own, settings):
    from tests.dashboard.conftest import headers, url

    settings.RUTTER_PUBLIC_KEY = "deployment_public_key"
    configure(alice_api, "rutter")
    alice_page = client.get(url(alice.company, "connections"), **headers(alice)).content.decode()
    bob_page = client.get(url(bob.company, "connections"), **headers(bob)).content.decode()
    assert '"publicKey": "rutter_pk_alice"' in alice_page and "deployment_public_key" not in alice_page
    assert '"publicKey": "deployment_public_key"' in bob_page


def test_plaid_link_tokens_name_the_partners_own_webhook_url(alice, bob, alice_api, own):
    from connections.services import plaid_link_token_create

    configure(alice_api, "plaid")
    with override_settings(TIEOUT_PUBLIC_URL="https://tieout.example"):
        token = plaid_link_token_create(company=alice.company)
        assert own.state.plaid_link_tokens[token].webhook == \
            f"https://tieout.example/webhooks/plaid/{alice.partner.public_id}"
        bob_token = plaid_link_token_create(company=bob.company)
    assert bob_token not in own.state.plaid_link_tokens  # bob's came from the deployment's team
