"""The embedded dashboard in a real browser, framed by a partner page on another origin."""

import datetime as dt
import json
from decimal import Decimal

import pytest

from companies.models import EmbedSession
from companies.services import embed_session_create
from dashboard.partner_page import PartnerPageServer, mint_embed_url
from reconciliation.models import Match, MatchStatus
from tests.e2e.conftest import (
    after_swap,
    dashboard_world,
    frame_caught_up,
    open_dashboard,
    screenshot,
    set_viewport,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _tab(frame, name):
    after_swap(frame.owner.page, frame.locator(f'nav#tabs a[data-tab="{name}"]').click)
    frame.locator(f'nav#tabs a[data-tab="{name}"][aria-current="page"]').wait_for()


def test_it_embeds_the_dashboard_and_opens_a_deposit_that_adds_up(page, partner_page, alice, bob):
    applied, _ = dashboard_world(alice.company)
    dashboard_world(bob.company)
    frame = open_dashboard(page, partner_page)
    rows = frame.locator("tr.txn")
    assert rows.count() == 7  # alice's lines only
    bank, _, _ = applied[1]
    frame.locator(f"#txn-{bank.pk} button.expand").click()
    breakdown = frame.locator(f"#bd-{bank.pk} .breakdown")
    breakdown.wait_for()
    subtotals = [Decimal(v) for v in breakdown.locator("[data-subtotal]").evaluate_all(
        "els => els.map(e => e.dataset.subtotal)")]
    assert len(subtotals) >= 3
    assert sum(subtotals) == bank.amount
    assert "Adds up to the deposit" in breakdown.locator(".total").inner_text()
    assert frame.locator(f"#txn-{bank.pk} button.expand").get_attribute("aria-expanded") == "true"
    # The frame reported its height to the partner page, which resized the iframe.
    events = page.evaluate("window.tieoutEvents")
    assert any(e["type"] == "tieout:resize" and e["height"] > 0 for e in events)
    screenshot(page, "transactions-expanded")
    frame.locator("#id_status").select_option("suggested")
    page.wait_for_function("() => true")
    frame.locator("tr.txn.has-match >> nth=0").wait_for()
    expect = __import__("playwright.sync_api", fromlist=["expect"]).expect
    expect(frame.locator("tr.txn")).to_have_count(2)
    _tab(frame, "overview")
    frame.locator("svg.chart").first.wait_for()
    screenshot(page, "overview")
    set_viewport(page, {"width": 360, "height": 780})  # the narrowest phone we support
    _tab(frame, "transactions")
    frame.locator(f"#txn-{bank.pk}").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    frame.locator(f"#txn-{bank.pk} button.expand").click()
    frame.locator(f"#bd-{bank.pk} .breakdown").wait_for()
    frame_caught_up(page)  # the frame has reported its new height and been resized to it
    screenshot(page, "transactions-mobile")


def test_it_accepts_a_suggestion_and_unmatches_in_place(page, partner_page, alice):
    _, suggested = dashboard_world(alice.company)
    frame = open_dashboard(page, partner_page)
    _tab(frame, "review")
    screenshot(page, "review")
    _, _, match = suggested[0]
    card = frame.locator(f"#match-{match.pk}")
    after_swap(page, card.get_by_role("button", name="Accept").click)
    frame.locator(f"#match-{match.pk}.decided").wait_for()
    assert "Matched and booked" in frame.locator(f"#match-{match.pk}").inner_text()
    assert Match.objects.get(pk=match.pk).status == MatchStatus.APPLIED
    _tab(frame, "review")  # the accepted match now sits under "Recently matched"
    unmatch = frame.locator(f"#match-{match.pk}").get_by_role("button", name="Unmatch")
    unmatch.wait_for()
    page.once("dialog", lambda dialog: dialog.accept(""))  # confirm, no reason given
    unmatch.click()
    frame.locator(f"#match-{match.pk}.decided").wait_for()
    assert "Unmatched" in frame.locator(f"#match-{match.pk}").inner_text()
    assert Match.objects.get(pk=match.pk).status == MatchStatus.UNDONE


def test_it_tells_the_partner_when_the_session_expires(page, partner_page, alice, settings):
    settings.EMBED_TOKEN_TTL = 3
    frame = open_dashboard(page, partner_page)
    page.wait_for_function(
        "() => window.tieoutEvents.some(e => e.type === 'tieout:session-expired')", timeout=10_000)
    assert frame.locator("#expired").is_visible()
    page.locator("#expired").wait_for(state="visible")
    screenshot(page, "session-expired")


def test_it_cannot_be_framed_by_an_origin_the_partner_did_not_allow(page, partner_page, live_server, alice):
    def mint():
        return mint_embed_url(api_base=live_server.url, api_key=alice.raw_key, company_id=alice.company.public_id)

    with PartnerPageServer(embed_url=mint, dashboard_origin=live_server.url, title="Evil Corp") as evil:
        assert evil.origin not in alice.partner.allowed_origins
        page.goto(evil.url)
        page.wait_for_timeout(1500)
        frame = page.frame(name="tieout")
        assert frame is not None
        # Chromium refuses the response (CSP frame-ancestors): no dashboard DOM, no token.
        assert frame.locator("nav#tabs").count() == 0
        assert page.evaluate("window.tieoutEvents") == []


def _enter(page, url: str) -> int:
    """Open an embed URL in a fresh document (a new frame load): its page POSTs the secret from the
    fragment; the POST's status."""
    page.goto("about:blank")
    with page.expect_response(lambda r: r.request.method == "POST" and "/embed/" in r.url) as answer:
        page.goto(url)
    page.wait_for_load_state()
    return answer.value.status


def test_it_refuses_reused_and_expired_secrets_and_foreign_tokens(page, partner_page, live_server, alice, bob):
    embed_url = mint_embed_url(api_base=live_server.url, api_key=alice.raw_key, company_id=alice.company.public_id)
    assert "#client_secret=es_" in embed_url
    assert _enter(page, embed_url) == 200
    assert "client_secret" not in page.url  # taken out of the address before anything else
    token = json.loads(page.locator("body").get_attribute("hx-headers"))["X-Embed-Token"]
    assert _enter(page, embed_url) == 401  # single use
    session, secret = embed_session_create(company=alice.company)
    EmbedSession.objects.filter(pk=session.pk).update(expires_at=session.created_at - dt.timedelta(minutes=1))
    assert _enter(page, f"{live_server.url}/embed/#client_secret={secret}") == 401
    status = page.evaluate(
        """async ([url, token]) => (await fetch(url, {headers: {"X-Embed-Token": token}})).status""",
        [f"{live_server.url}/embed/{bob.company.public_id}/transactions/", token])
    assert status == 403


def test_the_export_is_what_the_filters_on_screen_show(page, partner_page, alice):
    """Filters changed in the page (not in the address) are the export's, and no token or secret
    is in any URL the browser asked for."""
    import csv
    import io

    dashboard_world(alice.company)
    asked = []
    page.on("request", lambda request: asked.append(request.url))
    frame = open_dashboard(page, partner_page)
    from playwright.sync_api import expect

    frame.locator("#id_status").select_option("suggested")
    expect(frame.locator("tr.txn")).to_have_count(2)
    shown = frame.locator("tr.txn").count()
    with page.expect_download() as download:
        frame.locator("#export").click()
    rows = list(csv.DictReader(io.StringIO(open(download.value.path()).read())))
    assert len(rows) == shown == 2 and {r["status"] for r in rows} == {"suggested"}
    assert not [u for u in asked if "token=" in u or "client_secret" in u]


def test_no_page_shows_template_syntax(page, partner_page, alice):
    """What a person reads, on every tab: no `{#`, `{%` or `{{` left over from a template."""
    dashboard_world(alice.company)
    frame = open_dashboard(page, partner_page)
    for tab in ("overview", "transactions", "review", "close", "connections"):
        _tab(frame, tab)
        text = frame.locator("body").inner_text()
        assert not [mark for mark in ("{#", "{%", "{{") if mark in text], (tab, text[:300])
        screenshot(page, f"tab-{tab}")


def test_unmatch_from_the_transaction_row_asks_why_and_sticks(page, partner_page, alice):
    """Unmatch is on the row itself, confirms with an optional reason, and the next automatic
    run does not apply the same answer again."""
    from reconciliation.services import reconcile_company

    applied, _ = dashboard_world(alice.company)
    bank, _, match = applied[0]
    frame = open_dashboard(page, partner_page)
    page.once("dialog", lambda dialog: dialog.accept("wrong store"))
    row = frame.locator(f"#txn-{bank.pk}")
    row.get_by_role("button", name="Unmatch").click()
    row.get_by_text("Unmatched.").wait_for()
    undone = Match.objects.get(pk=match.pk)
    assert undone.status == MatchStatus.UNDONE and undone.note == "wrong store"
    reconcile_company(company=alice.company)
    assert not Match.objects.filter(bank_transaction=bank, status=MatchStatus.APPLIED).exists()


def test_a_dismissed_confirmation_changes_nothing(page, partner_page, alice):
    applied, _ = dashboard_world(alice.company)
    bank, _, match = applied[0]
    frame = open_dashboard(page, partner_page)
    page.once("dialog", lambda dialog: dialog.dismiss())
    frame.locator(f"#txn-{bank.pk}").get_by_role("button", name="Unmatch").click()
    page.wait_for_timeout(500)
    assert Match.objects.get(pk=match.pk).status == MatchStatus.APPLIED
