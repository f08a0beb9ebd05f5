"""The three connect flows in a real browser, from the framed dashboard, each the way its provider
documents it: Rutter Link and Plaid Link through their JS (the sandbox's stand-ins, same interface
and callbacks) whose onSuccess public token the frame posts to Tieout; Stripe OAuth in a new window
with the one registered redirect URI, back to our callback."""

import pytest

from connections.models import Connection
from sandbox.onboarding import sandbox_provider_settings
from sandbox.server import SandboxServer
from sandbox.state import Credentials
from sandbox.world import world_from_dict
from tests.e2e.conftest import after_swap, open_dashboard, screenshot
from tests.sandbox.conftest import ACCT, ITEM, SHOP, build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def sandbox(settings, live_server):
    """A sandbox world with a Stripe account and a Plaid item; Tieout's real clients point at it.
    Its Stripe platform has the live server's callback registered as its one redirect URI."""
    credentials = Credentials(stripe_redirect_uri=f"{live_server.url}/embed/connect/stripe/callback/")
    with SandboxServer(world_from_dict(build_world()), credentials=credentials) as server:
        for name, value in sandbox_provider_settings(server).items():
            setattr(settings, name, value)
        settings.SYNC_ENQUEUE_RECONCILIATION = False
        yield server


def _connect(page, frame, button: str, provider: str):
    """Click a connect button, follow "Continue" into the provider's window, return that window."""
    frame.locator(f"#{button}").click()
    with page.expect_popup() as popup_info:
        frame.locator(f"#continue-{provider}").click()
    popup = popup_info.value
    popup.wait_for_load_state()
    return popup


def _connections_tab(frame):
    after_swap(frame.owner.page, frame.locator('nav#tabs a[data-tab="connections"]').click)
    frame.locator('nav#tabs a[data-tab="connections"][aria-current="page"]').wait_for()


def test_it_connects_stripe_through_oauth(page, partner_page, alice, bob, sandbox):
    frame = open_dashboard(page, partner_page)
    _connections_tab(frame)
    popup = _connect(page, frame, "connect-stripe", "stripe")
    assert "Connect your Stripe account" in popup.title()
    assert "/stripe-connect/oauth/authorize" in popup.url and "client_id=" in popup.url
    screenshot(popup, "connect-stripe-oauth")
    popup.locator(f'input[type="radio"][value="{ACCT}"]').check()
    popup.get_by_role("button", name="Connect").click()
    popup.wait_for_url("**/embed/connect/stripe/callback/**")
    assert "Connected" in popup.title(), popup.content()
    linked = Connection.objects.get(provider="stripe", external_id=ACCT)
    assert linked.company_id == alice.company.pk
    assert not Connection.objects.filter(company=bob.company).exists()
    # The window told the frame (its opener) to refresh: the new connection shows without a reload.
    frame.locator("#connection-list article.conn").first.wait_for()
    screenshot(page, "connections-stripe")


def _link_window(page, frame, button: str):
    """Click a connect button; the provider's JS opens its Link window: return it."""
    with page.expect_popup() as popup_info:
        frame.locator(f"#{button}").click()
    popup = popup_info.value
    popup.wait_for_load_state()
    return popup


def test_it_connects_a_store_through_rutter_link(page, partner_page, alice, bob, sandbox):
    frame = open_dashboard(page, partner_page)
    _connections_tab(frame)
    frame.locator("#store-platform").select_option("SHOPIFY")
    popup = _link_window(page, frame, "connect-store")
    assert "Rutter Link" in popup.title()
    assert f"/rutter/linkstart/{sandbox.credentials.rutter_public_key}" in popup.url and "platform=SHOPIFY" in popup.url
    screenshot(popup, "connect-rutter-link")
    popup.locator(f'input[type="radio"][value="{SHOP}"]').check()
    popup.get_by_role("button", name="Connect").click()
    # onSuccess(publicToken) in the frame posts it to Tieout, which exchanges it and links.
    frame.locator("#linked").wait_for()
    assert "Test Shop" in frame.locator("#linked").inner_text()
    linked = Connection.objects.get(provider="rutter", external_id=SHOP)
    assert linked.company_id == alice.company.pk and linked.platform == "SHOPIFY"
    assert not Connection.objects.filter(company=bob.company).exists()
    frame.locator("#connection-list article.conn").first.wait_for()
    # nothing confirmed yet for the new store: it says so (docs/reconciliation.md, section 5)
    assert frame.locator("#connection-list article.conn p.learned").first.inner_text() == "Still learning (0 deposits)"
    screenshot(page, "connections-store")


def test_it_connects_a_bank_through_plaid_link(page, partner_page, alice, sandbox):
    frame = open_dashboard(page, partner_page)
    _connections_tab(frame)
    popup = _link_window(page, frame, "connect-bank")
    assert "Plaid Link" in popup.title()
    assert "token=link-" in popup.url  # Link opened with the link token Tieout created
    screenshot(popup, "connect-plaid-link")
    popup.locator(f'input[type="radio"][value="{ITEM}"]').check()
    popup.get_by_role("button", name="Connect").click()
    frame.locator("#linked").wait_for()
    assert Connection.objects.filter(company=alice.company, provider="plaid", external_id=ITEM).exists()
    frame.locator("#connection-list article.conn").first.wait_for()
    screenshot(page, "connections-bank")


def test_rutter_link_with_a_key_rutter_does_not_know_links_nothing(page, partner_page, alice, sandbox, settings):
    settings.RUTTER_PUBLIC_KEY = "not-our-key"
    frame = open_dashboard(page, partner_page)
    _connections_tab(frame)
    popup = _link_window(page, frame, "connect-store")
    assert "Invalid public key" in popup.content()
    popup.close()
    frame.locator("#connect-next .error").wait_for()  # onExit("MERCHANT_CLOSED")
    assert not Connection.objects.filter(company=alice.company).exists()


def test_a_cancelled_stripe_authorization_links_nothing(page, partner_page, alice, sandbox):
    frame = open_dashboard(page, partner_page)
    _connections_tab(frame)
    popup = _connect(page, frame, "connect-stripe", "stripe")
    # The stand-in answers an account without an authorization code like a user who clicked "Deny".
    popup.evaluate("""() => { const r = document.querySelector('input[type="radio"]'); r.value = "acct_unknown"; }""")
    popup.get_by_role("button", name="Connect").click()
    popup.wait_for_url("**/embed/connect/stripe/callback/**")
    assert "Connection failed" in popup.title()
    assert "denied" in popup.locator(".error").inner_text()
    assert not Connection.objects.filter(company=alice.company).exists()
