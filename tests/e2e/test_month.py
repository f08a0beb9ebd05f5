"""A bookkeeper's whole March in a real browser, on a sandbox world synced through the real
Rutter and Plaid clients and reconciled by the real engine (tests/e2e/month_world.py): review every
suggestion (accept one, reject one), unmatch a match the engine made and see the next run leave it
alone, categorize two deposits that are not platform money and let the rule do the rest, match by
hand the deposit only the oldest page shows, and close the month: no open bank line, and the
clearing account holds exactly the payout still in transit. The books balance at every step."""

import datetime as dt
from decimal import Decimal

import pytest

from ledger.models import BankTransaction, Payout
from ledger.selectors import account_balances, books_balanced, close_report
from reconciliation.models import Categorization, Match, MatchStatus
from reconciliation.services import reconcile_company
from tests.connections.sync.conftest import link_all, live_world, sync_all  # noqa: F401 - fixture
from tests.e2e.conftest import after_swap, open_dashboard, screenshot
from tests.e2e.month_world import month_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
OPEN = ("unreconciled", "suggested")


def _balanced(company):
    """The trial balance is zero in every currency."""
    totals = {}
    for (_code, currency), balance in account_balances(company=company).items():
        totals[currency] = totals.get(currency, Decimal(0)) + balance
    assert totals and all(v == 0 for v in totals.values()), totals
    assert books_balanced(company=company)


def _tab(page, frame, name):
    after_swap(page, frame.locator(f'nav#tabs a[data-tab="{name}"]').click)
    frame.locator(f'nav#tabs a[data-tab="{name}"][aria-current="page"]').wait_for()


def _reveal(page, frame, bank):
    """The card of a bank line without a payout, paging with "Show older" until it shows."""
    card = frame.locator(f"#deposit-{bank.pk}")
    while not card.count():
        after_swap(page, frame.get_by_role("button", name="Show older").click)
    return card


def _match_by_hand(page, frame, bank, payout, *, arrived_from=None):
    card = _reveal(page, frame, bank)
    after_swap(page, card.get_by_role("button", name="Find payout…").click)
    manual = frame.locator(f"#manual-{bank.pk}")
    manual.locator(".manual-form").wait_for()
    if arrived_from:
        manual.get_by_label("Arrived from").fill(arrived_from)
        after_swap(page, manual.get_by_role("button", name="Search").click)
    manual.locator(f'input[name="payout"][value="{payout.pk}"]').check()
    after_swap(page, manual.get_by_role("button", name="Match selected").click)
    frame.locator("article.card.decided", has_text="Matched and booked").first.wait_for()
    assert BankTransaction.objects.get(pk=bank.pk).status == "reconciled"


def _categorize(page, frame, bank, category, *, remember=""):
    card = _reveal(page, frame, bank)
    card.locator("details.categorize > summary").click()
    card.get_by_label("It is").select_option(category)
    if remember:
        card.get_by_label("Do the same for lines containing").check()
        card.get_by_label("Text the description contains").fill(remember)
    after_swap(page, card.get_by_role("button", name="Book it").click)
    frame.locator(f"#deposit-{bank.pk}").get_by_text("Booked as").wait_for()


