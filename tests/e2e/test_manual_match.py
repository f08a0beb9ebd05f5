"""Review → "Find payout…": search payouts by amount, date and platform, tie one to the deposit,
and see the card update in place (the books through reconciliation.services)."""

import datetime as dt
import time
from decimal import Decimal

import pytest
from playwright.sync_api import Error as PlaywrightError

from ledger.models import BankTransaction
from reconciliation.models import Match, MatchPayout, MatchStatus
from tests import factories as F
from tests.e2e.conftest import _dashboard, after_swap, dashboard_world, open_dashboard, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_searches_payouts_and_matches_a_deposit_by_hand(page, partner_page, alice, bob):
    dashboard_world(alice.company)
    deposit = BankTransaction.objects.get(company=alice.company, name="WOO PAYMENTS DEPOSIT 8841")
    woo = F.PayoutFactory(company=alice.company, platform="WOO_COMMERCE", amount=deposit.amount,
                          arrival_date=dt.date(2025, 3, 11), external_id="po_woo_8841")
    F.PayoutItemFactory(company=alice.company, payout=woo, amount=deposit.amount, fee=Decimal("0"))
    lookalike = F.PayoutFactory(company=alice.company, platform="SQUARE", amount=deposit.amount,
                                arrival_date=dt.date(2025, 3, 10), external_id="po_square_lookalike")
    other = F.PayoutFactory(company=alice.company, platform="WOO_COMMERCE", amount=Decimal("77.00"),
                            arrival_date=dt.date(2025, 3, 9), external_id="po_woo_small")
    theirs = F.PayoutFactory(company=bob.company, platform="WOO_COMMERCE", amount=deposit.amount,
                             arrival_date=dt.date(2025, 3, 11), external_id="po_bob")

    frame = open_dashboard(page, partner_page)
    after_swap(page, frame.locator('nav#tabs a[data-tab="review"]').click)
    card = frame.locator(f"#deposit-{deposit.pk}")
    after_swap(page, card.get_by_role("button", name="Find payout…").click)
    manual = frame.locator(f"#manual-{deposit.pk}")
    manual.locator(".manual-pick").wait_for()
    # Defaults: the deposit's amount, arrivals in the two weeks before it, any platform.
    assert manual.get_by_label("Amount").input_value() == f"{deposit.amount:.2f}"
    picks = manual.locator('input[name="payout"]')
    shown = set(picks.evaluate_all("els => els.map(e => e.value)"))
    assert {str(woo.pk), str(lookalike.pk)} <= shown
    assert str(theirs.pk) not in shown  # bob's payout, same amount and day: never offered
    screenshot(page, "review-manual-search")

    # Narrow to the platform, then clear the amount to see every Woo payout of the window.
    manual.get_by_label("Platform").select_option("WOO_COMMERCE")
    after_swap(page, manual.get_by_role("button", name="Search").click)
    manual.locator(f'input[name="payout"][value="{lookalike.pk}"]').wait_for(state="detached")
    assert set(picks.evaluate_all("els => els.map(e => e.value)")) == {str(woo.pk)} | (
        {str(other.pk)} if manual.locator(f'input[value="{other.pk}"]').count() else set())
    manual.get_by_label("Amount").fill("")
    after_swap(page, manual.get_by_role("button", name="Search").click)
    manual.locator(f'input[name="payout"][value="{other.pk}"]').wait_for()

    # Picking the wrong one: the running total says so before anything is sent...
    manual.locator(f'input[name="payout"][value="{other.pk}"]').check()
    assert manual.locator(".selected-total .sel").inner_text() == "77.00"
    left = deposit.amount - Decimal("77.00")
    assert manual.locator(".selected-total .diff").inner_text() == f"{left:,.2f} USD"
    # ...and so does the service, keeping the search open.
    after_swap(page, manual.get_by_role("button", name="Match selected").click)
    manual.locator(".error").wait_for()
    assert manual.locator(f'input[name="payout"][value="{other.pk}"]').is_checked()  # same search, same pick
    assert not Match.objects.filter(bank_transaction=deposit, status=MatchStatus.APPLIED).exists()

    manual.locator(f'input[name="payout"][value="{other.pk}"]').uncheck()
    manual.locator(f'input[name="payout"][value="{woo.pk}"]').check()
    manual.get_by_role("button", name="Match selected").click()
    decided = frame.locator("article.card.decided", has_text="Matched and booked")
    decided.wait_for()
    assert frame.locator(f"#deposit-{deposit.pk}").count() == 0  # replaced in place
    match = Match.objects.get(bank_transaction=deposit, status=MatchStatus.APPLIED)
    assert list(MatchPayout.objects.filter(match=match).values_list("payout_id", flat=True)) == [woo.pk]
    assert BankTransaction.objects.get(pk=deposit.pk).status == "reconciled"
    screenshot(page, "review-manual-matched")


def test_a_search_clicked_the_moment_its_form_arrives_is_handled_by_htmx(page, partner_page, alice, bob):
    """A double-click on "Search" (or Enter pressed twice) can reach the new form in the very task
    after htmx swaps it in. htmx used to wire swapped-in content only after its 20 ms settle delay;
    a submit in between was a native one: the frame left the dashboard for a URL without the embed
    token. New content is live as soon as it is in the page now."""
    dashboard_world(alice.company)
    deposit = BankTransaction.objects.get(company=alice.company, name="WOO PAYMENTS DEPOSIT 8841")
    frame = open_dashboard(page, partner_page)
    after_swap(page, frame.locator('nav#tabs a[data-tab="review"]').click)
    after_swap(page, frame.locator(f"#deposit-{deposit.pk}").get_by_role("button", name="Find payout…").click)
    dashboard = _dashboard(page)
    navigations = []
    page.on("framenavigated", lambda f: f is dashboard and navigations.append(f.url))
    # The second click of the double-click, as early as an input event can come: the next task.
    dashboard.evaluate("""(pk) => {
      window.__searches = 0;
      document.body.addEventListener("htmx:beforeRequest", (e) => {
        if (e.detail.elt.matches(".manual-form")) window.__searches++;
      });
      document.body.addEventListener("htmx:afterSwap", () => setTimeout(() =>
        document.querySelector(`#manual-${pk} .manual-form button[type=submit]`).click()), {once: true});
    }""", deposit.pk)
    frame.locator(f"#manual-{deposit.pk}").get_by_role("button", name="Search").click()
    deadline = time.monotonic() + 10
    while not navigations and time.monotonic() < deadline:
        try:
            if dashboard.evaluate("window.__searches === 2 && !document.querySelector('.htmx-request')"):
                break
        except PlaywrightError:  # the frame is navigating away
            page.wait_for_timeout(200)
            break
        page.wait_for_timeout(50)
    assert navigations == [], f"the frame left the dashboard: {navigations}"
    assert dashboard.evaluate("window.__searches") == 2  # both clicks were htmx requests
    frame.locator(f"#manual-{deposit.pk} .manual-pick").wait_for()
