"""The Stripe (OAuth) and bank (Plaid Link) connect flows in a real browser, from the framed
dashboard through the sandbox's hosted stand-in pages and back to our callback."""

import pytest

from connections.models import Connection
from sandbox.onboarding import sandbox_provider_settings
from sandbox.server import SandboxServer
from sandbox.state import Credentials
from sandbox.world import world_from_dict
from tests.e2e.conftest import after_swap, open_dashboard, screenshot
from tests.sandbox.conftest import ACCT, ITEM, build_world

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


def test_it_connects_a_bank_through_plaid_link(page, partner_page, alice, sandbox):
    frame = open_dashboard(page, partner_page)
    _connections_tab(frame)
    popup = _connect(page, frame, "connect-bank", "plaid")
    assert "Plaid Link" in popup.title()
    screenshot(popup, "connect-plaid-link")
    popup.locator(f'input[type="radio"][value="{ITEM}"]').check()
    popup.get_by_role("button", name="Connect").click()
    popup.wait_for_url("**/embed/connect/plaid/callback/**")
    assert "Connected" in popup.title(), popup.content()
    assert Connection.objects.filter(company=alice.company, provider="plaid", external_id=ITEM).exists()
    frame.locator("#connection-list article.conn").first.wait_for()
    screenshot(page, "connections-bank")


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