def test_a_bookkeepers_month(page, partner_page, alice, live_world, settings):  # noqa: F811
    settings.SYNC_ENQUEUE_RECONCILIATION = False
    company = alice.company
    world = month_world()
    live_world(world, sync_settings={"SYNC_ENQUEUE_RECONCILIATION": False})
    link_all(company, world)
    assert {run.status for run in sync_all(company)} == {"succeeded"}
    reconcile_company(company=company)
    _balanced(company)

    def line(name=None, **kw):
        return BankTransaction.objects.get(company=company, **({"name": name} if name else {}), **kw)

    def payout(ref):
        return Payout.objects.get(company=company, external_id=ref)

    suggested = list(Match.objects.filter(company=company, status=MatchStatus.SUGGESTED)
                     .select_related("bank_transaction").order_by("bank_transaction__date"))
    assert len(suggested) == 2  # the two late deposits whose description names no platform
    accept, reject = suggested

    frame = open_dashboard(page, partner_page)
    _tab(page, frame, "review")
    screenshot(page, "month-review")
    # 1. Every suggestion: accept the first, reject the second (with the reason).
    after_swap(page, frame.locator(f"#match-{accept.pk}").get_by_role("button", name="Accept").click)
    frame.locator(f"#match-{accept.pk}.decided").wait_for()
    page.once("dialog", lambda dialog: dialog.accept("asking the owner first"))
    frame.locator(f"#match-{reject.pk}").get_by_role("button", name="Reject").click()
    frame.locator(f"#match-{reject.pk}.decided").wait_for()
    assert Match.objects.get(pk=reject.pk).note == "asking the owner first"
    _balanced(company)

    # 2. Unmatch a match the engine applied, from its row; the next run leaves both lines alone.
    wrong = line(amount=Decimal("291.00"))
    applied = Match.objects.get(bank_transaction=wrong, status=MatchStatus.APPLIED)
    _tab(page, frame, "transactions")
    page.once("dialog", lambda dialog: dialog.accept("checking the store"))
    frame.locator(f"#txn-{wrong.pk}").get_by_role("button", name="Unmatch").click()
    frame.locator(f"#txn-{wrong.pk}").get_by_text("Unmatched.").wait_for()
    reconcile_company(company=company)
    for bank in (wrong, reject.bank_transaction):
        assert line(pk=bank.pk).status == "unreconciled"
        assert not Match.objects.filter(bank_transaction=bank, status__in=("applied", "suggested")).exists()
    assert Match.objects.get(pk=applied.pk).status == MatchStatus.UNDONE
    _balanced(company)

    # 3. Two deposits that are not platform money, one remembered as a rule.
    _tab(page, frame, "review")
    newest_wholesale = (BankTransaction.objects.filter(company=company, name__contains="WHOLESALE")
                        .order_by("-date").first())
    _categorize(page, frame, newest_wholesale, "income", remember="WHOLESALE")
    _categorize(page, frame, line("INTEREST PAYMENT"), "interest")
    screenshot(page, "month-categorized")
    _balanced(company)

    # 4. By hand: the deposit only the oldest page shows (its payout arrived a month earlier),
    # then the two lines the owner has now confirmed.
    _tab(page, frame, "review")
    oldest = line(date=dt.date(2025, 3, 2))
    _match_by_hand(page, frame, oldest, payout("p7"), arrived_from="2025-01-15")
    _tab(page, frame, "review")
    _match_by_hand(page, frame, wrong, payout("p3"))
    _tab(page, frame, "review")
    _match_by_hand(page, frame, reject.bank_transaction, reject.payouts.get())
    _balanced(company)

    # 5. The next run applies the rule to every other wholesale payment.
    reconcile_company(company=company)
    wholesale = BankTransaction.objects.filter(company=company, name__contains="WHOLESALE")
    assert wholesale.count() == 22
    by_rule = Categorization.objects.filter(bank_transaction__in=wholesale, rule__contains="WHOLESALE",
                                            category="income")
    assert by_rule.count() == 22  # the one booked by hand made the rule; the run did the other 21
    assert set(by_rule.filter(note__startswith="rule:").values_list("bank_transaction", flat=True)) == set(
        wholesale.exclude(pk=newest_wholesale.pk).values_list("pk", flat=True))
    assert not BankTransaction.objects.filter(company=company, status__in=OPEN).exists()
    _balanced(company)

    # 6. Close March: nothing open, and the clearing account holds the payout still in transit.
    in_transit = payout("p8").amount
    rows = close_report(company=company, month=dt.date(2025, 3, 1))
    assert [r["closing"] for r in rows if r["kind"] == "clearing"] == [in_transit]
    assert all(r["open_lines"] == 0 for r in rows if r["kind"] == "bank")
    _tab(page, frame, "close")
    clearing = frame.locator('table.close tr[data-kind="clearing"]')
    assert f"{in_transit:,.2f}" in clearing.inner_text()
    assert frame.locator('table.close tr[data-kind="bank"] td').last.inner_text().strip() == "0"
    screenshot(page, "month-close")
