"""Stripe's OAuth round trip from the dashboard is bound to the browser that started it: a state
that leaves that browser (leaked, replayed elsewhere) links nothing into any company."""

import re
from html import unescape
from urllib.parse import parse_qs, urlparse

from connections.models import Connection
from tests.dashboard.conftest import headers, url


def _start(client, tenant, settings) -> str:
    settings.STRIPE_CLIENT_ID, settings.STRIPE_SECRET_KEY = "ca_test", "sk_test_x"
    settings.STRIPE_REDIRECT_URI = "http://testserver/embed/connect/stripe/callback/"
    page = client.post(url(tenant.company, "connect_start", provider="stripe"), **headers(tenant))
    assert page.status_code == 200
    return unescape(re.search(r'href="([^"]+)"', page.content.decode()).group(1))


def test_the_stripe_window_pins_a_browser_nonce_once_and_goes_to_stripe(client, alice, settings):
    go = _start(client, alice, settings)
    assert go.startswith("/embed/connect/stripe/go/?t=")

    sent = client.get(go)

    assert sent.status_code == 302 and "/oauth/authorize" in sent["Location"]
    cookie = sent.cookies["tieout_stripe_browser"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and cookie["path"] == "/embed/connect/stripe/"
    assert client.get(go).status_code == 400  # one use


def test_a_state_completed_in_another_browser_links_nothing(client, alice, bob, settings, django_user_model):
    from django.test import Client

    go = _start(client, alice, settings)
    state = parse_qs(urlparse(client.get(go)["Location"]).query)["state"][0]

    elsewhere = Client()  # the attacker's browser, holding alice's leaked state and its own code
    answer = elsewhere.get("/embed/connect/stripe/callback/", {"state": state, "code": "ac_attacker"})

    assert answer.status_code == 400 and "another browser" in answer.content.decode()
    assert not Connection.objects.filter(provider="stripe").exists()


def test_the_starting_browser_gets_through_to_the_link(client, alice, settings):
    go = _start(client, alice, settings)
    state = parse_qs(urlparse(client.get(go)["Location"]).query)["state"][0]
    # No Stripe here: the code exchange fails, which proves the browser check let it through.
    answer = client.get("/embed/connect/stripe/callback/", {"state": state, "code": "ac_x"})
    assert "another browser" not in answer.content.decode()
