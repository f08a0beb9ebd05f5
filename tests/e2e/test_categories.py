"""A bookkeeper clears deposits that are not platform money: two categorized by hand (one
remembered as a rule), a third by the rule on the next run, one undone; books balanced."""

from decimal import Decimal

import pytest

from ledger.models import BankTransaction
from ledger.selectors import books_balanced
from reconciliation.models import Categorization
from reconciliation.services import reconcile_company
from tests import factories as F
from tests.e2e.conftest import after_swap, open_dashboard, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _deposit(company, name, amount):
    return F.BankTransactionFactory(company=company, name=name, amount=Decimal(amount), status="unreconciled")


def test_a_bookkeeper_categorizes_deposits_and_a_rule_does_the_next(page, partner_page, alice):
    wholesale = _deposit(alice.company, "ACH CREDIT ACME WHOLESALE INV 2231", "110.38")
    interest = _deposit(alice.company, "INTEREST PAYMENT", "3.12")
    frame = open_dashboard(page, partner_page)
    after_swap(page, frame.locator('nav#tabs a[data-tab="review"]').click)

    card = frame.locator(f"#deposit-{wholesale.pk}")
    card.locator("details.categorize > summary").click()
    card.get_by_label("It is").select_option("income")
    card.get_by_label("Do the same for lines containing").check()
    card.get_by_label("Text the description contains").fill("WHOLESALE")
    after_swap(page, card.get_by_role("button", name="Book it").click)
    frame.locator(f"#deposit-{wholesale.pk}").get_by_text("Booked as Other income").wait_for()
    screenshot(page, "review-categorized")

    card = frame.locator(f"#deposit-{interest.pk}")
    card.locator("details.categorize > summary").click()
    card.get_by_label("It is").select_option("interest")
    after_swap(page, card.get_by_role("button", name="Book it").click)
    frame.locator(f"#deposit-{interest.pk}").get_by_text("Booked as Interest").wait_for()

    later = _deposit(alice.company, "ACH CREDIT ACME WHOLESALE INV 2240", "250.00")
    reconcile_company(company=alice.company)
    assert Categorization.objects.get(bank_transaction=later).rule.contains == "WHOLESALE"

    after_swap(page, frame.locator('nav#tabs a[data-tab="review"]').click)
    frame.locator("#rules-h").wait_for()
    assert "WHOLESALE" in frame.locator("ul.rules").inner_text()
    undo = frame.locator(f"#deposit-{interest.pk}").get_by_role("button", name="Undo")
    after_swap(page, undo.click)
    frame.locator(f"#deposit-{interest.pk}").get_by_text("Back to review").wait_for()
    assert BankTransaction.objects.get(pk=interest.pk).status == "unreconciled"
    assert {BankTransaction.objects.get(pk=b.pk).status for b in (wholesale, later)} == {"categorized"}
    assert books_balanced(company=alice.company)
